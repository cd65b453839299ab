"""The firm's own texts per language in the admin (practice areas, questions, options, letter
templates): beside each text a model lists in TRANSLATED_FIELDS, one field per other intake
language, kept in the model's `translations` JSON (leads.translations; read with `translated`).

The model's own fields hold the default language (LANGUAGE_CODE's); a translation left empty
falls back to it. Translations of a language no longer in INTAKE_LANGUAGES are kept, so
taking a language off and back on loses nothing.

    class PracticeAreaAdmin(TranslationsAdminMixin, admin.ModelAdmin): ...

A model opts in with `TRANSLATED_FIELDS = ("name", "description")` and a
`translations = models.JSONField(default=dict, blank=True)` (not in the form's fields).
"""

import copy

from django import forms
from django.conf import settings

from web.language import language_names


def translated_field_names(model) -> tuple[str, ...]:
    return tuple(getattr(model, "TRANSLATED_FIELDS", ()))


def translation_languages() -> list[str]:
    """The intake languages other than the one the model's own fields are written in."""
    default = settings.LANGUAGE_CODE.split("-")[0]
    return [code for code in settings.INTAKE_LANGUAGES if code != default]


def translation_field_name(field: str, language: str) -> str:
    return f"{field}_{language}"


def translation_fields(model, form_class: type[forms.BaseForm]) -> dict[str, forms.Field]:
    """name -> form field, for each translated field and other intake language: the field's
    own form field (its widget, length and validators, the model field's too), not required,
    labelled with the language."""
    names = language_names()
    fields = {}
    for language in translation_languages():
        for field in translated_field_names(model):
            base = form_class.base_fields.get(field) or forms.CharField()
            translation = copy.deepcopy(base)
            translation.required = False
            translation.initial = None
            translation.label = f"{base.label or field.replace('_', ' ').capitalize()} ({names[language]})"
            translation.help_text = f"Left empty, prospects reading {names[language]} see the text above."
            if meta := getattr(model, "_meta", None):
                translation.validators = [*translation.validators, *meta.get_field(field).validators]
            fields[translation_field_name(field, language)] = translation
    return fields


class TranslationsFormMixin:
    """A form over `self.instance` (a ModelForm's, or any object with `translations`) whose
    translation fields start from the instance's `translations` and are written back to it
    when the form is clean; the caller saves the instance as usual."""

    translated_model = None  # set by translated_form

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = getattr(self.instance, "translations", None) or {}
        for language in translation_languages():
            for field in translated_field_names(self.translated_model):
                name = translation_field_name(field, language)
                self.initial.setdefault(name, (stored.get(language) or {}).get(field, ""))

    def clean(self):
        cleaned = super().clean()
        stored = getattr(self.instance, "translations", None) or {}
        texts = {language: dict(each) for language, each in stored.items()}
        for language in translation_languages():
            for field in translated_field_names(self.translated_model):
                text = (cleaned.get(translation_field_name(field, language)) or "").strip()
                if text:
                    texts.setdefault(language, {})[field] = text
                else:
                    texts.get(language, {}).pop(field, None)
        self.instance.translations = {language: t for language, t in texts.items() if t}
        return cleaned


def translated_form(form_class: type[forms.BaseForm], model) -> type[forms.BaseForm]:
    """`form_class` with a declared field per translation (so the admin's fieldsets may name
    them) and TranslationsFormMixin's reading and writing of `translations`."""
    attrs = {**translation_fields(model, form_class), "translated_model": model}
    return type(form_class.__name__, (TranslationsFormMixin, form_class), attrs)


class TranslationsAdminMixin:
    """A ModelAdmin whose form has the translation fields, shown in one fieldset per language
    after the model's own."""

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = translated_form(kwargs.get("form", self.form), self.model)
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        names = language_names()
        translated = translated_field_names(self.model)
        every = {translation_field_name(f, lang) for lang in translation_languages() for f in translated}
        fieldsets = [
            (title, {**options, "fields": [f for f in options["fields"] if f not in every]})
            for title, options in super().get_fieldsets(request, obj)
        ]
        for language in translation_languages():
            fields = [translation_field_name(field, language) for field in translated]
            fieldsets.append((f"In {names[language]}", {"fields": fields}))
        return fieldsets
