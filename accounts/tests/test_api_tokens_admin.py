"""API tokens in the admin: issued with the key shown once, listed without it, revoked."""

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken
from accounts.tests.factories import AttorneyFactory, TOTPDeviceFactory, UserFactory, totp_code
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/admin/accounts/apitoken/"
SUPERUSER_PASSWORD = "password"  # pytest-django's admin_user


def issued_key(response) -> str:
    return re.search(r'<code class="api-token-key">([0-9a-f]+)</code>', response.content.decode()).group(1)


def api_status(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/users/me/").status_code


def test_an_attorney_issues_a_token_for_themself_and_sees_its_key_once(attorney_client, attorney):
    response = attorney_client.post(f"{URL}add/")

    key = issued_key(response)
    assert ApiToken.objects.get().user == attorney
    assert "no-store" in response["Cache-Control"]
    assert api_status(key) == 200
    assert key not in attorney_client.get(URL).content.decode()


def test_the_token_list_shows_the_start_of_each_token_never_its_key(attorney_client, attorney):
    _, key = services.issue_token(user=attorney)

    body = attorney_client.get(URL).content.decode()

    assert key[:8] in body
    assert key not in body


def test_an_attorney_cannot_issue_a_token_for_someone_else(attorney_client, attorney):
    other = UserFactory()

    attorney_client.post(f"{URL}add/", {"user": other.pk})

    assert ApiToken.objects.get().user == attorney


def test_an_attorney_sees_only_their_own_tokens(attorney_client, attorney):
    services.issue_token(user=attorney)
    _, theirs = services.issue_token(user=AttorneyFactory())

    body = attorney_client.get(URL).content.decode()

    assert "1 API token" in body
    assert theirs[:8] not in body


def test_an_attorney_cannot_revoke_someone_elses_token(attorney_client):
    token, _ = services.issue_token(user=AttorneyFactory())

    response = attorney_client.post(f"{URL}{token.pk}/delete/", {"post": "yes"})

    assert response.status_code in (302, 403, 404)
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_revoking_a_token_in_the_admin_closes_the_api_to_it(attorney_client, attorney):
    token, key = services.issue_token(user=attorney)

    attorney_client.post(f"{URL}{token.pk}/delete/", {"post": "yes"})

    assert not ApiToken.objects.exists()
    assert api_status(key) == 401


def test_a_superuser_issues_a_token_for_another_user(admin_client):
    integration = UserFactory(username="crm")

    response = admin_client.post(f"{URL}add/", {"user": integration.pk})

    assert ApiToken.objects.get().user == integration
    assert api_status(issued_key(response)) == 200


def test_a_superuser_sees_everyones_tokens(admin_client):
    _, key = services.issue_token(user=AttorneyFactory())

    assert key[:8] in admin_client.get(URL).content.decode()


def test_users_without_staff_access_cannot_reach_the_tokens(client):
    client.force_login(UserFactory())

    assert client.get(URL).status_code == 302


# --- Whether the token passed a second factor -----------------------------------------------


def signed_in_with_code(user, password: str = PASSWORD) -> Client:
    client = Client()
    device = TOTPDeviceFactory(user=user)
    response = client.post(
        "/admin/login/", {"username": user.username, "password": password, "otp": totp_code(device)}
    )
    assert response.status_code == 302
    return client


def test_a_token_an_attorney_issues_signed_in_with_a_code_works_with_2fa_required(attorney, settings):
    response = signed_in_with_code(attorney).post(f"{URL}add/")

    settings.STAFF_2FA_REQUIRED = True
    assert api_status(issued_key(response)) == 200


def test_a_token_an_attorney_issues_signed_in_without_a_code_stops_working_with_2fa_required(
    attorney_client, settings
):
    response = attorney_client.post(f"{URL}add/")

    settings.STAFF_2FA_REQUIRED = True
    assert api_status(issued_key(response)) == 403


def test_a_token_a_superuser_issues_for_someone_else_did_not_pass_a_second_factor(admin_user):
    superuser = signed_in_with_code(admin_user, SUPERUSER_PASSWORD)
    attorney = AttorneyFactory()

    superuser.post(f"{URL}add/", {"user": attorney.pk})

    assert not ApiToken.objects.with_second_factor().get(user=attorney).passed_second_factor


def test_a_token_a_superuser_issues_for_themself_signed_in_with_a_code_passed_a_second_factor(admin_user):
    signed_in_with_code(admin_user, SUPERUSER_PASSWORD).post(f"{URL}add/", {"user": admin_user.pk})

    assert ApiToken.objects.with_second_factor().get(user=admin_user).passed_second_factor


def test_the_token_list_says_which_tokens_passed_a_second_factor(admin_client, attorney):
    services.issue_token(user=attorney, second_factor=True)
    services.issue_token(user=attorney)

    body = admin_client.get(URL).content.decode()

    assert "Second factor" in body
    assert body.count('alt="True"') == 1
    assert body.count('alt="False"') == 1


def test_revoking_a_token_lists_its_second_factor_without_the_digest(attorney_client, attorney):
    token, _ = services.issue_token(user=attorney, second_factor=True)

    confirm = attorney_client.get(f"{URL}{token.pk}/delete/").content.decode()
    attorney_client.post(f"{URL}{token.pk}/delete/", {"post": "yes"})

    assert "Second factor of an API token: passed a second factor" in confirm
    assert token.digest not in confirm.replace(f"{URL}{token.pk}/", "")  # only in its links, as before
    assert not ApiToken.objects.exists()
