import inspect

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.datastructures import MultiValueDict

from leads import services
from leads.intake.forms import HONEYPOT_FIELD, IntakeForm
from leads.intake.uploads import OversizedUpload
from leads.tests.documents import MINIMAL_PDF
from leads.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def bound_form(resume=None, **overrides) -> IntakeForm:
    data = {"first_name": "Jane", "last_name": "Doe", "email": "jane@example.com", **overrides}
    if resume is None:
        resume = SimpleUploadedFile("cv.pdf", MINIMAL_PDF)
    return IntakeForm(data, MultiValueDict({"resume": [resume]}))


def test_valid_form_yields_exactly_the_arguments_of_submit_lead():
    form = bound_form(source="newsletter", referrer="https://example.org/", **{HONEYPOT_FIELD: ""})

    assert form.is_valid(), form.errors
    parameters = set(inspect.signature(services.submit_lead).parameters) - {
        "resubmit_duplicates",
        "submitted_by",
    }
    assert set(form.cleaned_data) == parameters


def test_an_email_on_file_is_not_an_error_of_the_form():
    # The form never says whether an address applied; a known one becomes a resubmission.
    LeadFactory(email="jane@example.com")

    form = bound_form(email="JANE@Example.COM")

    assert form.is_valid(), form.errors


def test_missing_fields_get_their_own_messages():
    form = IntakeForm({}, MultiValueDict())

    assert not form.is_valid()
    assert form.errors["first_name"] == ["Enter your first name."]
    assert form.errors["last_name"] == ["Enter your last name."]
    assert form.errors["email"] == ["Enter your email address."]
    assert form.errors["resume"] == ["Choose your resume to upload."]


def test_name_with_a_line_break_is_refused():
    form = bound_form(last_name="Doe\r\nBcc: victim@example.com")

    assert not form.is_valid()
    assert "last_name" in form.errors


def test_name_over_100_characters_is_refused():
    form = bound_form(first_name="J" * 101)

    assert not form.is_valid()
    assert "first_name" in form.errors


def test_names_are_stripped():
    form = bound_form(first_name="  Jane ")

    assert form.is_valid()
    assert form.cleaned_data["first_name"] == "Jane"


def test_resume_that_is_not_a_document_is_an_error_on_the_resume_field():
    form = bound_form(resume=SimpleUploadedFile("cv.exe", b"MZ\x90\x00 a windows program"))

    assert not form.is_valid()
    assert form.errors["resume"] == ["Upload a PDF, DOC or DOCX file."]


def test_a_text_file_named_pdf_is_told_its_content_is_not_a_pdf():
    form = bound_form(resume=SimpleUploadedFile("cv.pdf", b"Jane Doe\nExperience: ..."))

    assert not form.is_valid()
    assert form.errors["resume"] == [
        "This file's name says PDF, but its content is not a PDF. Save or export it again as a PDF, "
        "DOC or DOCX file and upload that."
    ]


def test_empty_resume_is_an_error_on_the_resume_field():
    form = bound_form(resume=SimpleUploadedFile("cv.pdf", b""))

    assert not form.is_valid()
    assert form.errors["resume"] == ["The file is empty."]


def test_oversized_upload_is_too_large_on_the_resume_field(settings):
    settings.RESUME_MAX_BYTES = 1024

    form = bound_form(resume=OversizedUpload("cv.pdf", 5000, "application/pdf"))

    assert not form.is_valid()
    assert "too large" in form.errors["resume"][0]


def test_honeypot_filled_is_noticed():
    assert bound_form(**{HONEYPOT_FIELD: "http://spam.example"}).is_honeypot_filled()


def test_honeypot_left_empty_is_a_person():
    assert not bound_form(**{HONEYPOT_FIELD: ""}).is_honeypot_filled()


@pytest.mark.parametrize("word", ["name", "mail", "phone", "tel", "address", "company", "url", "web", "site"])
def test_honeypot_name_holds_no_word_autofill_looks_for(word):
    assert word not in HONEYPOT_FIELD


@pytest.mark.parametrize(
    ("field", "value"),
    [("first_name", "Visit https://evil.example"), ("last_name", "www.evil.example"), ("first_name", "a@b")],
)
def test_name_carrying_a_link_or_an_address_is_refused_on_its_field(field, value):
    form = bound_form(**{field: value})

    assert not form.is_valid()
    assert form.errors[field] == ["Enter a name without links or email addresses."]


def test_hidden_source_that_is_not_plain_text_is_dropped_not_an_error():
    form = bound_form(source="a\nb", referrer="javascript:alert(1)")

    assert form.is_valid()
    assert form.cleaned_data["source"] == "" and form.cleaned_data["referrer"] == ""


def test_utm_source_wins_over_source_when_opening_the_form():
    initial = IntakeForm.initial_from(query={"utm_source": "linkedin", "source": "flyer"}, referer="")

    assert initial["source"] == "linkedin"


def test_source_parameter_is_used_without_utm_source():
    initial = IntakeForm.initial_from(query={"source": "flyer"}, referer="https://example.org/jobs")

    assert initial == {"source": "flyer", "referrer": "https://example.org/jobs"}


def test_first_field_with_an_error_gets_autofocus_and_only_it():
    form = bound_form(first_name="", email="not-an-email")
    form.is_valid()

    form.focus_first_error()

    assert "autofocus" in str(form["first_name"])
    assert "autofocus" not in str(form["email"])


def test_field_with_an_error_points_to_its_message():
    form = bound_form(email="not-an-email")
    form.is_valid()

    html = str(form["email"])

    assert 'aria-describedby="id_email_error"' in html
    assert 'aria-invalid="true"' in html
