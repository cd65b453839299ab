import pytest
from rest_framework.authtoken.models import Token

from accounts.models import User
from conftest import PASSWORD

URL = "/api/v1/auth/token/"


@pytest.mark.django_db
def test_token_for_a_username_and_password_opens_the_api(api_client, integration):
    response = api_client.post(URL, {"username": integration.username, "password": PASSWORD}, format="json")

    assert response.status_code == 200
    token = response.json()["token"]
    assert token == Token.objects.get(user=integration).key
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/leads/").status_code == 200


@pytest.mark.django_db
def test_token_accepts_a_form_post_too(api_client, integration):
    response = api_client.post(URL, {"username": integration.username, "password": PASSWORD})

    assert response.status_code == 200


@pytest.mark.django_db
def test_token_with_a_wrong_password_is_a_400_without_a_token(api_client, integration):
    response = api_client.post(URL, {"username": integration.username, "password": "nope"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}
    assert not Token.objects.exists()


@pytest.mark.django_db
def test_token_without_fields_names_each_missing_one(api_client):
    response = api_client.post(URL, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


@pytest.mark.django_db
def test_token_is_refused_to_an_inactive_user(api_client, integration):
    User.objects.deactivate(integration)

    response = api_client.post(URL, {"username": integration.username, "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert not Token.objects.exists()


@pytest.mark.django_db
def test_an_inactive_users_existing_token_is_a_401(integration_client, integration):
    User.objects.deactivate(integration)

    response = integration_client.get("/api/v1/leads/")

    assert response.status_code == 401
    assert response.json() == {"detail": "User inactive or deleted."}


@pytest.mark.django_db
def test_token_attempts_past_the_rate_are_a_429_with_retry_after(api_client, integration):
    # API_TOKEN_RATE defaults to 10/minute per client address.
    for _ in range(10):
        assert (
            api_client.post(URL, {"username": integration.username, "password": "guess"}).status_code == 400
        )

    response = api_client.post(URL, {"username": integration.username, "password": PASSWORD})

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "detail" in response.json()


@pytest.mark.django_db
def test_token_rate_is_per_address_and_ignores_a_forged_forwarded_for(api_client, integration):
    for n in range(10):
        api_client.post(URL, {"username": "x", "password": "y"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")

    response = api_client.post(URL, {"username": "x", "password": "y"}, HTTP_X_FORWARDED_FOR="10.0.1.1")

    assert response.status_code == 429
