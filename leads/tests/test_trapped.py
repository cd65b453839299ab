"""A filled honeypot loses nothing: the same answer as a real submission, a TrappedSubmission
kept for attorneys, who review it in the admin and restore it as a lead."""

import re
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from leads.intake.forms import HONEYPOT_FIELD
from leads.models import Lead, TrappedSubmission
from leads.tests import documents
from leads.tests.factories import MINIMAL_PDF, LeadFactory, TrappedSubmissionFactory
from leads.tests.mail import run_worker
from leads.tests.traces import stored_files

LIST_URL = "/admin/leads/trappedsubmission/"


def form_data(**overrides) -> dict:
    resume = SimpleUploadedFile("cv.pdf", MINIMAL_PDF, content_type="application/pdf")
    return {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "resume": resume,
        **overrides,
    }


def comparable(response) -> tuple:
    """Everything of a response but its request id and the CSRF token (random each time)."""
    headers = {k: v for k, v in response.headers.items() if k != "X-Request-ID"}
    body = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content)
    return response.status_code, headers, body


@pytest.mark.django_db
def test_a_filled_honeypot_answers_exactly_as_a_real_submission(client):
    trapped = client.post("/", form_data(email="bot@example.com", **{HONEYPOT_FIELD: "http://x.example"}))
    trapped_thanks = client.get(trapped["Location"])
    real = client.post("/", form_data())
    real_thanks = client.get(real["Location"])

    assert comparable(trapped) == comparable(real)
    assert comparable(trapped_thanks) == comparable(real_thanks)
    assert list(Lead.objects.values_list("email", flat=True)) == ["ada@example.com"]


@pytest.mark.django_db
def test_a_filled_honeypot_is_kept_with_what_was_typed_and_where_it_came_from(client, settings):
    data = form_data(source="newsletter", referrer="https://example.org/jobs", **{HONEYPOT_FIELD: "Ada"})

    client.post("/", data, REMOTE_ADDR="203.0.113.9")

    trapped = TrappedSubmission.objects.get()
    assert (trapped.first_name, trapped.last_name, trapped.email) == ("Ada", "Lovelace", "ada@example.com")
    assert (trapped.source, trapped.referrer) == ("newsletter", "https://example.org/jobs")
    assert trapped.client_address == "203.0.113.9"
    assert trapped.created_at is not None
    assert trapped.resume.open("rb").read() == MINIMAL_PDF
    assert re.fullmatch(r"resumes/[0-9a-f]{32}\.pdf", trapped.resume.name)
    assert stored_files(settings.MEDIA_ROOT) == [trapped.resume.name]
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_a_trapped_file_that_is_not_a_resume_is_not_stored(client, settings):
    junk = SimpleUploadedFile("cv.pdf", b"MZ\x90\x00 a program", content_type="application/pdf")

    client.post("/", form_data(resume=junk, **{HONEYPOT_FIELD: "x"}))

    assert TrappedSubmission.objects.get().resume.name == ""
    assert stored_files(settings.MEDIA_ROOT) == []


@pytest.mark.django_db
def test_a_trapped_file_too_complex_to_check_gets_the_same_thanks_and_is_not_stored(client, settings):
    chain = SimpleUploadedFile("cv.pdf", documents.review_chain_pdf(), content_type="application/pdf")

    response = client.post("/", form_data(resume=chain, **{HONEYPOT_FIELD: "x"}))

    assert response.status_code == 303 and response["Location"] == "/thanks/"
    assert TrappedSubmission.objects.get().resume.name == ""
    assert stored_files(settings.MEDIA_ROOT) == []


@pytest.mark.django_db
def test_typed_values_longer_than_the_columns_are_kept_cut_not_refused(client):
    client.post("/", form_data(first_name="A" * 300, **{HONEYPOT_FIELD: "x"}))

    assert TrappedSubmission.objects.get().first_name == "A" * 100


# --- Review and restore in the admin ---------------------------------------------------


