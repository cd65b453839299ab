from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from leads import validators
from leads.api.serializers import LeadCreateSerializer
from leads.models import Lead
from leads.tests import documents
from leads.tests.factories import LeadFactory
from leads.tests.queries import statements

URL = "/api/v1/leads/"


def form(resume, **overrides):
    return {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "resume": resume,
    } | overrides


@pytest.mark.django_db
def test_create_saves_a_pending_lead_and_answers_201_with_it(integration_client, pdf):
    response = integration_client.post(URL, form(pdf), format="multipart")

    assert response.status_code == 201
    lead = Lead.objects.get()
    body = response.json()
    assert body["id"] == str(lead.pk)
    assert body["status"] == "PENDING"
    assert body["email"] == "ada@example.com"
    assert response["Location"] == f"http://testserver/api/v1/leads/{lead.pk}/"
    assert Path(lead.resume.path).read_bytes().startswith(b"%PDF-")


@pytest.mark.django_db
def test_create_answers_with_the_lead_as_reading_it_back_shows_it(integration_client, pdf):
    created = integration_client.post(URL, form(pdf, source="google"), format="multipart").json()

    assert integration_client.get(f"{URL}{created['id']}/").json() == created


@pytest.mark.django_db(transaction=True)
def test_create_costs_four_statements_the_lead_not_read_back(integration_client, pdf):
    # The token with its permissions, the throttle's hit, the intake questions that apply
    # (a required one must be answered even when no answer is sent), the lead, its task: the
    # answer is built from the lead in hand.
    with CaptureQueriesContext(connection) as captured:
        response = integration_client.post(URL, form(pdf), format="multipart")

    assert response.status_code == 201
    assert len(statements(captured)) <= 5, statements(captured)


@pytest.mark.django_db
def test_create_queues_one_task_for_the_worker_with_the_lead(integration_client, pdf):
    integration_client.post(URL, form(pdf), format="multipart")

    [task] = DBTaskResult.objects.all()
    assert task.task_path == "leads.worker.fanout.process_application"
    assert task.args_kwargs["args"][0]["lead_id"] == str(Lead.objects.get().pk)


@pytest.mark.django_db
def test_create_stores_source_and_referrer_when_given(integration_client, pdf):
    response = integration_client.post(
        URL, form(pdf, source="partner-site", referrer="https://partner.example/jobs"), format="multipart"
    )

    assert response.json()["source"] == "partner-site"
    assert Lead.objects.get().referrer == "https://partner.example/jobs"


@pytest.mark.django_db
def test_create_with_an_email_on_file_in_another_case_is_a_400_on_email(integration_client, pdf):
    LeadFactory(email="ada@example.com")

    response = integration_client.post(URL, form(pdf, email="ADA@Example.com"), format="multipart")

    assert response.status_code == 400
    assert response.json() == {"email": ["A lead with this email already exists."]}
    assert Lead.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["ada@\uff45xample.com", "ADA@EXAMPLE.COM", "ada@example.com "])
def test_create_with_another_spelling_of_an_address_on_file_is_a_400_on_email(integration_client, pdf, email):
    LeadFactory(email="ada@example.com")

    response = integration_client.post(URL, form(pdf, email=email), format="multipart")

    assert response.status_code == 400
    assert response.json() == {"email": ["A lead with this email already exists."]}
    assert Lead.objects.count() == 1


@pytest.mark.django_db
def test_create_with_a_text_file_named_pdf_is_a_400_on_resume(integration_client):
    fake = SimpleUploadedFile("cv.pdf", b"just text, not a pdf", content_type="application/pdf")

    response = integration_client.post(URL, form(fake), format="multipart")

    assert response.status_code == 400
    assert response.json() == {
        "resume": [
            "This file's name says PDF, but its content is not a PDF. Save or export it again as a PDF, "
            "DOC or DOCX file and upload that."
        ]
    }
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_create_with_a_null_character_in_the_practice_area_is_a_400_naming_it(integration_client, pdf):
    response = integration_client.post(URL, form(pdf, practice_area="immi\x00gration"), format="multipart")

    assert response.status_code == 400
    assert response.json() == {"practice_area": ["Null characters are not allowed."]}
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_create_with_an_empty_file_is_a_400_on_resume(integration_client):
    empty = SimpleUploadedFile("cv.pdf", b"", content_type="application/pdf")

    response = integration_client.post(URL, form(empty), format="multipart")

    assert response.status_code == 400
    assert list(response.json()) == ["resume"]


@pytest.mark.django_db
def test_create_with_a_resume_over_the_limit_is_a_400_on_resume(integration_client, settings):
    settings.RESUME_MAX_BYTES = 100
    big = SimpleUploadedFile("cv.pdf", b"%PDF-" + b"0" * 200, content_type="application/pdf")

    response = integration_client.post(URL, form(big), format="multipart")

    assert response.status_code == 400
    assert "too large" in response.json()["resume"][0]


