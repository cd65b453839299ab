import http.client
import io
import os
import re
import signal
import threading
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from leads import services
from leads.checks import check_intake_rate
from leads.intake.forms import HONEYPOT_FIELD, IntakeForm
from leads.intake.ratelimit import parse_rate
from leads.intake.uploads import OversizedUpload, SizeLimitUploadHandler
from leads.models import Lead, RateLimitBucket
from leads.tests import documents
from leads.tests.checkers import idle_checkers_stopped, wait_for
from leads.tests.documents import MINIMAL_PDF
from leads.tests.factories import LeadFactory
from leads.tests.mail import run_worker
from leads.tests.queries import statements

pytestmark = pytest.mark.django_db


def resume(content: bytes = MINIMAL_PDF, name: str = "my resume.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def form_data(**overrides) -> dict:
    return {
        "first_name": "Jane",
        "last_name": "Doe",
        "email": "jane@example.com",
        "resume": resume(),
        **overrides,
    }


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


# --- The form -------------------------------------------------------------------------


def test_form_has_the_contract_fields_and_a_csrf_token(client):
    response = client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    for name in ["first_name", "last_name", "email"]:
        assert re.search(rf'<label for="id_{name}">', html)
        assert f'name="{name}"' in html
    assert 'type="file" name="resume"' in html
    assert 'enctype="multipart/form-data"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_form_notes_utm_source_and_referer_in_hidden_fields(client):
    response = client.get("/?utm_source=newsletter", headers={"referer": "https://example.org/jobs"})

    html = response.content.decode()
    assert '<input type="hidden" name="source" value="newsletter"' in html
    assert '<input type="hidden" name="referrer" value="https://example.org/jobs"' in html


def test_honeypot_is_a_text_field_hidden_by_css_and_from_screen_readers(client):
    html = client.get("/").content.decode()

    block = re.search(r'<div class="hp" aria-hidden="true">(.*?)</div>', html, re.S)
    assert block is not None
    assert f'type="text" name="{HONEYPOT_FIELD}" autocomplete="off" tabindex="-1"' in block.group(1)


def test_public_pages_have_no_inline_script_or_style_and_a_strict_csp(client):
    for url in ["/", "/thanks/"]:
        response = client.get(url)
        html = response.content.decode()
        assert "<script" not in html and "<style" not in html and "style=" not in html
        assert "default-src 'self'" in response["Content-Security-Policy"]


def test_form_says_what_is_kept_and_why_in_one_paragraph_without_a_link_by_default(client):
    html = client.get("/").content.decode()

    note = re.search(r'<p class="form-note" id="privacy-note">(.*?)</p>', html, re.S).group(1)
    assert "name, email address and resume" in note and "to review your application" in note
    assert "<a " not in note


def test_form_links_to_the_firms_privacy_notice_when_set(client, settings):
    settings.PRIVACY_NOTICE_URL = "https://firm.example/privacy"

    html = client.get("/").content.decode()

    note = re.search(r'<p class="form-note" id="privacy-note">(.*?)</p>', html, re.S).group(1)
    assert '<a href="https://firm.example/privacy">Read our privacy notice</a>' in note


def test_the_form_with_errors_keeps_the_privacy_note(client, settings):
    settings.PRIVACY_NOTICE_URL = "https://firm.example/privacy"

    html = client.post("/", {"first_name": ""}).content.decode()

    assert 'href="https://firm.example/privacy"' in html


def test_a_privacy_notice_url_that_is_not_http_fails_the_system_check(settings):
    from leads.checks import check_privacy_notice_url

    settings.PRIVACY_NOTICE_URL = "javascript:alert(1)"

    assert [error.id for error in check_privacy_notice_url()] == ["leads.E002"]


def test_thanks_page_confirms(client):
    response = client.get("/thanks/")

    assert response.status_code == 200
    assert "we have your application" in response.content.decode()


# --- Submitting -----------------------------------------------------------------------


def test_valid_submission_saves_a_pending_lead_and_redirects_with_303(client):
    response = client.post("/", form_data())

    assert response.status_code == 303
    assert response["Location"] == "/thanks/"
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.email) == ("Jane", "Doe", "jane@example.com")
    assert lead.status == Lead.Status.PENDING


