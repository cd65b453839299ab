"""Resume text, end to end: real files read by the real worker (`db_worker --batch`), then
found by the API's resume_search and the admin search, and shown on the lead page.

The integrator's intake fan-out will queue `extract_resume_text` itself; until it lands,
these tests queue it the way it will (one task per lead id) and run the worker.
"""

import logging
import re
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from conftest import token_client
from leads.models import Lead
from leads.tests.documents import (
    docx,
    docx_bomb,
    docx_with_paragraphs,
    pdf,
    pdf_stream_bomb,
    pdf_with_pages,
    pdf_with_text,
    stream,
)
from leads.tests.factories import LeadFactory
from leads.tests.mail import run_worker
from leads.worker.resume_text import MAX_CHARS, MAX_PAGES, extract_resume_text

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/leads/"
LIST_URL = "/admin/leads/lead/"
RESUME = "Paralegal, eight years of patent litigation.\nSkills: Westlaw, {word}, e-discovery."


def lead_with(content: bytes, name: str = "resume.pdf", **fields) -> Lead:
    return LeadFactory(resume=ContentFile(content, name=name), **fields)


def read_in_worker(*leads: Lead) -> None:
    """Queue the extraction of each lead, as the intake fan-out does, and run the worker."""
    for lead in leads:
        extract_resume_text.enqueue(str(lead.pk))
    run_worker()


def api_ids(client, **params) -> list[str]:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return [lead["id"] for lead in response.json()["results"]]


def admin_ids(client, query: str) -> list[str]:
    response = client.get(LIST_URL, {"q": query})
    assert response.status_code == 200
    return re.findall(r'name="_selected_action" value="([0-9a-f-]{36})"', response.content.decode())


def slow_pdf() -> bytes:
    """One small page whose content stream keeps pypdf busy for ~12 s on a fast 2-core machine
    (600,000 operators; 200,000 took 2.8 s there, under the test's 3 s limit)."""
    content = b"BT /F1 12 Tf " + b"(a) Tj " * 600_000 + b"ET"
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            stream(content, compress=True),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


# --- found once the worker ran --------------------------------------------------------------


def test_a_resubmissions_resume_is_read_and_found_with_its_lead(client, attorney_client, attorney, settings):
    settings.ATTORNEY_NOTIFY_EMAILS = ["desk@firm.example"]
    first = SimpleUploadedFile("cv.pdf", pdf_with_text(RESUME.format(word="Relativity")))
    again = SimpleUploadedFile("cv2.pdf", pdf_with_text(RESUME.format(word="quokkaology")))
    fields = {"first_name": "Jane", "last_name": "Doe", "email": "jane@example.com"}
    assert client.post("/", fields | {"resume": first}).status_code == 303
    assert client.post("/", fields | {"resume": again}).status_code == 303

    run_worker()  # the fan-outs queue both readings, which run in the same batch

    lead = Lead.objects.get()
    assert "quokkaology" in lead.resubmissions.get().resume_text
    assert "quokkaology" not in lead.resume_text
    assert api_ids(token_client(attorney), resume_search="quokkaology") == [str(lead.pk)]
    assert admin_ids(attorney_client, "quokkaology") == [str(lead.pk)]


def test_a_pdfs_unique_word_is_found_by_resume_search_once_the_worker_ran(integration_client):
    wanted = lead_with(pdf_with_text(RESUME.format(word="quillwort")))
    lead_with(pdf_with_text(RESUME.format(word="bracken")))
    assert api_ids(integration_client, resume_search="quillwort") == []

    read_in_worker(*Lead.objects.all())

    assert api_ids(integration_client, resume_search="quillwort") == [str(wanted.pk)]


def test_a_docx_unique_word_is_found_by_resume_search_once_the_worker_ran(integration_client):
    wanted = lead_with(docx_with_paragraphs(RESUME.format(word="quillwort").splitlines()), "cv.docx")
    lead_with(docx_with_paragraphs(RESUME.format(word="bracken").splitlines()), "cv.docx")

    read_in_worker(*Lead.objects.all())

    assert api_ids(integration_client, resume_search="quillwort") == [str(wanted.pk)]


def test_the_admin_search_finds_a_pdf_by_a_word_of_its_resume(attorney_client):
    wanted = lead_with(pdf_with_text(RESUME.format(word="quillwort")))
    lead_with(pdf_with_text(RESUME.format(word="bracken")))

    read_in_worker(*Lead.objects.all())

    assert admin_ids(attorney_client, "quillwort") == [str(wanted.pk)]


def test_the_admin_search_finds_a_docx_by_a_word_of_its_resume(attorney_client):
    wanted = lead_with(docx_with_paragraphs(RESUME.format(word="quillwort").splitlines()), "cv.docx")
    lead_with(docx_with_paragraphs(RESUME.format(word="bracken").splitlines()), "cv.docx")

    read_in_worker(*Lead.objects.all())

    assert admin_ids(attorney_client, "quillwort") == [str(wanted.pk)]


