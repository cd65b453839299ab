"""The lead page as an attorney works it, in Chromium at 1280 px: every link on it opens, no
action drops what was typed elsewhere unasked, axe finds nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from accounts.tests.factories import AttorneyFactory
from leads import services
from leads.models import Lead, Resubmission
from leads.tests.factories import MINIMAL_PDF, FailedEmailFactory
from leads.tests.test_attorney_screens_browser import axe_violations, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worked_lead(db):
    """A lead with some history: assigned, a note, reached out, a failed email, a resubmission."""
    alice = AttorneyFactory(username="alice", full_name="Alice Ames")
    resume = SimpleUploadedFile("cv.pdf", MINIMAL_PDF, content_type="application/pdf")
    lead = services.submit_lead(
        first_name="Grace", last_name="Hopperfield", email="grace@navy.example", resume=resume
    )
    services.assign_leads(leads=Lead.objects.filter(pk=lead.pk), to=alice, by=alice)
    services.add_note(lead=lead, author=alice, body="Called.\nShe writes back on Friday.")
    services.reach_out(lead=lead, by=alice)
    FailedEmailFactory(lead=lead)
    Resubmission.objects.create(lead=lead, resume=lead.resume.name)
    return alice, lead


def test_every_link_on_the_lead_page_opens_for_an_attorney(page, live_server, worked_lead):
    alice, lead = worked_lead
    log_in(page, live_server, alice, then=f"/admin/leads/lead/{lead.pk}/change/")

    hrefs = page.eval_on_selector_all(
        "#content a[href], #header a[href], .breadcrumbs a[href]", "links => links.map(a => a.href)"
    )
    opened = {}
    for href in sorted({h.split("#")[0] for h in hrefs if h.startswith(live_server.url)}):
        if href.endswith("/logout/"):
            continue
        response = page.request.get(href)
        opened[href.removeprefix(live_server.url)] = response.status
    assert len(opened) >= 8
    assert {url: status for url, status in opened.items() if status >= 400} == {}


def test_an_action_asks_before_it_drops_a_typed_note(page, live_server, worked_lead):
    alice, _ = worked_lead
    pending = services.submit_lead(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@engine.example",
        resume=SimpleUploadedFile("cv.pdf", MINIMAL_PDF, content_type="application/pdf"),
    )
    log_in(page, live_server, alice, then=f"/admin/leads/lead/{pending.pk}/change/")
    page.fill("#lead-note-body", "Left a voicemail.")
    questions = []

    def decline(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    page.click(".lead-reach-out__button")

    assert "Add a note" in questions[0]
    expect(page.locator("#lead-note-body")).to_have_value("Left a voicemail.")
    pending.refresh_from_db()
    assert pending.status == Lead.Status.PENDING


def test_the_lead_page_has_no_accessibility_violations(page, live_server, worked_lead):
    alice, lead = worked_lead
    log_in(page, live_server, alice, then=f"/admin/leads/lead/{lead.pk}/change/")
    screenshot(page, "workspace_lead_page_1280")

    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280


def test_the_deliveries_list_fits_a_laptop_screen(page, live_server, worked_lead):
    alice, lead = worked_lead
    for n in range(8):
        FailedEmailFactory(
            lead=lead,
            recipient=f"maximiliana.montgomery-worthington{n}@international-law-example.com",
            last_error="550 5.1.1 <desk@firm.example>: Recipient address rejected: User unknown in table",
        )
    log_in(page, live_server, alice, then="/admin/leads/delivery/")
    screenshot(page, "workspace_deliveries_1280")

    results = page.locator("#changelist .results")
    assert results.evaluate("el => el.scrollWidth <= el.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert axe_violations(page) == []


def test_the_lead_list_and_dashboard_have_no_accessibility_violations(page, live_server, worked_lead):
    alice, _ = worked_lead
    log_in(page, live_server, alice)
    screenshot(page, "workspace_lead_list_1280")
    assert axe_violations(page) == []

    page.goto(f"{live_server.url}/admin/leads/lead/dashboard/")
    screenshot(page, "workspace_dashboard_1280")
    assert axe_violations(page) == []

    page.goto(f"{live_server.url}/admin/")
    screenshot(page, "workspace_admin_home_1280")
    assert axe_violations(page) == []
