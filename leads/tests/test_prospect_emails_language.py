"""Every email to a prospect speaks the prospect's language (Lead.language); the attorneys'
stay in LANGUAGE_CODE. End to end: the form, a real worker run, a real SMTP server."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.tests.factories import AttorneyFactory
from leads.models import Lead
from leads.tests.catalogues import english_left
from leads.tests.documents import MINIMAL_PDF
from leads.tests.mail import bodies, run_worker

pytestmark = pytest.mark.django_db(transaction=True)

MONTHS = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]


def apply(client, language: str, email: str = "ana@example.com") -> None:
    data = {
        "first_name": "Ana",
        "last_name": "García",
        "email": email,
        "resume": SimpleUploadedFile("cv.pdf", MINIMAL_PDF, content_type="application/pdf"),
        "language": language,
    }
    assert client.post("/", data, HTTP_ACCEPT_LANGUAGE=language).status_code == 303


def spanish_date(moment) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} de {MONTHS[local.month - 1]} de {local.year}"


@pytest.fixture
def firm(settings):
    settings.FIRM_NAME = "Hale & Partners"
    AttorneyFactory(email="attorney@hale.example")


def test_a_spanish_prospect_gets_the_confirmation_in_spanish(client, smtp, firm):
    apply(client, "es")

    run_worker()

    [message] = smtp.to("ana@example.com")
    text, html = bodies(message)
    lead = Lead.objects.get()
    assert message["Subject"] == "Hale & Partners: hemos recibido su solicitud"
    assert f"La recibimos el {spanish_date(lead.created_at)}." in text
    assert '<html lang="es">' in html
    assert english_left(message["Subject"] + "\n" + text) == []
    assert english_left(html) == []


def test_an_english_prospect_still_gets_the_confirmation_in_english(client, smtp, firm):
    apply(client, "en")

    run_worker()

    [message] = smtp.to("ana@example.com")
    text, _ = bodies(message)
    assert message["Subject"] == "Hale & Partners: we received your application"
    assert re.search(r"We received it on \d{1,2} [A-Z][a-z]+ \d{4}\.", text)


def test_the_attorneys_notification_stays_in_english_for_a_spanish_prospect(client, smtp, firm):
    apply(client, "es")

    run_worker()

    [message] = smtp.to("attorney@hale.example")
    assert message["Subject"] == "New lead: Ana García"


def test_a_spanish_resubmission_gets_the_received_again_email_in_spanish(client, smtp, firm):
    apply(client, "es")
    run_worker()
    apply(client, "es", email="ANA@example.com")

    run_worker()

    _first, again = smtp.to("ana@example.com")
    text, html = bodies(again)
    resubmission = Lead.objects.get().resubmissions.get()
    assert again["Subject"] == "Hale & Partners: hemos vuelto a recibir su solicitud"
    assert f"El {spanish_date(resubmission.created_at)}, Hale & Partners volvió a recibir" in text
    assert english_left(again["Subject"] + "\n" + text) == []
    assert english_left(html) == []


def test_a_resubmission_in_spanish_makes_the_lead_speak_spanish_from_then_on(client, smtp, firm):
    apply(client, "en")
    run_worker()
    apply(client, "es")

    run_worker()

    lead = Lead.objects.get()
    assert lead.language == "es"
    assert lead.resubmissions.get().language == "es"
    [_, again] = smtp.to("ana@example.com")
    assert again["Subject"] == "Hale & Partners: hemos vuelto a recibir su solicitud"