def test_the_admin_search_box_still_finds_names_beside_resume_words(attorney_client):
    by_name = lead_with(pdf_with_text("Nothing relevant here."), last_name="Quillworth")
    by_resume = lead_with(pdf_with_text(RESUME.format(word="quillworth")), last_name="Brown")
    lead_with(pdf_with_text("Other words."), last_name="Green")

    read_in_worker(*Lead.objects.all())

    assert set(admin_ids(attorney_client, "quillworth")) == {str(by_name.pk), str(by_resume.pk)}


@pytest.mark.postgres_only(reason="ranking is PostgreSQL full-text search")
def test_without_ordering_the_best_resume_match_comes_first(integration_client):
    once = lead_with(pdf_with_text("Trademarks and contracts. Patent filings once."))
    often = lead_with(pdf_with_text("Patent agent: patent drafting, patent prosecution, patents."))
    read_in_worker(once, often)
    Lead.objects.filter(pk=often.pk).update(created_at=once.created_at.replace(year=2020))

    assert api_ids(integration_client, resume_search="patent") == [str(often.pk), str(once.pk)]
    assert api_ids(integration_client, resume_search="patent", ordering="-created_at") == [
        str(once.pk),
        str(often.pk),
    ]


@pytest.mark.postgres_only(reason="websearch syntax is PostgreSQL's")
def test_resume_search_takes_websearch_phrases_and_exclusions(integration_client):
    engineer = lead_with(pdf_with_text("Machine learning engineer, senior."))
    intern = lead_with(pdf_with_text("Machine learning intern."))
    lead_with(pdf_with_text("Learning the machine shop trade."))
    read_in_worker(*Lead.objects.all())

    assert set(api_ids(integration_client, resume_search='"machine learning"')) == {
        str(engineer.pk),
        str(intern.pk),
    }
    assert api_ids(integration_client, resume_search='"machine learning" -intern') == [str(engineer.pk)]


# --- bounded: pages, characters, time, memory; the worker lives on ------------------------------


def test_a_10000_page_pdf_yields_only_its_first_50_pages():
    lead = lead_with(pdf_with_pages([f"Page{n:05d} of the bundle" for n in range(10_000)]))

    read_in_worker(lead)

    lead.refresh_from_db()
    assert lead.resume_text_state == Lead.TextState.READ
    assert f"Page{MAX_PAGES - 1:05d}" in lead.resume_text
    assert f"Page{MAX_PAGES:05d}" not in lead.resume_text


def test_the_text_stops_at_200000_characters():
    lead = lead_with(docx_with_paragraphs(["word " * 1_000] * 100), "long.docx")  # 500,000 characters

    read_in_worker(lead)

    lead.refresh_from_db()
    assert len(lead.resume_text) == MAX_CHARS


@pytest.mark.parametrize(
    ("build", "name"),
    [
        pytest.param(lambda: pdf_stream_bomb(megabytes=200), "bomb.pdf", id="pdf-stream"),
        pytest.param(lambda: docx_bomb(megabytes=200), "bomb.docx", id="docx-zip"),
    ],
)
def test_a_decompression_bomb_stops_at_the_bounds_and_the_worker_runs_the_next_task(build, name):
    bomb = lead_with(build(), name)
    after = lead_with(pdf_with_text(RESUME.format(word="quillwort")))

    read_in_worker(bomb, after)

    bomb.refresh_from_db()
    after.refresh_from_db()
    assert (bomb.resume_text_state, bomb.resume_text) == (Lead.TextState.EMPTY, "")
    assert "quillwort" in after.resume_text
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_a_resume_that_reads_too_long_is_killed_at_the_time_limit_and_the_worker_goes_on(settings):
    settings.RESUME_TEXT_TIMEOUT_SECONDS = 3  # the small PDF after it needs well under a second
    stalling = lead_with(slow_pdf())
    after = lead_with(pdf_with_text(RESUME.format(word="quillwort")))

    read_in_worker(stalling, after)

    stalling.refresh_from_db()
    after.refresh_from_db()
    assert stalling.resume_text_state == Lead.TextState.EMPTY
    assert stalling.resume_text_note == "Reading took longer than 3 s."
    assert "quillwort" in after.resume_text


def test_a_resume_needing_more_memory_than_allowed_is_stopped(settings):
    settings.RESUME_TEXT_MEMORY_MB = 100
    bomb = lead_with(pdf_stream_bomb(megabytes=200))

    read_in_worker(bomb)

    bomb.refresh_from_db()
    assert bomb.resume_text_note == "Reading needed more than 100 MiB."


