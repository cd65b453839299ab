import pytest
from django.core.cache import cache

URL = "/api/v1/users/me/"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()


@pytest.mark.django_db
def test_me_describes_the_token_holder(integration_client, integration):
    response = integration_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(integration.pk)
    assert body["username"] == "integration"
    assert body["email"] == integration.email
    assert body["permissions"] == [
        "leads.add_lead",
        "leads.change_lead",
        "leads.delete_lead",
        "leads.view_lead",
    ]
    assert "password" not in body


@pytest.mark.django_db
def test_me_works_with_the_admin_session(attorney_client, attorney):
    response = attorney_client.get(URL)

    assert response.json()["username"] == attorney.username
    assert response.json()["is_staff"] is True


@pytest.mark.django_db
def test_me_without_credentials_is_a_401(api_client):
    response = api_client.get(URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
def test_me_with_a_malformed_authorization_header_is_a_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token two words")

    assert api_client.get(URL).status_code == 401


@pytest.mark.django_db
def test_me_is_read_only(integration_client):
    response = integration_client.patch(URL, {"username": "root"}, format="json")

    assert response.status_code == 405