def test_source_and_referrer_ride_along_to_the_lead(client):
    client.post("/", form_data(source="newsletter", referrer="https://example.org/jobs"))

    lead = Lead.objects.get()
    assert (lead.source, lead.referrer) == ("newsletter", "https://example.org/jobs")


def test_resume_is_stored_under_a_random_name_not_the_clients(client, settings):
    client.post("/", form_data(resume=resume(name="../../etc/jane doe.pdf")))

    [path] = stored_files(settings)
    assert path.read_bytes() == MINIMAL_PDF
    assert "jane" not in path.name and path.parent.name == "resumes"
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", path.name)


def test_stored_resume_is_not_served_from_any_public_url(client, settings):
    client.post("/", form_data())
    name = Lead.objects.get().resume.name

    for prefix in ["/media/", "/", "/static/"]:
        assert client.get(prefix + name).status_code == 404


def test_missing_fields_give_400_with_an_error_beside_each_and_typed_values_kept(client):
    response = client.post("/", {"first_name": "", "last_name": "Doe", "email": "not-an-email"})

    html = response.content.decode()
    assert response.status_code == 400
    assert '<ul class="field__errors" id="id_first_name_error">' in html
    assert '<ul class="field__errors" id="id_email_error">' in html
    assert '<ul class="field__errors" id="id_resume_error">' in html
    assert 'value="Doe"' in html and 'value="not-an-email"' in html
    assert Lead.objects.count() == 0


def test_a_name_with_a_link_is_refused_beside_its_field_and_nothing_is_saved(client, settings):
    response = client.post("/", form_data(first_name="Your file is at https://evil.example"))

    html = response.content.decode()
    assert response.status_code == 400
    errors = re.search(r'<ul class="field__errors" id="id_first_name_error">(.*?)</ul>', html, re.S)
    assert "Enter a name without links or email addresses." in errors.group(1)
    assert Lead.objects.count() == 0
    assert stored_files(settings) == []


def test_a_name_with_a_mime_encoded_word_is_refused_beside_its_field(client):
    # Base64 of "https://evil.example": a mail program would show the link in the subject.
    response = client.post("/", form_data(last_name="=?utf-8?b?aHR0cHM6Ly9ldmlsLmV4YW1wbGU=?="))

    html = response.content.decode()
    assert response.status_code == 400
    errors = re.search(r'<ul class="field__errors" id="id_last_name_error">(.*?)</ul>', html, re.S)
    assert "Enter a name without “=?”" in errors.group(1)
    assert Lead.objects.count() == 0


# Issue 23: each made a lead of its own, all mailed to victim@example.org.
HIDDEN_SPELLINGS = {
    "soft hyphen": "victim@exa\u00admple.org",
    "zero-width space": "victim@example\u200b.org",
    "word joiner": "victim@e\u2060xample.org",
    "control character": '"a\x01b"@example.com',
}


@pytest.mark.parametrize("email", HIDDEN_SPELLINGS.values(), ids=HIDDEN_SPELLINGS.keys())
def test_an_email_with_a_hidden_character_is_refused_beside_its_field(client, settings, email):
    client.post("/", form_data(email="victim@example.org"))
    known = set(stored_files(settings))

    response = client.post("/", form_data(email=email))

    html = response.content.decode()
    assert response.status_code == 400
    errors = re.search(r'<ul class="field__errors" id="id_email_error">(.*?)</ul>', html, re.S)
    assert "Enter the email address without control or invisible characters." in errors.group(1)
    assert Lead.objects.count() == 1
    assert set(stored_files(settings)) == known


