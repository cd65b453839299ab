"""Spanish is complete: every catalogue entry translated and compiled, and every public page
rendered in Spanish through the test client with no English string of the catalogue left,
and nothing (but names and marks) reading the same as on the English page."""

import gettext
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from leads.tests.catalogues import LOCALE, SAME_IN_EVERY_LANGUAGE, catalogue, english_left, words
from leads.tests.documents import MINIMAL_PDF

PLACEHOLDER = re.compile(r"%\(\w+\)s")
FIRM = "Hale & Partners"


def test_every_spanish_entry_is_translated_and_not_fuzzy():
    untranslated = [
        entry.msgid
        for entry in catalogue("es")
        if entry.fuzzy
        or (not entry.msgid_plural and not entry.msgstr)
        or (entry.msgid_plural and not all(entry.msgstr_plural.values()))
    ]

    assert untranslated == []


def test_every_spanish_entry_keeps_the_placeholders_of_its_english():
    wrong = []
    for entry in catalogue("es"):
        expected = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        wrong += [entry.msgid for text in translations if sorted(PLACEHOLDER.findall(text)) != expected]

    assert wrong == []


def test_the_english_and_spanish_catalogues_hold_the_same_strings():
    english = {(entry.msgctxt, entry.msgid) for entry in catalogue("en")}
    spanish = {(entry.msgctxt, entry.msgid) for entry in catalogue("es")}

    assert english == spanish


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_committed_compiled_catalogue_matches_its_source(language):
    with open(LOCALE / language / "LC_MESSAGES" / "django.mo", "rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)._catalog
    source = {}
    for entry in catalogue(language):
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            for index, text in entry.msgstr_plural.items():
                if text:
                    source[(key, index)] = text
        elif entry.msgstr:
            source[key] = entry.msgstr

    compiled_entries = {key: text for key, text in catalog.items() if key != ""}
    assert compiled_entries == source, "run `make messages` (or manage.py compilemessages)"


# --- Every public page, in Spanish -------------------------------------------------------


def application(**overrides) -> dict:
    return {
        "first_name": "Ana",
        "last_name": "García",
        "email": "ana@example.com",
        "resume": SimpleUploadedFile("cv.pdf", MINIMAL_PDF, content_type="application/pdf"),
        **overrides,
    }


def form(client, language):
    return client.get("/", HTTP_ACCEPT_LANGUAGE=language)


def form_with_every_error(client, language):
    data = {
        "first_name": "",
        "last_name": "www.example.com",
        "email": "not an address",
        "resume": SimpleUploadedFile("cv.pdf", b"plain text, not a resume", content_type="application/pdf"),
        "language": language,
    }
    return client.post("/", data, HTTP_ACCEPT_LANGUAGE=language)


def form_with_django_errors(client, language):
    data = application(first_name="A" * 101, resume="", language=language)
    return client.post("/", data, HTTP_ACCEPT_LANGUAGE=language)


def form_with_an_empty_file(client, language):
    data = application(resume=SimpleUploadedFile("cv.pdf", b""), language=language)
    return client.post("/", data, HTTP_ACCEPT_LANGUAGE=language)


def thanks(client, language):
    return client.get("/thanks/", HTTP_ACCEPT_LANGUAGE=language)


def too_large(client, language, settings):
    settings.RESUME_MAX_BYTES = 1024
    body = b"x" * (70 * 1024)
    return client.generic(
        "POST", "/", body, content_type="multipart/form-data; boundary=x", HTTP_ACCEPT_LANGUAGE=language
    )


def too_many(client, language, settings):
    settings.INTAKE_RATE = "1/minute"
    client.post("/", {}, HTTP_ACCEPT_LANGUAGE=language)
    return client.post("/", {}, HTTP_ACCEPT_LANGUAGE=language)


def expired(client, language):
    return Client(enforce_csrf_checks=True).post("/", application(), HTTP_ACCEPT_LANGUAGE=language)


def unavailable(client, language, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }
    return client.post("/", {}, HTTP_ACCEPT_LANGUAGE=language)


PAGES = {
    "form": (form, 200),
    "form with errors": (form_with_every_error, 400),
    "form with Django's own errors": (form_with_django_errors, 400),
    "form with an empty file": (form_with_an_empty_file, 400),
    "thanks": (thanks, 200),
    "413": (too_large, 413),
    "429": (too_many, 429),
    "expired form": (expired, 403),
    "503": (unavailable, 503),
}


def fetch(name, language, settings):
    view, status = PAGES[name]
    arguments = (
        (Client(), language, settings) if "settings" in view.__code__.co_varnames else (Client(), language)
    )
    response = view(*arguments)
    assert response.status_code == status
    return response.content.decode()


@pytest.fixture
def firm(settings):
    settings.FIRM_NAME = FIRM
    settings.FIRM_CONTACT_EMAIL = "intake@hale.example"
    settings.PRIVACY_NOTICE_URL = "https://hale.example/privacy"


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_the_spanish_page_has_no_english_string_of_the_catalogue(name, settings, firm):
    page = fetch(name, "es", settings)

    assert re.search(r'<html lang="es"', page)
    assert english_left(page) == []


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_the_spanish_page_shares_no_words_with_the_english_one_but_names(name, settings, firm):
    english = {piece for piece in words(fetch(name, "en", settings)) if any(c.isalpha() for c in piece)}
    spanish = {piece for piece in words(fetch(name, "es", settings)) if any(c.isalpha() for c in piece)}

    assert spanish & english - SAME_IN_EVERY_LANGUAGE - {FIRM, "intake@hale.example"} == set()


@pytest.mark.django_db
def test_the_spanish_413_page_writes_the_limit_as_spanish_numbers(settings):
    page = fetch("413", "es", settings)

    assert "1,0\xa0KB" in page


def test_the_500_page_is_spanish_too():
    with translation.override("es"):
        page = render_to_string("500.html")

    assert '<html lang="es">' in page
    assert english_left(page) == []
    assert "Se ha producido un error" in page
