"""Issue 25 in Debian's Chromium with JavaScript on: the page shows only the chosen area's
questions and the conditional ones that apply, live; errors beside each question; axe-core.
Screenshots at 1280 and 390 px go to SHOTS (looked at by hand, never committed)."""

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from leads.models import Lead
from leads.tests.documents import MINIMAL_PDF
from leads.tests.intake_questions import make_form
from leads.tests.mail import run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/intake-question-shots"))


def serious_axe_violations(page) -> list[str]:
    found = Axe().run(page).response["violations"]
    return [
        f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in found
        if v["impact"] in {"serious", "critical"}
    ]


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def form(db):
    return make_form()


def fill_contact(page) -> None:
    page.get_by_label("First name").fill("Jane")
    page.get_by_label("Last name").fill("Doe")
    page.get_by_label("Email address").fill("jane@example.com")
    page.get_by_label("Resume").set_input_files(
        {"name": "cv.pdf", "mimeType": "application/pdf", "buffer": MINIMAL_PDF}
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_a_prospect_sees_only_what_applies_and_applies_with_javascript_on(
    chromium, live_server, form, width, smtp
):
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(live_server.url + "/?practice_area=immigration")

    court = page.get_by_label("When is your next court date?")
    assert page.get_by_text("A visa").is_visible()
    assert not page.get_by_text("Are there children involved?").is_visible()  # another area's
    assert not court.is_visible()  # applies to removal only
    assert not page.get_by_text("Answer only if").first.is_visible()  # the no-JS notes

    page.get_by_label("Removal proceedings").check()
    assert court.is_visible()
    shot(page, f"intake-area-chosen-{width}")
    assert serious_axe_violations(page) == []

    fill_contact(page)
    page.get_by_role("button", name="Send application").click()
    assert page.get_by_text("Please correct the following").is_visible()
    assert page.locator(f"#id_q{form['court'].pk}_error").is_visible()
    assert page.get_by_label("Removal proceedings").is_checked()  # answers kept
    shot(page, f"intake-errors-{width}")
    assert serious_axe_violations(page) == []

    page.get_by_label("When is your next court date?").fill("2026-03-02")
    page.get_by_label("Resume").set_input_files(
        {"name": "cv.pdf", "mimeType": "application/pdf", "buffer": MINIMAL_PDF}
    )
    page.get_by_role("button", name="Send application").click()
    page.wait_for_url(live_server.url + "/thanks/")
    context.close()

    run_worker()
    lead = Lead.objects.get()
    assert dict(lead.answers.values_list("key", "value")) == {"matter": "removal", "court_date": "2026-03-02"}


def test_with_javascript_off_every_question_is_on_the_page(chromium, live_server, form):
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(live_server.url + "/?practice_area=family")
    assert page.get_by_text("Are there children involved?").is_visible()
    assert page.get_by_label("When is your next court date?").is_visible()
    assert page.get_by_text("Answer only if you answered").is_visible()
    shot(page, "intake-javascript-off-1280")
    context.close()


def test_the_attorneys_pages_show_the_answers_and_pass_axe(chromium, live_server, form):
    from accounts.tests.factories import AttorneyFactory
    from leads import services
    from leads.models import check_answers
    from leads.tests.test_attorney_screens_browser import log_in
    from leads.tests.test_intake import resume

    kept, _ = check_answers(area=form["immigration"], raw={"matter": "removal", "court_date": "2026-03-02"})
    lead = services.submit_lead(
        first_name="Ana",
        last_name="Diaz",
        email="ana@example.com",
        resume=resume(),
        practice_area=form["immigration"],
        answers=kept,
    )
    attorney = AttorneyFactory(username="ada", is_superuser=True)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server, attorney, then=f"/admin/leads/lead/{lead.pk}/change/")
    assert page.get_by_role("heading", name="Intake answers").is_visible()
    assert page.get_by_text("When is your next court date?").is_visible()
    shot(page, "admin-lead-answers-1280")
    assert serious_axe_violations(page) == []
    for name, path in [
        ("admin-lead-list-1280", "/admin/leads/lead/?practice_area=immigration"),
        ("admin-dashboard-1280", "/admin/leads/lead/dashboard/"),
        ("admin-practice-area-1280", f"/admin/leads/practicearea/{form['immigration'].pk}/change/"),
        ("admin-index-1280", "/admin/"),
    ]:
        page.goto(live_server.url + path)
        shot(page, name)
        assert serious_axe_violations(page) == [], name
    context.close()
