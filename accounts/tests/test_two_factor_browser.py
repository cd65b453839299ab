"""An attorney turns on two-factor sign-in in a real browser, under the CSP, JavaScript or not."""

import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from accounts.tests.factories import AttorneyFactory
from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def code_for(secret: str, *, steps: int = 0) -> str:
    """What an authenticator app shows for the key typed in from the page."""
    totp = TOTP(b32decode(secret.replace(" ", "")))
    totp.time = time.time() + steps * 30
    return f"{totp.token():06d}"


def sign_in(page, base: str, username: str, otp: str = "") -> None:
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    if otp:
        page.fill("#id_otp", otp)
    page.click("input[type=submit]")


def test_attorney_enrols_an_authenticator_and_then_signs_in_with_its_code(page, live_server):
    attorney = AttorneyFactory()
    blocked = []
    page.on(
        "console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None
    )

    sign_in(page, live_server.url, attorney.username)
    page.get_by_role("link", name="Two-factor sign-in").click()
    expect(page.locator("svg.two-factor__qr")).to_be_visible()
    secret = page.locator(".two-factor__secret").inner_text()
    page.fill("#id_otp", code_for(secret))
    page.get_by_role("button", name="Confirm").click()

    expect(page.locator(".messagelist")).to_contain_text("Two-factor sign-in is on")
    page.get_by_role("button", name="Log out").click()
    sign_in(page, live_server.url, attorney.username)
    expect(page.locator(".errornote")).to_contain_text("the code from your authenticator app")
    sign_in(page, live_server.url, attorney.username, otp=code_for(secret, steps=1))
    page.wait_for_url(f"{live_server.url}/admin/")
    assert blocked == []


def test_enrolment_works_with_javascript_off(chromium, live_server):
    attorney = AttorneyFactory()
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, attorney.username)
        page.goto(f"{live_server.url}/admin/account/two-factor/")
        secret = page.locator(".two-factor__secret").inner_text()
        page.fill("#id_otp", code_for(secret))
        page.get_by_role("button", name="Confirm").click()

        expect(page.locator(".messagelist")).to_contain_text("Two-factor sign-in is on")
    finally:
        context.close()