@pytest.mark.django_db
def test_attorneys_see_the_trapped_submissions_and_each_one_read_only(attorney_client):
    trapped = TrappedSubmissionFactory(first_name="Ada", last_name="Lovelace", email="ada@example.com")

    listing = attorney_client.get(LIST_URL).content.decode()
    detail = attorney_client.get(f"{LIST_URL}{trapped.pk}/change/").content.decode()

    assert "Ada Lovelace" in listing and "ada@example.com" in listing
    assert "ada@example.com" in detail
    assert 'name="email"' not in detail  # shown, not editable


@pytest.mark.django_db
def test_staff_without_the_permission_cannot_see_them(client, staff_without_view):
    client.force_login(staff_without_view)

    assert client.get(LIST_URL).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_restoring_makes_a_lead_with_the_stored_resume_and_the_trapped_row_goes(attorney_client, settings):
    trapped = TrappedSubmissionFactory(first_name="Ada", last_name="Lovelace", email="ada@example.com")
    trapped_file = trapped.resume.name

    response = attorney_client.post(
        LIST_URL, {"action": "restore_selected", "_selected_action": [trapped.pk]}
    )
    run_worker()

    lead = Lead.objects.get()
    assert (lead.first_name, lead.email, lead.status) == ("Ada", "ada@example.com", "PENDING")
    assert lead.resume.open("rb").read() == MINIMAL_PDF
    assert not TrappedSubmission.objects.exists()
    assert stored_files(settings.MEDIA_ROOT) == [lead.resume.name]
    assert trapped_file != lead.resume.name
    assert lead.deliveries.filter(kind="confirmation").exists()  # as the form would have
    assert "1 submission restored as a lead" in attorney_client.get(response["Location"]).content.decode()


@pytest.mark.django_db(transaction=True)
def test_restoring_an_address_on_file_records_a_resubmission(attorney_client):
    known = LeadFactory(email="ada@example.com")
    trapped = TrappedSubmissionFactory(email="ADA@example.com")

    attorney_client.post(LIST_URL, {"action": "restore_selected", "_selected_action": [trapped.pk]})
    run_worker()

    assert list(Lead.objects.values_list("pk", flat=True)) == [known.pk]
    assert known.resubmissions.count() == 1


@pytest.mark.django_db
def test_a_trapped_name_with_a_link_is_not_restored_and_the_attorney_is_told_why(attorney_client):
    trapped = TrappedSubmissionFactory(first_name="https://evil.example")

    response = attorney_client.post(
        LIST_URL, {"action": "restore_selected", "_selected_action": [trapped.pk]}, follow=True
    )

    assert "Enter a name without links or email addresses." in response.content.decode()
    assert TrappedSubmission.objects.filter(pk=trapped.pk).exists()
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_a_trapped_resume_the_checks_now_refuse_is_not_restored_and_the_attorney_is_told_why(attorney_client):
    # Kept before PDFs with XFA forms were refused: the restore checks it again.
    trapped = TrappedSubmissionFactory(resume=ContentFile(documents.xfa_pdf(), name="resume.pdf"))

    response = attorney_client.post(
        LIST_URL, {"action": "restore_selected", "_selected_action": [trapped.pk]}, follow=True
    )

    assert "PDFs with XFA forms are not accepted." in response.content.decode()
    assert TrappedSubmission.objects.filter(pk=trapped.pk).exists()
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_a_trapped_resume_too_complex_to_check_is_not_restored(attorney_client):
    trapped = TrappedSubmissionFactory(resume=ContentFile(documents.review_chain_pdf(), name="resume.pdf"))

    response = attorney_client.post(
        LIST_URL, {"action": "restore_selected", "_selected_action": [trapped.pk]}, follow=True
    )

    assert "This PDF is too complex for us to check." in response.content.decode()
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_a_user_who_may_only_view_them_cannot_restore(client):
    from django.contrib.auth.models import Permission

    from accounts.tests.factories import UserFactory

    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_trappedsubmission"))
    client.force_login(user)
    trapped = TrappedSubmissionFactory()

    client.post(LIST_URL, {"action": "restore_selected", "_selected_action": [trapped.pk]})

    assert TrappedSubmission.objects.filter(pk=trapped.pk).exists()
    assert not Lead.objects.exists()
    assert Path(trapped.resume.path).exists()