@pytest.mark.django_db
def test_create_with_a_macro_enabled_document_is_a_400_on_resume(integration_client):
    docm = SimpleUploadedFile("cv.docx", documents.macro_docx(), content_type="application/msword")

    response = integration_client.post(URL, form(docm), format="multipart")

    assert response.status_code == 400
    assert response.json() == {"resume": [validators.MESSAGES["macros"]]}


@pytest.mark.django_db
def test_create_with_the_reviews_reference_chain_is_a_400_on_resume_saying_it_is_too_complex(
    integration_client,
):
    chain = SimpleUploadedFile("cv.pdf", documents.review_chain_pdf(), content_type="application/pdf")

    response = integration_client.post(URL, form(chain), format="multipart")

    assert response.status_code == 400
    assert response.json() == {"resume": [validators.MESSAGES["too_complex"] % {"kind": "PDF"}]}
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_create_with_an_xfa_form_is_a_400_on_resume_saying_why(integration_client):
    xfa = SimpleUploadedFile("cv.pdf", documents.xfa_pdf(), content_type="application/pdf")

    response = integration_client.post(URL, form(xfa), format="multipart")

    assert response.status_code == 400
    assert response.json() == {"resume": [validators.MESSAGES["xfa_form"]]}


@pytest.mark.django_db
def test_create_without_fields_names_each_missing_one(integration_client):
    response = integration_client.post(URL, {}, format="multipart")

    assert response.status_code == 400
    assert set(response.json()) == {"first_name", "last_name", "email", "resume"}


@pytest.mark.django_db
def test_create_with_a_bad_email_is_a_400_on_email(integration_client, pdf):
    response = integration_client.post(URL, form(pdf, email="not-an-email"), format="multipart")

    assert response.status_code == 400
    assert list(response.json()) == ["email"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "email",
    ["victim@example\u200b.org", '"a\x01b"@example.com'],
    ids=["zero-width space", "control character"],
)
def test_create_with_a_hidden_character_in_the_email_is_a_400_on_email(integration_client, pdf, email):
    response = integration_client.post(URL, form(pdf, email=email), format="multipart")

    assert response.status_code == 400
    assert response.json() == {"email": ["Enter the email address without control or invisible characters."]}
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_create_with_a_domain_sending_cannot_encode_is_a_400_on_email(integration_client, pdf):
    response = integration_client.post(URL, form(pdf, email=f"ada@{'é' * 60}.org"), format="multipart")

    assert response.status_code == 400
    assert response.json() == {"email": ["Enter a valid email address."]}


@pytest.mark.django_db
def test_create_as_json_without_a_file_is_a_400_on_resume(integration_client):
    response = integration_client.post(URL, form("not a file"), format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["resume"]


@pytest.mark.django_db
def test_create_without_credentials_is_a_401(api_client, pdf):
    response = api_client.post(URL, form(pdf), format="multipart")

    assert response.status_code == 401
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_create_without_add_lead_is_a_403(attorney_api_client, pdf):
    response = attorney_api_client.post(URL, form(pdf), format="multipart")

    assert response.status_code == 403
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_create_with_a_line_break_in_a_name_is_a_400_on_that_name(integration_client, pdf):
    data = form(pdf, first_name="Ada\r\nBcc: x@evil.test")
    response = integration_client.post(URL, data, format="multipart")

    assert response.status_code == 400
    assert list(response.json()) == ["first_name"]
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_create_with_a_link_in_a_name_is_a_400_on_that_name(integration_client, pdf):
    data = form(pdf, last_name="see https://evil.example")
    response = integration_client.post(URL, data, format="multipart")

    assert response.status_code == 400
    assert response.json() == {"last_name": ["Enter a name without links or email addresses."]}
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_create_with_a_mime_encoded_word_in_a_name_is_a_400_on_that_name(integration_client, pdf):
    data = form(pdf, first_name="=?utf-8?q?ada=40evil.example?=")
    response = integration_client.post(URL, data, format="multipart")

    assert response.status_code == 400
    message = "Enter a name without “=?”: mail programs read it as encoded text."
    assert response.json() == {"first_name": [message]}
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_create_with_a_control_character_in_source_is_a_400_on_source(integration_client, pdf):
    response = integration_client.post(URL, form(pdf, source="ads\x00"), format="multipart")

    assert response.status_code == 400
    assert list(response.json()) == ["source"]


def test_each_create_serializer_gets_its_own_copy_of_the_fields_worked_out_once():
    first, second = LeadCreateSerializer().fields, LeadCreateSerializer().fields

    assert first["email"] is not second["email"]
    assert first["email"].max_length == second["email"].max_length == Lead._meta.get_field("email").max_length
    assert type(LeadCreateSerializer()).__dict__["_model_fields"]["email"] is not first["email"]


@pytest.mark.django_db
def test_a_rejected_create_leaves_no_error_on_the_next_one(integration_client, pdf):
    integration_client.post(URL, form(pdf, email="not an address"), format="multipart")
    pdf.seek(0)

    response = integration_client.post(URL, form(pdf), format="multipart")

    assert response.status_code == 201
