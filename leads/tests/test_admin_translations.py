"""The firm's own texts per language in the admin: leads.admin.translations, on a small form
over a plain object and on a ModelAdmin, as the practice area, question and letter template
admins will use it."""

import pytest
from django import forms
from django.contrib import admin
from django.test import RequestFactory

from leads.admin.translations import TranslationsAdminMixin, translated_form
from leads.models import Lead
from leads.translations import translated
from leads.validators import validate_plain_text


class PracticeArea:
    """A firm text as the models of issues 25 and 27 keep one."""

    TRANSLATED_FIELDS = ("name", "description")

    def __init__(self, name="Immigration", description="Visas and residence.", translations=None):
        self.name, self.description, self.translations = name, description, translations or {}


class AreaForm(forms.Form):
    name = forms.CharField(max_length=100, validators=[validate_plain_text])
    description = forms.CharField(max_length=500, widget=forms.Textarea, required=False)

    def __init__(self, *args, instance, **kwargs):
        self.instance = instance
        super().__init__(*args, **kwargs)


def area_form(data=None, area=None):
    return translated_form(AreaForm, PracticeArea)(data, instance=area or PracticeArea())


def test_each_translated_text_gets_a_field_per_other_intake_language(settings):
    settings.INTAKE_LANGUAGES = ["en", "es"]

    form = area_form()

    assert list(form.fields) == ["name", "description", "name_es", "description_es"]
    assert form.fields["name_es"].label == "Name (Español)"
    assert form.fields["name_es"].required is False
    assert form.fields["name_es"].max_length == 100
    assert isinstance(form.fields["description_es"].widget, forms.Textarea)


def test_with_english_only_there_is_nothing_to_translate(settings):
    settings.INTAKE_LANGUAGES = ["en"]

    assert list(area_form().fields) == ["name", "description"]


def test_the_translations_are_stored_in_the_objects_translations():
    area = PracticeArea()
    form = area_form({"name": "Immigration", "name_es": "Inmigración", "description_es": ""}, area)

    assert form.is_valid(), form.errors
    assert area.translations == {"es": {"name": "Inmigración"}}


def test_the_fields_start_from_the_stored_translations():
    area = PracticeArea(translations={"es": {"name": "Inmigración"}})

    form = area_form(area=area)

    assert form["name_es"].value() == "Inmigración"
    assert form["description_es"].value() == ""


def test_emptying_a_translation_removes_it_and_the_text_falls_back_to_the_default():
    area = PracticeArea(translations={"es": {"name": "Inmigración", "description": "Visados."}})
    form = area_form({"name": "Immigration", "name_es": "", "description_es": "Visados."}, area)

    assert form.is_valid()
    assert area.translations == {"es": {"description": "Visados."}}
    assert translated(area, "name", "es") == "Immigration"
    assert translated(area, "description", "es") == "Visados."


def test_translations_of_a_language_no_longer_offered_are_kept(settings):
    settings.INTAKE_LANGUAGES = ["en", "es"]
    area = PracticeArea(translations={"fr": {"name": "Immigration (fr)"}})
    form = area_form({"name": "Immigration", "name_es": "Inmigración"}, area)

    assert form.is_valid()
    assert area.translations == {"fr": {"name": "Immigration (fr)"}, "es": {"name": "Inmigración"}}


def test_a_translation_obeys_the_rules_of_its_text():
    form = area_form({"name": "Immigration", "name_es": "Inmigración\x00", "description_es": "x" * 501})

    assert not form.is_valid()
    assert set(form.errors) == {"name_es", "description_es"}


# --- The ModelAdmin side --------------------------------------------------------------


class NamesAdmin(TranslationsAdminMixin, admin.ModelAdmin):
    """Over Lead's names only for the test (the real users are the firm-text models)."""

    fields = ["first_name", "last_name"]


@pytest.fixture
def names_admin(monkeypatch):
    monkeypatch.setattr(Lead, "TRANSLATED_FIELDS", ("first_name",), raising=False)
    return NamesAdmin(Lead, admin.AdminSite())


def request():
    return RequestFactory().get("/admin/")


def test_the_admin_shows_one_fieldset_per_other_language_after_the_models_own(names_admin):
    assert names_admin.get_fieldsets(request()) == [
        (None, {"fields": ["first_name", "last_name"]}),
        ("In Español", {"fields": ["first_name_es"]}),
    ]


@pytest.mark.django_db
def test_the_admin_form_writes_the_translation_into_the_instance(names_admin):
    lead = Lead(first_name="Anne", last_name="Doe")
    form_class = names_admin.get_form(request(), lead)

    form = form_class({"first_name": "Anne", "last_name": "Doe", "first_name_es": "Ana"}, instance=lead)

    assert form.is_valid(), form.errors
    assert lead.translations == {"es": {"first_name": "Ana"}}
