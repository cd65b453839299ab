"""The prospect's language: chosen by the browser or the switcher, kept for the visit, recorded
on the lead; the attorneys' side stays in LANGUAGE_CODE."""

import os
import subprocess
import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from config.testing import ROOT
from leads.intake.forms import HONEYPOT_FIELD
from leads.models import Lead, TrappedSubmission
from leads.tests.documents import MINIMAL_PDF
from leads.tests.factories import LeadFactory, TrappedSubmissionFactory
from web.language import requested_language

pytestmark = pytest.mark.django_db

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es-MX,es;q=0.9,en;q=0.5"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.8"}


def application(**overrides) -> dict:
    return {
        "first_name": "Ana",
        "last_name": "García",
        "email": "ana@example.com",
        "resume": SimpleUploadedFile("cv.pdf", MINIMAL_PDF, content_type="application/pdf"),
        **overrides,
    }


def test_a_spanish_browser_gets_the_form_in_spanish(client):
    response = client.get("/", **SPANISH)

    page = response.content.decode()
    assert '<html lang="es">' in page
    assert "Háblenos de usted" in page
    assert response["Content-Language"] == "es"


def test_an_english_browser_gets_the_form_in_english(client):
    response = client.get("/", **ENGLISH)

    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "Tell us about yourself" in page


def test_a_browser_asking_for_no_offered_language_gets_the_first_of_intake_languages(client, settings):
    settings.INTAKE_LANGUAGES = ["es", "en"]

    response = client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")

    assert '<html lang="es">' in response.content.decode()


def test_the_answer_varies_by_accept_language_and_cookie_for_caches(client):
    response = client.get("/", **SPANISH)

    vary = {part.strip() for part in response["Vary"].split(",")}
    assert {"Accept-Language", "Cookie"} <= vary


def test_the_switcher_is_a_plain_link_to_each_language(client):
    page = client.get("/?utm_source=flyer", **ENGLISH).content.decode()

    assert 'href="/?utm_source=flyer&amp;lang=es" lang="es" hreflang="es"' in page
    assert 'href="/?utm_source=flyer&amp;lang=en" lang="en" hreflang="en" aria-current="true"' in page


def test_the_switcher_choice_wins_over_the_browser_and_is_kept_for_the_visit(client):
    first = client.get("/?lang=es", **ENGLISH)
    later = client.get("/thanks/", **ENGLISH)

    assert '<html lang="es">' in first.content.decode()
    cookie = first.cookies["django_language"]
    assert cookie.value == "es"
    assert cookie["max-age"] == ""  # a session cookie: the visit, no longer
    assert cookie["httponly"]
    assert "Gracias, hemos recibido su solicitud" in later.content.decode()


def test_a_switch_to_a_language_not_offered_changes_nothing(client):
    response = client.get("/?lang=fr", **ENGLISH)

    assert '<html lang="en">' in response.content.decode()
    assert "django_language" not in response.cookies


def test_with_one_intake_language_there_is_no_switcher(client, settings):
    settings.INTAKE_LANGUAGES = ["en"]

    page = client.get("/", **SPANISH).content.decode()

    assert '<html lang="en">' in page
    assert "language-switcher" not in page


def test_the_form_remembers_the_language_it_was_shown_in(client):
    page = client.get("/", **SPANISH).content.decode()

    assert '<input type="hidden" name="language" value="es"' in page


def test_a_lead_from_the_spanish_form_speaks_spanish(client):
    response = client.post("/", {**application(), "language": "es"}, **ENGLISH)

    assert response.status_code == 303
    assert Lead.objects.get().language == "es"


def test_a_lead_from_the_english_form_speaks_english(client):
    client.post("/", {**application(), "language": "en"}, **SPANISH)

    assert Lead.objects.get().language == "en"


def test_a_posted_language_not_offered_falls_back_to_the_page_language(client):
    client.post("/", {**application(), "language": "fr"}, **SPANISH)

    assert Lead.objects.get().language == "es"


def test_errors_answer_in_the_language_the_form_was_shown_in(client):
    response = client.post("/", {**application(first_name=""), "language": "es"}, **ENGLISH)

    page = response.content.decode()
    assert response.status_code == 400
    assert '<html lang="es">' in page
    assert "Escriba su nombre." in page


def test_the_admin_stays_in_the_attorneys_language_for_a_spanish_browser(client):
    client.cookies["django_language"] = "es"

    page = client.get("/admin/login/?lang=es", **SPANISH).content.decode()

    assert 'lang="en-us"' in page
    assert "Log in" in page


