"""The admin search box in a real browser at 1280 px: an address typed in capitals with spaces
around it finds its lead, and the page has no axe-core findings."""

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import AttorneyFactory
from leads.tests.factories import LeadFactory
from leads.tests.test_attorney_screens_browser import axe_violations, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_attorney_finds_a_lead_by_its_address_typed_in_capitals(page, live_server):
    attorney = AttorneyFactory()
    LeadFactory(first_name="Grace", last_name="Hopper", email="grace.hopper@navy.example")
    LeadFactory(first_name="Joanna", last_name="Hopper", email="jo.grace.hopper@navy.example")
    LeadFactory(first_name="Alan", last_name="Turing", email="alan@bletchley.example")
    log_in(page, live_server, attorney)

    page.fill("#searchbar", "  GRACE.HOPPER@NAVY.EXAMPLE ")
    page.press("#searchbar", "Enter")
    page.wait_for_url("**/admin/leads/lead/?q=*")

    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    assert "Grace Hopper" in rows.first.inner_text()
    screenshot(page, "admin_search_by_address_1280")
    assert page.viewport_size["width"] == 1280
    assert axe_violations(page) == []
