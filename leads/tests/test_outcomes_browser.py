"""An attorney's journey in a real browser at 1280 px: close a lead as declined with the
non-engagement letter, see it on the timeline, delete a lead and restore it from the Trash;
axe-core on each page. Screenshots go to SHOTS_DIR (default test-artifacts/)."""

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from conftest import ARTIFACTS, PASSWORD
from leads import services
from leads.models import Delivery, Lead
from leads.tests.factories import MINIMAL_PDF
from leads.tests.mail import run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("SHOTS_DIR") or ARTIFACTS)


def submit(first_name: str, last_name: str, email: str, source: str = "") -> Lead:
    resume = SimpleUploadedFile("cv.pdf", MINIMAL_PDF, content_type="application/pdf")
    return services.submit_lead(
        first_name=first_name, last_name=last_name, email=email, resume=resume, source=source
    )


def log_in(page, live_server, user, then: str = "/admin/leads/lead/") -> None:
    page.goto(f"{live_server.url}/admin/login/?next={then}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"**{then}")


def serious_axe_violations(page) -> list[str]:
    found = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in found
        if v["impact"] in {"serious", "critical"}
    ]


def screenshot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_close_as_declined_with_a_letter_then_restore_a_trashed_lead(page, live_server, smtp, settings):
    settings.ALLOWED_HOSTS = ["*"]
    partner = UserFactory(username="partner", full_name="Pat Partner", is_staff=True, is_superuser=True)
    lead = submit("Grace", "Hopperfield", "grace@navy.example", source="newsletter")
    other = submit("Alan", "Turing", "alan@bletchley.example", source="ads")
    run_worker()

    log_in(page, live_server, partner)
    page.click("text=Grace Hopperfield")
    outcome = page.locator(".lead-outcome")
    expect(outcome).to_contain_text("Close this lead")
    screenshot(page, "lead-page-outcome-buttons")
    assert serious_axe_violations(page) == []

    page.fill("#lead-outcome-reason", "Conflict of interest")
    page.check("#lead-outcome-letter")
    outcome.get_by_role("button", name="Declined").click()
    expect(page.locator(".messagelist")).to_contain_text("Closed as declined")
    run_worker()
    page.reload()
    expect(page.locator(".lead-outcome")).to_contain_text("Outcome: Declined")
    timeline = page.locator("#timeline")
    expect(timeline.locator('[data-type="status_changed"]')).to_contain_text("Reason: Conflict of interest")
    expect(
        timeline.locator('[data-type="delivery"]').filter(has_text="Non-engagement letter")
    ).to_contain_text("Sent")
    screenshot(page, "lead-page-closed-with-letter")
    assert serious_axe_violations(page) == []
    assert Delivery.objects.get(lead=lead, kind=Delivery.Kind.LETTER).status == Delivery.Status.SENT
    assert len(smtp.to("grace@navy.example")) == 2  # the confirmation, then the letter

    page.goto(f"{live_server.url}/admin/leads/lead/{other.pk}/delete/")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/leads/lead/")
    page.goto(f"{live_server.url}/admin/leads/trashedlead/")
    expect(page.locator("#result_list")).to_contain_text("Alan Turing")
    screenshot(page, "trash")
    assert serious_axe_violations(page) == []
    page.locator(f'input[name="_selected_action"][value="{other.pk}"]').check()
    page.select_option("select[name=action]", "restore_selected")
    page.click("button[name=index]")
    expect(page.locator(".messagelist")).to_contain_text("1 lead restored.")
    page.goto(f"{live_server.url}/admin/leads/lead/{other.pk}/change/")
    expect(page.locator("#timeline")).to_contain_text("Restored from the trash")

    page.goto(f"{live_server.url}/admin/leads/lead/dashboard/")
    expect(page.locator(".lead-conversion")).to_contain_text("newsletter")
    screenshot(page, "dashboard-conversion")
    assert serious_axe_violations(page) == []
