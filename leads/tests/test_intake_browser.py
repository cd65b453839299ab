"""The prospect's form in Debian's Chromium, against the live server."""

import re

import pytest

from conftest import ARTIFACTS
from leads.intake.forms import HONEYPOT_FIELD
from leads.models import Lead
from leads.tests.documents import MINIMAL_PDF
from leads.tests.factories import LeadFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pdf(name: str = "resume.pdf", content: bytes = MINIMAL_PDF) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": content}


def fill(page, *, email: str = "jane@example.com", resume: dict | None = None) -> None:
    page.get_by_label("First name").fill("Jane")
    page.get_by_label("Last name").fill("Doe")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Resume").set_input_files(resume or pdf())


def test_prospect_applies_and_sees_the_thanks_page(page, live_server):
    page.goto(live_server.url + "/?utm_source=newsletter")
    fill(page)
    page.get_by_role("button", name="Send application").click()

    page.wait_for_url(live_server.url + "/thanks/")
    assert page.get_by_role("heading", name="Thank you, we have your application").is_visible()
    lead = Lead.objects.get()
    assert (lead.first_name, lead.email, lead.source) == ("Jane", "jane@example.com", "newsletter")


def test_page_is_styled_from_its_own_stylesheet(page, live_server):
    page.goto(live_server.url + "/")

    background = page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor")
    assert background == "rgb(21, 42, 69)"


def test_honeypot_is_invisible_and_skipped_by_the_keyboard(page, live_server):
    page.goto(live_server.url + "/")

    assert page.locator(f"#id_{HONEYPOT_FIELD}").bounding_box()["x"] < 0  # off screen
    visited = []
    for _ in range(9):
        page.keyboard.press("Tab")
        visited.append(
            page.evaluate(
                "document.activeElement.id || document.activeElement.className"
                " || 'lang:' + document.activeElement.getAttribute('lang')"
            )
        )
    assert visited == [
        "skip-link",
        "brand",
        "lang:en",
        "lang:es",
        "id_first_name",
        "id_last_name",
        "id_email",
        "id_resume",
        "button",
    ]


def test_file_that_is_not_a_document_is_refused_and_the_field_focused(page, live_server):
    page.goto(live_server.url + "/")
    fill(page, resume=pdf("cv.pdf", b"this is plain text pretending"))
    page.get_by_role("button", name="Send application").click()

    page.wait_for_load_state()
    assert (
        page.locator("#id_resume_error")
        .inner_text()
        .endswith(
            "This file's name says PDF, but its content is not a PDF. Save or export it again as a PDF, "
            "DOC or DOCX file and upload that."
        )
    )
    assert page.evaluate("document.activeElement.id") == "id_resume"
    assert page.get_by_label("First name").input_value() == "Jane"
    assert Lead.objects.count() == 0


def apply_as_a_new_visitor(chromium, live_server, email: str) -> list[tuple]:
    """Fill in and send the form in a fresh browser; the POST's and the thanks page's answers,
    without their request id and date (the server's clock, not the applicant)."""
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        fill(page, email=email)
        answers = []
        page.on("response", lambda answer: answers.append(answer))
        page.get_by_role("button", name="Send application").click()
        page.wait_for_url(live_server.url + "/thanks/")
        posted = next(answer for answer in answers if answer.request.method == "POST")
        thanks = next(answer for answer in answers if answer.url == live_server.url + "/thanks/")
        skip = {"x-request-id", "date"}
        return [
            (answer.status, {k: v for k, v in answer.all_headers().items() if k not in skip}, body)
            for answer, body in [(posted, b""), (thanks, thanks.body())]
        ]
    finally:
        context.close()


def test_a_known_address_gets_exactly_the_answers_a_new_one_gets(chromium, live_server):
    LeadFactory(email="jane@example.com")

    new = apply_as_a_new_visitor(chromium, live_server, "someone.new@example.com")
    known = apply_as_a_new_visitor(chromium, live_server, "JANE@example.com")

    assert new == known
    assert new[0][0] == 303 and new[1][0] == 200
    assert Lead.objects.count() == 2  # the known address inserted nothing; the worker records it


def test_form_works_at_phone_width_without_sideways_scrolling(page, live_server):
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(live_server.url + "/")

    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    box = page.get_by_role("button", name="Send application").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "intake_phone_width_form.png"), full_page=True)
    fill(page)
    page.get_by_role("button", name="Send application").click()
    page.wait_for_url(live_server.url + "/thanks/")
    assert Lead.objects.count() == 1


def test_form_works_with_javascript_off(chromium, live_server):
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 375, "height": 812})
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        page.get_by_label("First name").fill("Jane")
        page.get_by_label("Last name").fill("Doe")
        page.get_by_label("Email address").fill("not-an-email")
        page.get_by_label("Resume").set_input_files(pdf())
        page.get_by_role("button", name="Send application").click()
        page.wait_for_load_state()
        assert re.search("Enter a valid email address", page.locator("#id_email_error").inner_text())

        page.get_by_label("Email address").fill("jane@example.com")
        page.get_by_label("Resume").set_input_files(pdf())
        page.get_by_role("button", name="Send application").click()
        page.wait_for_url(live_server.url + "/thanks/")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "intake_javascript_off_thanks.png"), full_page=True)
    finally:
        context.close()
    assert Lead.objects.get().email == "jane@example.com"


def test_flooded_form_answers_with_a_page_saying_when_to_try_again(page, live_server, settings):
    settings.INTAKE_RATE = "1/minute"
    page.goto(live_server.url + "/")
    fill(page)
    page.get_by_role("button", name="Send application").click()
    page.wait_for_url(live_server.url + "/thanks/")

    page.goto(live_server.url + "/")
    fill(page, email="again@example.com")
    with page.expect_response(live_server.url + "/") as answer:
        page.get_by_role("button", name="Send application").click()

    assert answer.value.status == 429
    assert page.get_by_role("heading", name="Too many attempts").is_visible()
    assert "Please try again in" in page.locator("main").inner_text()
    assert Lead.objects.count() == 1