def test_an_email_whose_domain_sending_cannot_encode_is_refused_not_a_server_error(client):
    response = client.post("/", form_data(email="jane@\ue000xample.org"))

    assert response.status_code == 400
    assert 'id="id_email_error"' in response.content.decode()
    assert Lead.objects.count() == 0


def test_first_field_in_error_is_focused_without_javascript(client):
    response = client.post("/", form_data(email="not-an-email"))

    field = re.search(r'<input type="email"[^>]*>', response.content.decode()).group(0)
    assert "autofocus" in field
    assert 'aria-describedby="id_email_error"' in field


def test_file_that_is_not_a_document_is_refused_beside_the_resume_field(client, settings):
    response = client.post("/", form_data(resume=resume(b"#!/bin/sh\nrm -rf /\n", name="cv.pdf")))

    assert response.status_code == 400
    assert "but its content is not a PDF." in response.content.decode()
    assert Lead.objects.count() == 0
    assert stored_files(settings) == []


def test_pdf_that_runs_javascript_is_refused_beside_the_resume_field(client, settings):
    response = client.post("/", form_data(resume=resume(documents.javascript_pdf())))

    assert response.status_code == 400
    assert "PDFs with scripts or launch actions are not accepted" in response.content.decode()
    assert stored_files(settings) == []


def test_the_reviews_reference_chain_gets_the_form_again_saying_it_is_too_complex(client, settings):
    response = client.post("/", form_data(resume=resume(documents.review_chain_pdf())))

    assert response.status_code == 400
    assert "This PDF is too complex for us to check." in response.content.decode()
    assert Lead.objects.count() == 0
    assert stored_files(settings) == []


def test_a_word_document_with_a_remote_template_is_refused_beside_the_resume_field(client):
    response = client.post("/", form_data(resume=resume(documents.remote_template_docx(), name="cv.docx")))

    assert response.status_code == 400
    assert "Word documents that load content from elsewhere" in response.content.decode()
    assert Lead.objects.count() == 0


def test_empty_file_is_refused(client):
    response = client.post("/", form_data(resume=resume(b"")))

    assert response.status_code == 400
    assert "The file is empty." in response.content.decode()


def test_file_over_the_limit_is_refused_as_too_large_and_nothing_is_stored(client, settings):
    settings.RESUME_MAX_BYTES = 1024

    response = client.post("/", form_data(resume=resume(MINIMAL_PDF + b"%" * 5000)))

    assert response.status_code == 400
    assert "The file is too large" in response.content.decode()
    assert Lead.objects.count() == 0
    assert stored_files(settings) == []


def test_upload_handler_passes_nothing_on_past_the_limit(settings):
    settings.RESUME_MAX_BYTES = 10
    handler = SizeLimitUploadHandler()
    handler.new_file("resume", "cv.pdf", "application/pdf", 100)

    passed = [handler.receive_data_chunk(chunk, 0) for chunk in [b"x" * 6, b"x" * 4, b"x" * 6, b"x" * 6]]
    complete = handler.file_complete(22)

    assert passed == [b"x" * 6, b"x" * 4, None, None]
    assert isinstance(complete, OversizedUpload) and complete.size == 22


def test_oversized_upload_over_a_real_socket_gets_a_400_page_not_a_reset(live_server, settings):
    settings.RESUME_MAX_BYTES = 64 * 1024
    base = urlsplit(live_server.url)
    conn = http.client.HTTPConnection(base.hostname, base.port, timeout=30)
    conn.request("GET", "/")
    page = conn.getresponse()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode()).group(1)
    cookie = page.getheader("Set-Cookie").split(";")[0]
    boundary = uuid.uuid4().hex
    parts = [
        *(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in
          {"csrfmiddlewaretoken": token, "first_name": "Jane", "last_name": "Doe",
           "email": "jane@example.com"}.items()),
        f'--{boundary}\r\nContent-Disposition: form-data; name="resume"; filename="cv.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode(),
        MINIMAL_PDF + b"%" * (100 * 1024),  # over RESUME_MAX_BYTES, within the 64 KiB envelope
        f"\r\n--{boundary}--\r\n".encode(),
    ]  # fmt: skip
    conn.request(
        "POST",
        "/",
        body=b"".join(parts),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Cookie": cookie},
    )
    response = conn.getresponse()

    assert response.status == 400
    assert "The file is too large" in response.read().decode()
    assert Lead.objects.count() == 0


