"""An attorney's day in a real browser: log in, find a lead, mark it, download the resume."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import AttorneyFactory
from conftest import PASSWORD
from leads import services
from leads.tests.documents import MINIMAL_PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def submitted_lead():
    """A lead as the intake creates it, resume included."""
    return services.submit_lead(
        first_name="Grace",
        last_name="Hopperfield",
        email="grace@navy.example",
        resume=SimpleUploadedFile("cv.pdf", MINIMAL_PDF, content_type="application/pdf"),
    )


def test_attorney_marks_a_lead_reached_out_and_downloads_its_resume(page, live_server, submitted_lead):
    attorney = AttorneyFactory()
    services.submit_lead(
        first_name="Alan",
        last_name="Turing",
        email="alan@bletchley.example",
        resume=SimpleUploadedFile("cv.pdf", MINIMAL_PDF, content_type="application/pdf"),
    )

    blocked = []
    page.on(
        "console",
        lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None,
    )

    page.goto(f"{live_server.url}/admin/login/?next=/admin/leads/lead/")
    page.fill("#id_username", attorney.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    page.fill("#searchbar", "hopperfield")
    page.press("#searchbar", "Enter")
    page.wait_for_url("**/admin/leads/lead/?q=hopperfield")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    row = rows.first
    assert "Grace Hopperfield" in row.inner_text()

    row.locator("input[name=_selected_action]").check()
    page.select_option("select[name=action]", "mark_reached_out")
    page.click("button[name=index]")

    assert (
        "1 lead marked as reached out; 0 were already reached out."
        in page.locator(".messagelist").inner_text()
    )
    row = page.locator("#result_list tbody tr").first
    assert row.locator(".lead-status").get_attribute("data-status") == "REACHED_OUT"
    submitted_lead.refresh_from_db()
    shown = timezone.localtime(submitted_lead.reached_out_at).strftime("%-d %b %Y, %H:%M %Z")
    assert row.locator("td.field-reached_out").inner_text() == f"{shown} by {attorney.username}"

    row.locator("th.field-name a").click()
    with page.expect_download() as download_info:
        page.click("a.lead-resume-link")
    download = download_info.value
    assert download.suggested_filename == "Grace_Hopperfield_resume.pdf"
    assert Path(download.path()).read_bytes() == MINIMAL_PDF
    assert blocked == []


def test_dashboard_renders_its_chart_under_the_strict_csp(page, live_server, submitted_lead):
    attorney = AttorneyFactory()
    blocked = []
    page.on(
        "console",
        lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None,
    )

    page.goto(f"{live_server.url}/admin/login/?next=/admin/leads/lead/dashboard/")
    page.fill("#id_username", attorney.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    page.wait_for_selector("svg.lead-chart")
    assert page.locator("rect.lead-chart__bar").count() == 13
    # The bars are coloured by static/css/admin-leads.css, so the stylesheet was allowed.
    assert (
        page.locator("rect.lead-chart__bar").last.evaluate("bar => getComputedStyle(bar).fill")
        != "rgb(0, 0, 0)"
    )
    assert blocked == []
