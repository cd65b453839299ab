"""The admin's sign-in form, its second factor and the lockout, through the test client."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Permission
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.tests.factories import AttorneyFactory, TOTPDeviceFactory, UserFactory, totp_code
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = "/admin/login/"
ATTEMPTS_URL = "/admin/axes/accessattempt/"
GENERIC_ERROR = "Please enter the correct username and password for a staff account"


def sign_in(client, user, password=PASSWORD, *, address="127.0.0.1", **fields):
    data = {"username": user.username, "password": password, **fields}
    return client.post(LOGIN_URL, data, REMOTE_ADDR=address)


def test_login_page_has_a_heading_and_an_authenticator_code_field(client):
    body = client.get(LOGIN_URL).content.decode()

    assert "<h1>Sign in</h1>" in body
    assert 'name="otp"' in body
    assert 'autocomplete="one-time-code"' in body


def test_staff_without_an_authenticator_sign_in_with_username_and_password(client, attorney):
    response = sign_in(client, attorney, next="/admin/leads/lead/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/leads/lead/"


def test_an_authenticator_user_cannot_sign_in_to_the_admin_without_the_code(client, attorney):
    TOTPDeviceFactory(user=attorney)

    response = sign_in(client, attorney)

    assert response.status_code == 200
    assert GENERIC_ERROR in response.content.decode()
    assert client.get("/admin/").status_code == 302  # still signed out


def test_a_wrong_code_gets_the_same_answer_as_a_wrong_password(client, attorney):
    device = TOTPDeviceFactory(user=attorney)
    wrong_code = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"

    wrong_password = sign_in(client, attorney, password="not-it", otp=totp_code(device))
    wrong_otp = sign_in(client, attorney, otp=wrong_code)

    assert wrong_otp.status_code == wrong_password.status_code == 200
    assert wrong_otp.context["form"].errors == wrong_password.context["form"].errors


def test_an_authenticator_user_signs_in_with_the_current_code(client, attorney):
    device = TOTPDeviceFactory(user=attorney)

    response = sign_in(client, attorney, otp=totp_code(device), next="/admin/leads/lead/")

    assert response.status_code == 302
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get("/admin/leads/lead/").status_code == 200


def test_a_code_of_the_previous_time_step_is_still_accepted(client, attorney):
    device = TOTPDeviceFactory(user=attorney)

    assert sign_in(client, attorney, otp=totp_code(device, steps=-1)).status_code == 302


def test_a_wrong_code_counts_as_a_failed_sign_in(client, attorney):
    TOTPDeviceFactory(user=attorney)

    sign_in(client, attorney, otp="000000")

    assert AccessAttempt.objects.get(username=attorney.username).failures_since_start == 1


def test_the_fifth_failure_is_answered_as_a_failure_and_the_sixth_attempt_is_refused(client, attorney):
    for _ in range(4):
        sign_in(client, attorney, password="not-it")

    fifth = sign_in(client, attorney, password="not-it")
    sixth = sign_in(client, attorney)

    assert fifth.status_code == 200
    assert GENERIC_ERROR in fifth.content.decode()
    assert sixth.status_code == 429


def test_the_lockout_page_looks_like_the_admin_and_says_when_to_try_again(client, attorney):
    for _ in range(5):
        sign_in(client, attorney, password="not-it")

    response = sign_in(client, attorney)
    body = response.content.decode()

    assert response.status_code == 429
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60
    assert "<h1>Too many failed sign-ins</h1>" in body
    assert "admin/css/base.css" in body
    assert "Please try again in 14\xa0minutes" in body or "Please try again in 15\xa0minutes" in body
    assert "<style" not in body and " style=" not in body and "<script>" not in body
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_the_lockout_ends_login_lockout_minutes_after_the_last_failure(client, attorney):
    for _ in range(6):
        sign_in(client, attorney, password="not-it")
    attempt = AccessAttempt.objects.get(username=attorney.username)
    AccessAttempt.objects.filter(pk=attempt.pk).update(
        attempt_time=attempt.attempt_time - timedelta(minutes=15, seconds=1)
    )

    assert sign_in(client, attorney).status_code == 302


def test_failures_from_another_address_do_not_lock_this_one(client, attorney):
    for _ in range(6):
        sign_in(client, attorney, password="not-it", address="203.0.113.7")

    assert sign_in(client, attorney).status_code == 302


def test_ipv6_clients_in_one_64_block_share_a_count(client, attorney):
    for n in range(5):
        sign_in(client, attorney, password="not-it", address=f"2001:db8:0:1::{n + 1}")

    response = sign_in(client, attorney, address="2001:db8:0:1:ffff::1")

    assert response.status_code == 429
    assert AccessAttempt.objects.get().ip_address == "2001:db8:0:1::"


def test_a_failed_attempt_keeps_neither_the_password_nor_the_code(client, attorney):
    TOTPDeviceFactory(user=attorney)

    sign_in(client, attorney, password="secret-guess-1", otp="123456")

    stored = AccessAttempt.objects.get().post_data
    assert "secret-guess-1" not in stored
    assert "123456" not in stored


def test_superusers_see_failed_attempts_in_the_admin(admin_client, attorney, client):
    sign_in(client, attorney, password="not-it")

    body = admin_client.get(ATTEMPTS_URL).content.decode()

    assert attorney.username in body


def test_attorneys_cannot_see_sign_in_attempts_even_with_the_permission(client):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="axes"))
    client.force_login(staff)

    assert client.get(ATTEMPTS_URL).status_code == 403
    assert client.get("/admin/axes/accesslog/").status_code == 403
    assert "/admin/axes/" not in client.get("/admin/").content.decode()


def test_a_non_staff_user_with_the_right_password_is_not_signed_in(client):
    user = UserFactory()

    response = sign_in(client, user)

    assert response.status_code == 200
    assert GENERIC_ERROR in response.content.decode()


def test_successful_admin_sign_ins_are_logged_for_superusers(admin_client, client):
    attorney = AttorneyFactory()
    sign_in(client, attorney)

    body = admin_client.get("/admin/axes/accesslog/").content.decode()

    assert attorney.username in body
