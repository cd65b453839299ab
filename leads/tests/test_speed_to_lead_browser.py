"""Speed to lead in a real browser at 1280 px: an overdue lead's page (its escalation on the
timeline) and the dashboard's share reached in time, each with axe-core finding nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import AttorneyFactory
from leads.tests.factories import LeadFactory
from leads.tests.test_attorney_screens_browser import axe_violations, log_in, screenshot
from leads.worker import followups

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def always_open(settings):
    settings.FIRM_HOURS = "mon-sun 00:00-24:00"
    settings.LEAD_RESPONSE_TARGET_MINUTES = 60
    settings.LEAD_ESCALATE_TO = []


def test_an_overdue_leads_page_says_how_late_it_is_and_shows_its_escalation(page, live_server):
    alice = AttorneyFactory(username="alice", full_name="Alice Ames")
    due = timezone.now() - timedelta(hours=2, minutes=20)
    lead = LeadFactory(
        first_name="Grace",
        last_name="Hopperfield",
        assigned_to=alice,
        created_at=due - timedelta(hours=1),
        response_due_at=due,
        next_follow_up_at=due,
    )
    followups.periodic_pass()

    log_in(page, live_server, alice, then=f"/admin/leads/lead/{lead.pk}/change/")
    expect(page.locator("#response-due")).to_contain_text("Overdue by 2 h 20 min")
    expect(page.locator("#timeline")).to_contain_text("Overdue lead escalation")
    screenshot(page, "speed_to_lead_overdue_lead")
    assert axe_violations(page) == []


def test_the_dashboard_shows_the_share_reached_within_target(page, live_server):
    alice = AttorneyFactory(username="alice", full_name="Alice Ames")
    now = timezone.now()
    for reached_after in (20, 90, None):
        created = now - timedelta(days=2)
        LeadFactory(
            assigned_to=alice,
            created_at=created,
            response_due_at=created + timedelta(hours=1),
            reached_out_at=None if reached_after is None else created + timedelta(minutes=reached_after),
        )

    log_in(page, live_server, alice, then="/admin/leads/lead/dashboard/")
    expect(page.locator('[data-within-target="alice"]')).to_contain_text("33 %")
    screenshot(page, "speed_to_lead_dashboard")
    assert axe_violations(page) == []
