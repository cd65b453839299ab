from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken, User
from accounts.tests.factories import TOTPDeviceFactory, totp_code
from conftest import PASSWORD, token_client
from leads.tests.factories import LeadFactory

URL = "/api/v1/auth/token/"


def credentials(user, **extra) -> dict:
    return {"username": user.username, "password": PASSWORD, **extra}


@pytest.mark.django_db
def test_token_for_a_username_and_password_opens_the_api(api_client, integration):
    response = api_client.post(URL, credentials(integration), format="json")

    assert response.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert api_client.get("/api/v1/leads/").status_code == 200


@pytest.mark.django_db
def test_token_expires_after_api_token_ttl_days(api_client, integration):
    response = api_client.post(URL, credentials(integration), format="json")

    expiry = ApiToken.objects.get(user=integration).expiry
    assert timedelta(days=89, hours=23) < expiry - timezone.now() <= timedelta(days=90)
    assert response.json()["expiry"] == expiry.isoformat().replace("+00:00", "Z")


@pytest.mark.django_db
def test_token_never_expires_when_api_token_ttl_days_is_0(api_client, integration, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": None}

    response = api_client.post(URL, credentials(integration), format="json")

    assert response.json()["expiry"] is None
    assert ApiToken.objects.get(user=integration).expiry is None


@pytest.mark.django_db
def test_the_database_holds_only_the_tokens_digest_never_its_key(api_client, integration):
    key = api_client.post(URL, credentials(integration), format="json").json()["token"]

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")  # noqa: S608 (our own table name)
        rows = cursor.fetchall()
    assert len(rows) == 1
    assert not any(key in str(value) for value in rows[0])


@pytest.mark.django_db
def test_each_call_issues_a_new_token_and_the_earlier_ones_keep_working(api_client, integration):
    first = api_client.post(URL, credentials(integration), format="json").json()["token"]
    second = api_client.post(URL, credentials(integration), format="json").json()["token"]

    assert first != second
    for key in (first, second):
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert api_client.get("/api/v1/users/me/").status_code == 200


@pytest.mark.django_db
def test_token_accepts_a_form_post_too(api_client, integration):
    response = api_client.post(URL, credentials(integration))

    assert response.status_code == 200


@pytest.mark.django_db
def test_token_with_a_wrong_password_is_a_400_without_a_token(api_client, integration):
    response = api_client.post(URL, {"username": integration.username, "password": "nope"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [services.WRONG_CREDENTIALS]}
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_token_without_fields_names_each_missing_one(api_client):
    response = api_client.post(URL, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


@pytest.mark.django_db
def test_token_is_refused_to_an_inactive_user(api_client, integration):
    User.objects.deactivate(integration)

    response = api_client.post(URL, credentials(integration), format="json")

    assert response.status_code == 400
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_an_inactive_users_existing_token_is_a_401(integration_client, integration):
    User.objects.deactivate(integration)

    response = integration_client.get("/api/v1/leads/")

    assert response.status_code == 401
    assert response.json() == {"detail": "User inactive or deleted."}


@pytest.mark.django_db
def test_a_revoked_token_is_a_401(integration_client, integration):
    ApiToken.objects.filter(user=integration).delete()

    response = integration_client.get("/api/v1/leads/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


@pytest.mark.django_db
def test_an_expired_token_is_a_401_and_stays_in_the_table(integration_client, integration):
    ApiToken.objects.filter(user=integration).update(expiry=timezone.now() - timedelta(seconds=1))

    response = integration_client.get("/api/v1/leads/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Token has expired."}
    assert ApiToken.objects.filter(user=integration).exists()  # nothing is written on a request


@pytest.mark.django_db
def test_issuing_a_token_clears_the_users_expired_ones(integration):
    old, _ = services.issue_token(user=integration)
    ApiToken.objects.filter(pk=old.pk).update(expiry=timezone.now() - timedelta(seconds=1))

    new, _ = services.issue_token(user=integration)

    assert list(ApiToken.objects.filter(user=integration)) == [new]


@pytest.mark.django_db
def test_a_key_that_is_not_text_is_a_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token caf\xe9")

    response = api_client.get("/api/v1/users/me/")

    assert response.status_code == 401


@pytest.mark.django_db
def test_token_authentication_reads_token_user_and_permissions_in_one_query(
    django_assert_num_queries, integration, attorney
):
    integration.groups.set(attorney.groups.all())  # permissions of its own and of a group
    client = token_client(integration)
    lead = LeadFactory()

    # 1 the token with its user and every permission name (own and group), 2 the user
    # throttle's upsert, 3 the lead. DjangoModelPermissions' view_lead check asks nothing more.
    with django_assert_num_queries(3):
        response = client.get(f"/api/v1/leads/{lead.pk}/")

    assert response.status_code == 200


def wrong_code(device) -> str:
    return f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"


def wrong_password(user) -> dict:
    return {"username": user.username, "password": "not-it"}


def unknown_user(user) -> dict:
    return {"username": "nobody-by-that-name", "password": PASSWORD}


def inactive_user(user) -> dict:
    User.objects.deactivate(user)
    return credentials(user)


def missing_code(user) -> dict:
    TOTPDeviceFactory(user=user)
    return credentials(user)


def a_wrong_code(user) -> dict:
    return credentials(user, otp=wrong_code(TOTPDeviceFactory(user=user)))


def a_wrong_code_and_password(user) -> dict:
    return {**a_wrong_code(user), "password": "not-it"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "failure",
    [wrong_password, unknown_user, inactive_user, missing_code, a_wrong_code, a_wrong_code_and_password],
)
def test_every_failed_sign_in_gets_the_one_answer_of_a_wrong_password(api_client, integration, failure):
    response = api_client.post(URL, failure(integration), format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [services.WRONG_CREDENTIALS]}
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("failure", [missing_code, a_wrong_code])
def test_a_missing_or_wrong_code_at_the_token_endpoint_counts_as_a_failed_sign_in(
    api_client, integration, failure
):
    api_client.post(URL, failure(integration), format="json")

    assert AccessAttempt.objects.get(username=integration.username).failures_since_start == 1


@pytest.mark.django_db
def test_a_user_with_an_authenticator_gets_a_token_with_the_current_code(api_client, integration):
    device = TOTPDeviceFactory(user=integration)

    response = api_client.post(URL, credentials(integration, otp=totp_code(device)), format="json")

    assert response.status_code == 200
    assert ApiToken.objects.filter(user=integration).count() == 1


@pytest.mark.django_db
def test_a_code_is_accepted_only_once(api_client, integration):
    device = TOTPDeviceFactory(user=integration)
    code = totp_code(device)
    assert api_client.post(URL, credentials(integration, otp=code), format="json").status_code == 200

    response = api_client.post(URL, credentials(integration, otp=code), format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [services.WRONG_CREDENTIALS]}


@pytest.mark.django_db
def test_with_staff_2fa_required_unenrolled_staff_get_no_token(api_client, attorney, settings):
    settings.STAFF_2FA_REQUIRED = True

    response = api_client.post(URL, credentials(attorney), format="json")

    assert response.status_code == 400
    assert response.json() == {"otp": [services.ENROL_FIRST]}


@pytest.mark.django_db
def test_token_attempts_past_the_rate_are_a_429_with_retry_after(api_client, integration):
    # API_TOKEN_RATE defaults to 10/minute per client address; a new username each time keeps
    # the sign-in lockout (per username and address) out of it.
    for n in range(10):
        assert api_client.post(URL, {"username": f"guess{n}", "password": "guess"}).status_code == 400

    response = api_client.post(URL, credentials(integration))

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "detail" in response.json()


@pytest.mark.django_db
def test_token_rate_is_per_address_and_ignores_a_forged_forwarded_for(api_client, integration):
    for n in range(10):
        api_client.post(URL, {"username": f"x{n}", "password": "y"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")

    response = api_client.post(URL, {"username": "x", "password": "y"}, HTTP_X_FORWARDED_FOR="10.0.1.1")

    assert response.status_code == 429


# --- Whether a token passed a second factor, and STAFF_2FA_REQUIRED -------------------------


@pytest.fixture
def required(settings):
    settings.STAFF_2FA_REQUIRED = True


def bearer(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def token_with_code(api_client, user) -> str:
    device = TOTPDeviceFactory(user=user)
    response = api_client.post(URL, credentials(user, otp=totp_code(device)), format="json")
    assert response.status_code == 200
    return response.json()["token"]


@pytest.mark.django_db
def test_a_token_obtained_with_the_current_code_passed_a_second_factor(api_client, integration):
    token_with_code(api_client, integration)

    assert ApiToken.objects.with_second_factor().get(user=integration).passed_second_factor


@pytest.mark.django_db
def test_a_token_obtained_without_a_device_did_not_pass_a_second_factor(api_client, integration):
    api_client.post(URL, credentials(integration), format="json")

    assert not ApiToken.objects.with_second_factor().get(user=integration).passed_second_factor


@pytest.mark.django_db
def test_with_2fa_required_a_staff_token_obtained_with_the_code_opens_the_api(required, api_client, attorney):
    key = token_with_code(api_client, attorney)

    assert bearer(key).get("/api/v1/leads/").status_code == 200


@pytest.mark.django_db
def test_with_2fa_required_a_staff_token_issued_without_a_second_factor_gets_403_saying_what_to_do(
    settings, attorney
):
    client = token_client(attorney)  # as a command, or the endpoint before the user enrolled
    assert client.get("/api/v1/leads/").status_code == 200

    settings.STAFF_2FA_REQUIRED = True
    response = client.get("/api/v1/leads/")

    assert response.status_code == 403
    assert response.json() == {"detail": services.ISSUED_WITHOUT_SECOND_FACTOR}


@pytest.mark.django_db
def test_with_2fa_required_a_superusers_token_without_a_second_factor_gets_403(required, admin_user):
    response = token_client(admin_user).get("/api/v1/users/me/")

    assert response.status_code == 403


@pytest.mark.django_db
def test_with_2fa_required_an_integrations_token_without_a_second_factor_still_works(
    required, integration_client
):
    assert integration_client.get("/api/v1/leads/").status_code == 200


@pytest.mark.django_db
def test_with_2fa_required_an_inactive_staff_users_token_is_still_a_401(required, attorney):
    client = token_client(attorney)
    User.objects.deactivate(attorney)

    assert client.get("/api/v1/leads/").status_code == 401


@pytest.mark.django_db
def test_a_token_that_passed_a_second_factor_is_still_authenticated_in_one_query(
    required, api_client, attorney, django_assert_num_queries
):
    client = bearer(token_with_code(api_client, attorney))
    lead = LeadFactory()

    # 1 the token with its user, permission names and second factor, 2 the user throttle's
    # upsert, 3 the lead.
    with django_assert_num_queries(3):
        response = client.get(f"/api/v1/leads/{lead.pk}/")

    assert response.status_code == 200


@pytest.mark.django_db
def test_existing_tokens_count_as_not_having_passed_a_second_factor(attorney):
    # Tokens from before the second factor was recorded have no TokenSecondFactor row.
    token, _ = ApiToken.objects.create(user=attorney)

    assert not ApiToken.objects.with_second_factor().get(pk=token.pk).passed_second_factor