def test_a_docx_declaring_entities_is_not_read():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p></w:body></w:document>"
    )
    lead = lead_with(docx(laughs), "laughs.docx")

    read_in_worker(lead)

    lead.refresh_from_db()
    assert (lead.resume_text, lead.resume_text_note) == ("", "The file could not be read.")


def test_a_doc_resume_is_recorded_as_having_no_readable_text():
    lead = lead_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024, "old.doc")

    read_in_worker(lead)

    lead.refresh_from_db()
    assert lead.resume_text_state == Lead.TextState.EMPTY
    assert lead.resume_text_note == "Word 97-2003 (.doc) files are not read."


def test_the_resume_text_never_reaches_the_logs_or_the_task_result(caplog):
    caplog.set_level(logging.DEBUG)
    lead = lead_with(pdf_with_text(RESUME.format(word="quillwort")))

    read_in_worker(lead)

    assert "quillwort" not in caplog.text
    assert list(DBTaskResult.objects.values_list("return_value", flat=True)) == ["READ"]


# --- the lead page --------------------------------------------------------------------------


def change_page(client, lead: Lead) -> str:
    response = client.get(f"{LIST_URL}{lead.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_lead_page_shows_the_text_escaped_under_the_download_link(attorney_client):
    lead = lead_with(pdf_with_text("Skills: <script>alert(1)</script> & Westlaw"))
    read_in_worker(lead)

    html = change_page(attorney_client, lead)

    assert "<script>alert(1)</script>" not in html
    block = re.search(r'<div class="lead-resume-text" tabindex="0">(.*?)</div>', html, re.S).group(1)
    assert block == "Skills: &lt;script&gt;alert(1)&lt;/script&gt; &amp; Westlaw"
    assert html.index("Download resume") < html.index('class="lead-resume-text"')


def test_the_lead_page_says_the_text_is_not_extracted_yet_before_the_worker_ran(attorney_client):
    lead = lead_with(pdf_with_text("Anything"))

    assert "Text not extracted yet." in change_page(attorney_client, lead)


def test_the_lead_page_says_no_text_could_be_read_from_an_empty_resume(attorney_client):
    lead = lead_with(pdf_with_pages([""]))
    read_in_worker(lead)

    html = change_page(attorney_client, lead)

    assert "No text could be read from this resume." in html
    assert "The file holds no text (a scanned image?)." in html


# --- the command ----------------------------------------------------------------------------


def test_extract_resume_text_missing_reads_only_leads_never_read():
    done = lead_with(pdf_with_text("Old text"))
    Lead.objects.filter(pk=done.pk).store_resume_text(text="Kept as it was")
    missing = lead_with(pdf_with_text(RESUME.format(word="quillwort")))
    out, err = StringIO(), StringIO()

    call_command("extract_resume_text", "--missing", stdout=out, stderr=err)

    assert "Read 1 resumes" in out.getvalue()
    assert "Reading resumes [" in err.getvalue()
    assert Lead.objects.get(pk=done.pk).resume_text == "Kept as it was"
    assert "quillwort" in Lead.objects.get(pk=missing.pk).resume_text


def test_extract_resume_text_without_missing_reads_every_lead_again():
    lead = lead_with(pdf_with_text(RESUME.format(word="quillwort")))
    Lead.objects.filter(pk=lead.pk).store_resume_text(text="Stale text")

    call_command("extract_resume_text", stdout=StringIO(), stderr=StringIO())

    assert "quillwort" in Lead.objects.get(pk=lead.pk).resume_text


# --- query budgets --------------------------------------------------------------------------


def test_resume_search_in_the_api_costs_a_fixed_number_of_queries(
    integration_client, django_assert_max_num_queries
):
    for n in range(25):
        lead = LeadFactory()
        Lead.objects.filter(pk=lead.pk).store_resume_text(text=f"Patent paralegal number {n}.")

    # 1 token with its user, 2-3 the user's and group permissions, 4 (PostgreSQL) the bounded
    # count deciding whether to rank, 5 the page's bounded count, 6 past 10,000 the
    # planner's estimate, 7 the page. Nothing per row.
    with django_assert_max_num_queries(7):
        response = integration_client.get(URL, {"resume_search": "patent", "page_size": 100})

    assert response.json()["count"] == 25


def test_the_admin_search_costs_a_fixed_number_of_queries(attorney_client, django_assert_max_num_queries):
    for n in range(60):
        lead = LeadFactory(last_name=f"Turner{n}")
        Lead.objects.filter(pk=lead.pk).store_resume_text(text=f"Patent paralegal number {n}.")

    # As the unsearched list (test_admin's budget of 11): the search adds no query.
    with django_assert_max_num_queries(11):
        response = attorney_client.get(LIST_URL, {"q": "patent"})

    assert len(re.findall(r'name="_selected_action"', response.content.decode())) == 50
