"""Enrolling an authenticator app in the admin, removing it, and STAFF_2FA_REQUIRED."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import ApiToken, User
from accounts.tests.factories import TOTPDeviceFactory, totp_code
from conftest import PASSWORD, token_client

pytestmark = pytest.mark.django_db

URL = "/admin/account/two-factor/"
DEVICES_URL = "/admin/otp_totp/totpdevice/"


def signed_in(user, *, device: TOTPDevice | None = None, steps: int = 0) -> Client:
    """A new browser session of `user`, signed in at the admin's form (with the code `device`
    shows now, or `steps` time steps away: each is accepted once)."""
    client = Client()
    fields = {"otp": totp_code(device, steps=steps)} if device else {}
    response = client.post("/admin/login/", {"username": user.username, "password": PASSWORD, **fields})
    assert response.status_code == 302
    return client


@pytest.fixture
def verified_client(attorney):
    """The attorney, enrolled and signed in with a code."""
    return signed_in(attorney, device=TOTPDeviceFactory(user=attorney))


def is_signed_in(client: Client) -> bool:
    return client.get("/admin/leads/lead/").status_code == 200


def enrol(client: Client, user) -> None:
    """Enrol an authenticator app on the two-factor page, as the user does."""
    client.get(URL)
    response = client.post(URL, {"otp": totp_code(pending_device(user))})
    assert response.status_code == 302


def pending_device(user) -> TOTPDevice:
    return TOTPDevice.objects.get(user=user, confirmed=False)


def test_the_enrolment_page_shows_a_qr_code_drawn_on_the_server(attorney_client, attorney):
    response = attorney_client.get(URL)
    body = response.content.decode()

    assert response.status_code == 200
    assert re.search(r'<svg [^>]*class="two-factor__qr"', body)
    assert "<title>QR code for your authenticator app</title>" in body
    assert "<script" not in body.split('id="content-main"')[1]
    secret = re.search(r'<code class="two-factor__secret">([A-Z2-7 ]+)</code>', body).group(1)
    assert len(secret.replace(" ", "")) == 32  # 20 random bytes in base32


def test_the_enrolment_page_is_never_cached(attorney_client):
    response = attorney_client.get(URL)

    assert "no-store" in response["Cache-Control"]


def test_the_enrolment_page_needs_a_signed_in_staff_user(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_pending_device_is_not_asked_for_at_sign_in(attorney_client, attorney, client):
    attorney_client.get(URL)
    assert pending_device(attorney)

    response = client.post("/admin/login/", {"username": attorney.username, "password": PASSWORD})

    assert response.status_code == 302


def test_the_first_right_code_confirms_the_device_and_this_session(attorney_client, attorney):
    attorney_client.get(URL)
    device = pending_device(attorney)

    response = attorney_client.post(URL, {"otp": totp_code(device), "next": "/admin/leads/lead/"})

    assert response.status_code == 302
    assert response["Location"] == "/admin/leads/lead/"
    device.refresh_from_db()
    assert device.confirmed
    assert attorney_client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_a_wrong_first_code_leaves_the_device_pending(attorney_client, attorney):
    attorney_client.get(URL)
    device = pending_device(attorney)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"

    response = attorney_client.post(URL, {"otp": wrong})

    assert response.status_code == 200
    assert "That code is wrong or has expired" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed


def test_a_next_address_on_another_site_is_not_followed(attorney_client, attorney):
    attorney_client.get(URL)

    response = attorney_client.post(
        URL, {"otp": totp_code(pending_device(attorney)), "next": "https://evil.example/"}
    )

    assert response["Location"] == "/admin/"


def test_once_enrolled_the_page_says_so_and_shows_no_key(verified_client):
    body = verified_client.get(URL).content.decode()

    assert "Two-factor sign-in is <strong>on</strong>" in body
    assert "two-factor__secret" not in body
    assert "two-factor__qr" not in body


def test_a_user_removes_their_device_and_signs_in_with_a_password_alone_again(
    verified_client, attorney, client
):
    response = verified_client.post(URL, {"remove": "1"})

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=attorney, confirmed=True).exists()
    assert (
        client.post("/admin/login/", {"username": attorney.username, "password": PASSWORD}).status_code == 302
    )


def test_after_removing_the_page_offers_a_new_key_to_enrol_again(verified_client, attorney):
    verified_client.post(URL, {"remove": "1"})

    body = verified_client.get(URL).content.decode()

    assert "two-factor__secret" in body


def test_a_session_that_never_gave_the_code_cannot_remove_the_device(attorney_client, attorney):
    TOTPDeviceFactory(user=attorney)  # enrolled elsewhere, after this session signed in

    attorney_client.post(URL, {"remove": "1"})

    assert TOTPDevice.objects.filter(user=attorney, confirmed=True).exists()


def test_a_session_that_never_gave_the_code_confirms_itself_with_one(attorney_client, attorney):
    device = TOTPDeviceFactory(user=attorney)
    assert "two-factor__secret" not in attorney_client.get(URL).content.decode()

    response = attorney_client.post(URL, {"otp": totp_code(device)})

    assert response.status_code == 302
    assert attorney_client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_a_superuser_removes_anyones_device_in_the_admin(admin_client, attorney):
    device = TOTPDeviceFactory(user=attorney)

    admin_client.post(f"{DEVICES_URL}{device.pk}/delete/", {"post": "yes"})

    assert not TOTPDevice.objects.filter(pk=device.pk).exists()


def test_the_device_list_shows_superusers_no_key(admin_client, attorney):
    device = TOTPDeviceFactory(user=attorney)

    body = admin_client.get(f"{DEVICES_URL}{device.pk}/change/").content.decode()

    assert attorney.username in body
    assert device.key not in body


def test_attorneys_cannot_see_anyones_devices_in_the_admin(attorney_client, attorney):
    TOTPDeviceFactory()

    assert attorney_client.get(DEVICES_URL).status_code == 403


# --- STAFF_2FA_REQUIRED ---------------------------------------------------------------------


@pytest.fixture
def required(settings):
    settings.STAFF_2FA_REQUIRED = True


@pytest.mark.parametrize("url", ["/admin/", "/admin/leads/lead/", "/admin/leads/lead/dashboard/"])
def test_with_2fa_required_an_unenrolled_attorney_is_sent_to_enrolment(required, attorney_client, url):
    response = attorney_client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{URL}?next={url}"


def test_with_2fa_required_the_attorney_reaches_the_lead_list_once_enrolled(
    required, attorney_client, attorney
):
    target = attorney_client.get("/admin/leads/lead/")["Location"]
    assert attorney_client.get(target).status_code == 200

    done = attorney_client.post(
        target, {"otp": totp_code(pending_device(attorney)), "next": "/admin/leads/lead/"}
    )

    assert done["Location"] == "/admin/leads/lead/"
    assert attorney_client.get("/admin/leads/lead/").status_code == 200


def test_with_2fa_required_an_unenrolled_attorney_can_still_sign_out(required, attorney_client):
    response = attorney_client.post("/admin/logout/")

    assert response.status_code == 200
    assert "_auth_user_id" not in attorney_client.session


def test_with_2fa_required_the_api_refuses_an_unenrolled_staff_session(required, attorney_client):
    response = attorney_client.get("/api/v1/leads/")

    assert response.status_code == 403
    assert response.json() == {"detail": services.SESSION_WITHOUT_SECOND_FACTOR}


def test_with_2fa_required_the_public_site_is_unaffected(required, attorney_client):
    assert attorney_client.get("/").status_code == 200


def test_with_2fa_required_an_enrolled_attorney_works_as_before(required, verified_client):
    assert verified_client.get("/admin/leads/lead/").status_code == 200


def test_with_2fa_required_a_session_signed_in_before_it_was_on_is_sent_to_enrolment(settings, attorney):
    settings.STAFF_2FA_REQUIRED = False
    client = signed_in(attorney)
    assert is_signed_in(client)

    settings.STAFF_2FA_REQUIRED = True
    response = client.get("/admin/leads/lead/")

    assert response.status_code == 302
    assert response["Location"] == f"{URL}?next=/admin/leads/lead/"


def test_with_2fa_required_a_session_signed_in_before_it_was_on_gets_403_from_the_api(settings, attorney):
    settings.STAFF_2FA_REQUIRED = False
    client = signed_in(attorney)
    assert client.get("/api/v1/leads/").status_code == 200

    settings.STAFF_2FA_REQUIRED = True
    response = client.get("/api/v1/leads/")

    assert response.status_code == 403
    assert response.json() == {"detail": services.SESSION_WITHOUT_SECOND_FACTOR}


def test_with_2fa_required_a_session_that_never_gave_a_code_is_held_at_enrolment_though_the_user_has_a_device(
    required, attorney_client, attorney
):
    TOTPDeviceFactory(user=attorney)  # enrolled after this session signed in

    response = attorney_client.get("/api/v1/leads/")

    assert response.status_code == 403
    assert attorney_client.get("/admin/leads/lead/")["Location"].startswith(URL)


# --- Enrolling or removing a device ends the user's other sessions and tokens ---------------


def test_enrolling_signs_the_users_other_sessions_out(attorney):
    other, this = signed_in(attorney), signed_in(attorney)

    enrol(this, attorney)

    assert not is_signed_in(other)
    assert "_auth_user_id" not in other.session


def test_enrolling_keeps_the_session_that_enrolled_signed_in_with_its_code(attorney_client, attorney):
    enrol(attorney_client, attorney)

    assert is_signed_in(attorney_client)
    device = TOTPDevice.objects.get(user=attorney)
    assert attorney_client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_enrolling_revokes_the_users_api_tokens(attorney_client, attorney):
    api = token_client(attorney)

    enrol(attorney_client, attorney)

    assert api.get("/api/v1/users/me/").status_code == 401
    assert not ApiToken.objects.filter(user=attorney).exists()


def test_enrolling_says_that_other_sessions_and_tokens_ended(attorney_client, attorney):
    attorney_client.get(URL)

    response = attorney_client.post(URL, {"otp": totp_code(pending_device(attorney))}, follow=True)

    assert (
        "Two-factor sign-in is on: you will be asked for a code each time. Your other sessions were "
        "signed out and your API tokens revoked."
    ) in response.content.decode()


def test_enrolling_leaves_other_users_signed_in(attorney_client, attorney, admin_client):
    enrol(attorney_client, attorney)

    assert admin_client.get("/admin/").status_code == 200


def test_confirming_a_session_with_its_code_leaves_the_other_sessions_signed_in(attorney):
    device = TOTPDeviceFactory(user=attorney)
    verified = signed_in(attorney, device=device)
    unconfirmed = Client()
    unconfirmed.force_login(attorney)

    unconfirmed.post(URL, {"otp": totp_code(device, steps=1)})

    assert is_signed_in(verified)
    assert unconfirmed.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_removing_the_device_signs_the_users_other_sessions_out(attorney):
    device = TOTPDeviceFactory(user=attorney)
    other, this = signed_in(attorney, device=device), signed_in(attorney, device=device, steps=1)

    this.post(URL, {"remove": "1"})

    assert not is_signed_in(other)
    assert is_signed_in(this)


def test_removing_the_device_revokes_the_users_api_tokens(verified_client, attorney):
    api = token_client(attorney)

    verified_client.post(URL, {"remove": "1"})

    assert api.get("/api/v1/users/me/").status_code == 401


def test_removing_says_that_other_sessions_and_tokens_ended(verified_client):
    response = verified_client.post(URL, {"remove": "1"}, follow=True)

    assert "Your other sessions were signed out and your API tokens revoked." in response.content.decode()


def test_a_superuser_removing_a_device_signs_its_user_out_everywhere(admin_client, attorney):
    device = TOTPDeviceFactory(user=attorney)
    session, api = signed_in(attorney, device=device), token_client(attorney)

    admin_client.post(f"{DEVICES_URL}{device.pk}/delete/", {"post": "yes"})

    assert not is_signed_in(session)
    assert api.get("/api/v1/users/me/").status_code == 401


def test_a_superuser_removing_devices_in_bulk_signs_each_user_out(admin_client, attorney):
    device = TOTPDeviceFactory(user=attorney)
    session = signed_in(attorney, device=device)

    admin_client.post(
        DEVICES_URL, {"action": "delete_selected", "_selected_action": [device.pk], "post": "yes"}
    )

    assert not TOTPDevice.objects.exists()
    assert not is_signed_in(session)


def test_a_superuser_removing_their_own_device_in_the_admin_stays_signed_in(admin_client, admin_user):
    device = TOTPDeviceFactory(user=admin_user)

    admin_client.post(f"{DEVICES_URL}{device.pk}/delete/", {"post": "yes"})

    assert admin_client.get("/admin/").status_code == 200


def test_a_user_never_stamped_keeps_djangos_session_hash_so_the_upgrade_signs_nobody_out(attorney):
    assert attorney.session_stamp == ""
    assert attorney.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(attorney)


def test_a_renewed_stamp_changes_the_session_hash(attorney):
    before = attorney.get_session_auth_hash()

    User.objects.end_sessions(attorney)

    assert User.objects.get(pk=attorney.pk).get_session_auth_hash() != before


def test_a_right_code_just_after_a_wrong_one_is_told_to_wait(attorney_client, attorney):
    attorney_client.get(URL)
    device = pending_device(attorney)
    attorney_client.post(URL, {"otp": f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"})

    response = attorney_client.post(URL, {"otp": totp_code(device)})

    body = response.content.decode()
    assert "wait 1 second," in body
    assert "That code is wrong" not in body
    device.refresh_from_db()
    assert not device.confirmed


def test_a_right_code_after_the_pause_confirms_the_device(attorney_client, attorney):
    attorney_client.get(URL)
    device = pending_device(attorney)
    attorney_client.post(URL, {"otp": f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"})
    device.refresh_from_db()
    # The pause as it ends: the throttle's clock set back past its one-second wait.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=device.throttling_failure_timestamp - timedelta(seconds=2)
    )

    response = attorney_client.post(URL, {"otp": totp_code(device)})

    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed


def test_a_five_digit_code_is_told_it_needs_six(attorney_client, attorney):
    attorney_client.get(URL)
    device = pending_device(attorney)

    response = attorney_client.post(URL, {"otp": totp_code(device)[:5]})

    body = response.content.decode()
    assert "Enter the 6 digits your authenticator app shows (this was 5 digits)." in body
    device.refresh_from_db()
    assert (device.confirmed, device.throttling_failure_count) == (False, 0)