def test_post_without_csrf_token_is_refused(db):
    response = Client(enforce_csrf_checks=True).post("/", form_data())

    assert response.status_code == 403
    assert "Please send the form again" in response.content.decode()
    assert Lead.objects.count() == 0


def test_other_methods_are_not_allowed(client):
    assert client.put("/").status_code == 405


# --- A known address answers exactly as a new one ---------------------------------------


def apply_as_a_browser_does(email: str) -> tuple:
    """GET the form, POST it with its CSRF token, GET the thanks page: a fresh visitor."""
    visitor = Client(enforce_csrf_checks=True)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', visitor.get("/").content.decode()).group(
        1
    )
    posted = visitor.post("/", form_data(email=email, csrfmiddlewaretoken=token))
    return posted, visitor.get(posted["Location"])


def comparable(response) -> tuple:
    """A response without its request id and the CSRF token (random for every visitor)."""
    headers = {name: value for name, value in response.headers.items() if name != "X-Request-ID"}
    body = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content)
    return response.status_code, headers, body


@pytest.mark.django_db(transaction=True)
def test_a_known_address_gets_byte_identical_answers_and_becomes_a_resubmission(smtp, settings):
    apply_as_a_browser_does("jane@example.com")
    run_worker()
    lead = Lead.objects.get()

    new = apply_as_a_browser_does("someone.new@example.com")
    again = apply_as_a_browser_does("JANE@Example.com")
    run_worker()

    assert [comparable(response) for response in new] == [comparable(response) for response in again]
    assert new[0].status_code == 303 and new[0]["Location"] == "/thanks/"
    [resubmission] = lead.resubmissions.all()
    assert resubmission.resume.name != lead.resume.name
    assert resubmission.resume.open("rb").read() == MINIMAL_PDF
    assert Lead.objects.count() == 2
    subjects = [message["Subject"] for message in smtp.to("jane@example.com")]
    assert subjects == [
        "Client intake: we received your application",
        "Client intake: we received your application again",
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("email", ["victim@\uff45xample.org", "VICTIM@Example.ORG", "victim@example.org"])
def test_another_spelling_of_a_known_mailbox_is_a_resubmission_of_its_lead(smtp, client, email):
    client.post("/", form_data(email="victim@example.org"))
    run_worker()

    response = client.post("/", form_data(email=email))
    run_worker()

    assert response.status_code == 303
    lead = Lead.objects.get()
    assert lead.resubmissions.count() == 1
    assert [recipients for recipients, _ in smtp.messages] == [["victim@example.org"]] * 2


# --- Honeypot -------------------------------------------------------------------------


def test_filled_honeypot_gets_the_same_thanks_and_creates_no_lead(client):
    response = client.post("/", form_data(**{HONEYPOT_FIELD: "http://cheap-pills.example"}))

    assert response.status_code == 303 and response["Location"] == "/thanks/"
    assert Lead.objects.count() == 0


def test_filled_honeypot_counts_toward_the_rate_limit(client, settings):
    settings.INTAKE_RATE = "2/minute"
    client.post("/", form_data(**{HONEYPOT_FIELD: "spam"}))
    client.post("/", form_data(**{HONEYPOT_FIELD: "spam"}, email="bot2@example.com"))

    response = client.post("/", form_data())

    assert response.status_code == 429
    assert Lead.objects.count() == 0


# --- Rate limit -----------------------------------------------------------------------


def test_submissions_past_the_rate_get_429_with_a_page_saying_when_to_try_again(client, settings):
    settings.INTAKE_RATE = "2/minute"
    client.post("/", form_data(email="a@example.com"))
    client.post("/", form_data(email="b@example.com"))

    response = client.post("/", form_data(email="c@example.com"))

    html = response.content.decode()
    assert response.status_code == 429
    assert 50 <= int(response["Retry-After"]) <= 60  # the window opened at the first attempt
    assert "Please try again in" in html and "Too many attempts" in html
    assert Lead.objects.count() == 2


def test_invalid_submissions_count_toward_the_rate_too(client, settings):
    settings.INTAKE_RATE = "1/minute"
    client.post("/", {"first_name": ""})

    assert client.post("/", form_data()).status_code == 429


@pytest.mark.django_db(transaction=True)  # autocommit as in production
def test_a_submission_counts_before_its_file_is_checked_and_holds_no_transaction_meanwhile(client, settings):
    settings.RESUME_CHECK_SECONDS = 30  # a checker that does not answer is waited for 32 s
    client.post("/", form_data(email="first@example.com"))  # leaves a checker idle
    answers = []

    def submit():
        try:
            answers.append(Client().post("/", form_data(email="slow@example.com")))
        finally:
            connections.close_all()

    slow = threading.Thread(target=submit)
    with idle_checkers_stopped() as stopped:
        slow.start()
        # Counted and committed while its file waits for the (stopped) checker...
        wait_for(lambda: RateLimitBucket.objects.get().count == 2, timeout=5, what="the second hit")
        # ...and another writer is not kept waiting meanwhile (SQLite has one at a time).
        LeadFactory(email="other@example.com")
        still_checking = slow.is_alive()
        for pid in stopped:
            os.kill(pid, signal.SIGKILL)  # a checker that dies is a refusal at once
        slow.join()

    assert still_checking
    assert answers[0].status_code == 400
    assert "too complex for us to check" in answers[0].content.decode()


def test_viewing_the_form_is_not_rate_limited(client, settings):
    settings.INTAKE_RATE = "1/minute"

    assert [client.get("/").status_code for _ in range(3)] == [200, 200, 200]


def test_rate_is_per_client_address(client, settings):
    settings.INTAKE_RATE = "1/minute"
    client.post("/", form_data(email="a@example.com"), REMOTE_ADDR="192.0.2.1")

    response = client.post("/", form_data(email="b@example.com"), REMOTE_ADDR="192.0.2.2")

    assert response.status_code == 303


def test_forwarded_for_is_ignored_without_a_trusted_proxy(client, settings):
    settings.INTAKE_RATE = "1/minute"
    client.post("/", form_data(email="a@example.com"), HTTP_X_FORWARDED_FOR="198.51.100.1")

    response = client.post("/", form_data(email="b@example.com"), HTTP_X_FORWARDED_FOR="198.51.100.2")

    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_address_it_saw_counts(client, settings):
    settings.INTAKE_RATE = "1/minute"
    settings.TRUSTED_PROXY_COUNT = 1
    # The client may send any X-Forwarded-For; our proxy appends the address it saw last.
    client.post("/", form_data(email="a@example.com"), HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7")
    spoofed = client.post("/", form_data(email="b@example.com"), HTTP_X_FORWARDED_FOR="10.1.1.1, 203.0.113.7")
    other = client.post("/", form_data(email="c@example.com"), HTTP_X_FORWARDED_FOR="203.0.113.8")

    assert spoofed.status_code == 429
    assert other.status_code == 303


# --- Concurrency ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_fifty_identical_submissions_at_once_give_one_lead_and_the_same_answer(settings):
    settings.INTAKE_RATE = "1000/minute"
    barrier = threading.Barrier(50)
    statuses, errors = [], []

    def submit():
        try:
            client = Client()
            data = form_data()
            barrier.wait()
            statuses.append(client.post("/", data).status_code)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert statuses == [303] * 50
    assert Lead.objects.count() == 1
    # Each kept its own resume, waiting for the worker to record the 49 resubmissions.
    assert len(stored_files(settings)) == 50
    assert DBTaskResult.objects.filter(task_path="leads.worker.fanout.process_application").count() == 50


def test_malformed_upload_is_a_400_not_a_server_error(client):
    response = client.generic(
        "POST", "/", b"--xyz\r\nContent-Disposition: form-data; name=", content_type="multipart/form-data"
    )

    assert response.status_code == 400


def test_unparseable_intake_rate_fails_the_system_check(settings):
    settings.INTAKE_RATE = "ten a minute"

    assert [error.id for error in check_intake_rate()] == ["leads.E001"]


@pytest.mark.parametrize(
    ("rate", "parsed"), [("10/minute", (10, 60)), ("5/hours", (5, 3600)), ("1/s", (1, 1))]
)
def test_rates_are_read_in_the_usual_units(rate, parsed):
    assert (parse_rate(rate).limit, parse_rate(rate).period) == parsed


def test_ipv6_clients_are_counted_per_64_block(client, settings):
    settings.INTAKE_RATE = "1/minute"
    client.post("/", form_data(email="a@example.com"), REMOTE_ADDR="2001:db8:1:2::10")

    response = client.post("/", form_data(email="b@example.com"), REMOTE_ADDR="2001:db8:1:2::99")

    assert response.status_code == 429


def test_upload_handler_limit_counts_all_files_of_a_request(settings):
    settings.RESUME_MAX_BYTES = 10
    handler = SizeLimitUploadHandler()
    handler.new_file("resume", "one.pdf", "application/pdf", 100)
    handler.receive_data_chunk(b"x" * 8, 0)
    assert handler.file_complete(8) is None

    handler.new_file("resume", "two.pdf", "application/pdf", 100)
    passed = handler.receive_data_chunk(b"x" * 8, 0)

    assert passed is None
    assert handler.file_complete(8).size == 8


def test_email_with_a_non_ascii_domain_sent_twice_is_one_lead_not_a_server_error(client):
    client.post("/", form_data(email="jane@Éxample.com"))

    response = client.post("/", form_data(email="jane@Éxample.com"))

    assert response.status_code == 303
    assert Lead.objects.count() == 1


@pytest.mark.django_db(transaction=True)  # autocommit as in production
def test_the_rate_limit_costs_an_accepted_submission_one_query(client):
    # Issue 12's budget is 4 queries per accepted submission, the limiter's one included.
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/", form_data())

    assert response.status_code == 303
    sql = statements(captured)
    assert [query for query in sql if "ratelimitbucket" in query] == [sql[0]]


def test_the_service_reuses_the_forms_verdict_on_an_upload_instead_of_checking_it_again():
    # The form checks the upload for its field error and the service before storing it; the
    # second check reuses the first one's verdict instead of sending the file to a checker again.
    upload = resume()
    form = IntakeForm(
        {"first_name": "Jane", "last_name": "Doe", "email": "jane@example.com"}, {"resume": upload}
    )
    assert form.is_valid()
    upload.file = io.BytesIO(documents.javascript_pdf())  # what a second check would refuse

    lead = services.submit_lead(**form.cleaned_data, resubmit_duplicates=True)

    assert lead.resume.name.endswith(".pdf")


@pytest.mark.django_db(transaction=True)  # autocommit as in production
def test_a_submission_past_the_rate_costs_one_query(client, settings):
    settings.INTAKE_RATE = "1/minute"
    client.post("/", form_data(email="a@example.com"))

    with CaptureQueriesContext(connection) as captured:
        response = client.post("/", form_data(email="b@example.com"))

    assert response.status_code == 429
    assert len(statements(captured)) == 1  # the limiter's upsert, nothing else