def test_the_api_stays_in_the_attorneys_language_for_a_spanish_browser(api_client):
    response = api_client.get("/api/v1/leads/", **SPANISH)

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_an_api_lead_takes_its_language(integration_client):
    response = integration_client.post(
        "/api/v1/leads/", {**application(), "language": "es"}, format="multipart"
    )

    assert response.status_code == 201
    assert response.json()["language"] == "es"
    assert Lead.objects.get().language == "es"


def test_an_api_lead_without_a_language_gets_the_first_of_intake_languages(integration_client, settings):
    settings.INTAKE_LANGUAGES = ["es", "en"]

    response = integration_client.post("/api/v1/leads/", application(), format="multipart")

    assert response.json()["language"] == "es"


def test_an_api_lead_in_a_language_not_offered_is_a_400_on_language(integration_client):
    response = integration_client.post(
        "/api/v1/leads/", {**application(), "language": "fr"}, format="multipart"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["language"]
    assert Lead.objects.count() == 0


def test_the_lead_json_carries_its_language(integration_client):
    lead = LeadFactory(language="es")

    response = integration_client.get(f"/api/v1/leads/{lead.pk}/")

    assert response.json()["language"] == "es"


def test_an_intake_language_without_a_catalogue_stops_the_start_up():
    env = {**os.environ, "INTAKE_LANGUAGES": "en,fr", "DEBUG": "false", "SECRET_KEY": "x"}

    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode != 0
    assert "INTAKE_LANGUAGES must name one or more of en, es" in result.stderr


def test_a_lead_made_before_languages_speaks_english():
    lead = LeadFactory()

    assert Lead.objects.get(pk=lead.pk).language == "en"


def test_the_language_cookie_is_partitioned_when_a_firm_frames_the_form(settings):
    settings.INTAKE_FRAME_ANCESTORS = ["https://www.firm.example"]

    response = Client().get("/?lang=es")

    header = response.cookies["django_language"].output()
    assert "SameSite=None" in header
    assert "Secure" in header
    assert header.endswith("; Partitioned")


def test_the_lead_list_shows_and_filters_by_language(attorney_client):
    spanish = LeadFactory(language="es")
    english = LeadFactory(language="en")

    response = attorney_client.get("/admin/leads/lead/?language=es")

    page = response.content.decode()
    assert response.status_code == 200
    # By id: a factory's random names can contain one another ("John" in "Johnson").
    assert str(spanish.pk) in page
    assert str(english.pk) not in page
    assert 'class="column-lang"' in page
    assert "?language=es" in page  # the filter's choice


def test_the_csv_export_has_a_language_column(attorney_client):
    LeadFactory(language="es")

    response = attorney_client.get("/admin/leads/lead/export/")

    header, row = b"".join(response.streaming_content).decode().splitlines()[:2]
    assert dict(zip(header.split(","), row.split(","), strict=True))["language"] == "es"


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        ("?language=es", "en", "es"),
        ("?language=fr", "es-AR,es;q=0.9", "es"),
        ("", "fr-CA,fr;q=0.9,es;q=0.5", "es"),
        ("", "", "en"),
        ("?language=ES", "", "es"),
    ],
)
def test_an_anonymous_api_read_answers_in_the_requested_language(rf, query, header, expected):
    request = rf.get(f"/api/v1/intake-form/{query}", HTTP_ACCEPT_LANGUAGE=header)

    assert requested_language(request) == expected


def test_a_trapped_submission_keeps_the_language_of_its_form(client):
    client.post("/", {**application(), "language": "es", HONEYPOT_FIELD: "Ana"}, **ENGLISH)

    assert TrappedSubmission.objects.get().language == "es"


@pytest.mark.django_db(transaction=True)
def test_a_lead_restored_from_a_trapped_submission_speaks_its_language(attorney_client):
    trapped = TrappedSubmissionFactory(
        first_name="Ana", last_name="García", email="ana@example.com", language="es"
    )

    attorney_client.post(
        "/admin/leads/trappedsubmission/", {"action": "restore_selected", "_selected_action": [trapped.pk]}
    )

    assert Lead.objects.get().language == "es"


def test_the_lead_page_names_the_prospects_language(attorney_client):
    lead = LeadFactory(language="es")

    page = attorney_client.get(f"/admin/leads/lead/{lead.pk}/change/").content.decode()

    assert "<dt>Language</dt><dd>Español</dd>" in page
