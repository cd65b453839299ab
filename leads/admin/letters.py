"""The non-engagement letters in the admin: one per outcome (declined, referred), edited by
superusers or staff with the `leads.*_lettertemplate` permissions. Without one, the default
letter (leads.letters) is sent."""

import string

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from leads.letters import PLACEHOLDERS, default_body, default_subject
from leads.models import LetterTemplate

from .translations import TranslationsAdminMixin, translation_field_name, translation_languages

PLACEHOLDER_HELP = "Placeholders: " + ", ".join(f"{{{name}}}" for name in PLACEHOLDERS) + "."


def check_placeholders(text: str) -> str:
    """`text` if each {placeholder} in it is one of PLACEHOLDERS; else a ValidationError naming it."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise ValidationError("Unbalanced braces: write {first_name}, and {{ for a brace.") from exc
    if unknown := sorted(names - set(PLACEHOLDERS)):
        raise ValidationError(f"Unknown placeholder {{{unknown[0]}}}. {PLACEHOLDER_HELP}")
    return text


class LetterTemplateForm(forms.ModelForm):
    class Meta:
        model = LetterTemplate
        fields = ["outcome", "subject", "body"]
        help_texts = {
            "subject": PLACEHOLDER_HELP,
            "body": PLACEHOLDER_HELP + " Say plainly that the firm does not represent the prospect "
            "and that time limits may apply to their matter.",
        }
        widgets = {"body": forms.Textarea(attrs={"rows": 14})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:  # a new letter starts from the default text
            self.initial.setdefault("subject", default_subject())
            self.initial.setdefault("body", default_body(LetterTemplate.Outcome.DECLINED))

    def clean_subject(self):
        return check_placeholders(self.cleaned_data["subject"])

    def clean_body(self):
        return check_placeholders(self.cleaned_data["body"])

    def clean(self):
        # The texts in other languages (TranslationsAdminMixin's fields) follow the same rule.
        for language in translation_languages():
            for field in LetterTemplate.TRANSLATED_FIELDS:
                name = translation_field_name(field, language)
                if text := self.cleaned_data.get(name):
                    try:
                        check_placeholders(text)
                    except ValidationError as exc:
                        self.add_error(name, exc)
        return super().clean()


@admin.register(LetterTemplate)
class LetterTemplateAdmin(TranslationsAdminMixin, admin.ModelAdmin):
    form = LetterTemplateForm
    list_display = ["outcome", "subject", "updated_at"]
    ordering = ["outcome"]
