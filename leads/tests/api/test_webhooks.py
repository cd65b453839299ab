"""`/api/v1/webhooks/`: subscriptions, with the secret shown once; model permissions."""

import base64

import pytest
from django.contrib.auth.models import Permission

from accounts.tests.factories import UserFactory
from conftest import token_client
from leads import services
from leads.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.net/leads"  # resolves nowhere here: only stored, never checked
LOCAL = "http://127.0.0.1:9/leads"
LIST = "/api/v1/webhooks/"


@pytest.fixture
def private_networks(settings):
    """This machine resolves no public host: subscriptions go to loopback under the flag
    (the address rules themselves are tested below with the flag off)."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True


def user_with(*codenames: str):
    user = UserFactory()
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="leads", codename__in=codenames)
    )
    return user


@pytest.fixture
def superuser_client():
    return token_client(UserFactory(is_superuser=True, is_staff=True))


def test_subscribing_answers_201_with_the_secret(superuser_client, private_networks):
    response = superuser_client.post(
        LIST, {"url": LOCAL, "events": ["lead.created", "lead.deleted"]}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    endpoint = WebhookEndpoint.objects.get()
    assert set(body) == {"id", "url", "events", "is_active", "created_at", "secret"}
    assert body["id"] == str(endpoint.pk) and body["events"] == ["lead.created", "lead.deleted"]
    assert body["secret"] == endpoint.secret and body["is_active"] is True


def test_the_secret_is_in_the_standard_webhooks_format(superuser_client, private_networks):
    secret = superuser_client.post(LIST, {"url": LOCAL, "events": ["lead.created"]}, format="json").json()[
        "secret"
    ]

    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) >= 24


def test_the_list_shows_subscriptions_without_their_secrets(superuser_client):
    endpoint = WebhookEndpoint.objects.create(url=URL, events=["lead.created"], secret="whsec_c2VjcmV0")

    response = superuser_client.get(LIST)

    assert response.status_code == 200
    [shown] = response.json()["results"]
    assert shown == {
        "id": str(endpoint.pk),
        "url": URL,
        "events": ["lead.created"],
        "is_active": True,
        "created_at": shown["created_at"],
    }
    assert "whsec_" not in response.content.decode()


def test_deleting_a_subscription_answers_204(superuser_client):
    endpoint = WebhookEndpoint.objects.create(url=URL, events=["lead.created"], secret="whsec_c2VjcmV0")

    response = superuser_client.delete(f"{LIST}{endpoint.pk}/")

    assert response.status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_deleting_an_unknown_subscription_is_a_json_404(superuser_client):
    response = superuser_client.delete(f"{LIST}not-a-uuid/")

    assert response.status_code == 404 and "detail" in response.json()


def test_events_outside_the_five_are_a_400_on_events(superuser_client, private_networks):
    response = superuser_client.post(
        LIST, {"url": LOCAL, "events": ["lead.created", "lead.won"]}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["events"]
    assert WebhookEndpoint.objects.count() == 0


def test_no_events_is_a_400_on_events(superuser_client, private_networks):
    response = superuser_client.post(LIST, {"url": LOCAL, "events": []}, format="json")

    assert response.status_code == 400 and list(response.json()) == ["events"]


def test_each_event_is_kept_once_in_the_contracts_order(superuser_client, private_networks):
    events = ["lead.deleted", "lead.created", "lead.deleted"]

    body = superuser_client.post(LIST, {"url": LOCAL, "events": events}, format="json").json()

    assert body["events"] == ["lead.created", "lead.deleted"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.5/hook",
        "https://0.0.0.0/hook",
        "http://hooks.example.net/hook",
    ],
)
def test_a_url_that_is_not_https_to_a_public_address_is_a_400_on_url(superuser_client, url):
    response = superuser_client.post(LIST, {"url": url, "events": ["lead.created"]}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["url"]
    assert WebhookEndpoint.objects.count() == 0


def test_a_host_that_does_not_resolve_is_a_400_on_url(superuser_client):
    response = superuser_client.post(
        LIST, {"url": "https://nowhere.invalid/hook", "events": ["lead.created"]}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"url": ["This URL's host could not be resolved."]}


def test_a_url_with_a_password_is_a_400_on_url(superuser_client, private_networks):
    response = superuser_client.post(
        LIST, {"url": "http://user:pw@127.0.0.1:9/", "events": ["lead.created"]}, format="json"
    )

    assert response.status_code == 400 and list(response.json()) == ["url"]


def test_without_credentials_the_list_is_a_401(api_client):
    assert api_client.get(LIST).status_code == 401


def test_attorneys_cannot_see_or_add_subscriptions(attorney):
    client = token_client(attorney)

    assert client.get(LIST).status_code == 403
    assert client.post(LIST, {"url": URL, "events": ["lead.created"]}, format="json").status_code == 403


def test_view_permission_lists_but_does_not_subscribe_or_delete(private_networks):
    endpoint = services.create_webhook_endpoint(url=LOCAL, events=["lead.created"], by=None)
    client = token_client(user_with("view_webhookendpoint"))

    assert client.get(LIST).status_code == 200
    assert client.post(LIST, {"url": LOCAL, "events": ["lead.created"]}, format="json").status_code == 403
    assert client.delete(f"{LIST}{endpoint.pk}/").status_code == 403


def test_add_permission_subscribes_and_records_who(private_networks):
    user = user_with("add_webhookendpoint")

    response = token_client(user).post(LIST, {"url": LOCAL, "events": ["lead.created"]}, format="json")

    assert response.status_code == 201
    assert WebhookEndpoint.objects.get().created_by == user


def test_a_subscription_cannot_be_read_one_by_one(superuser_client, private_networks):
    endpoint = services.create_webhook_endpoint(url=LOCAL, events=["lead.created"], by=None)

    response = superuser_client.get(f"{LIST}{endpoint.pk}/")

    assert response.status_code == 405 and "detail" in response.json()


def test_the_schema_shows_the_secret_only_in_the_answer_to_a_subscription(api_client):
    schema = api_client.get("/api/v1/schema/").json()

    components = schema["components"]["schemas"]
    post = schema["paths"]["/api/v1/webhooks/"]["post"]
    created = post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    listed = schema["paths"]["/api/v1/webhooks/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert "secret" in components[created]["properties"]
    assert "secret" not in components["WebhookEndpoint"]["properties"]
    assert listed["schema"]["$ref"].endswith("PaginatedWebhookEndpointList")
    request = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(components[request]["required"]) == {"url", "events"}
    assert components[request]["properties"]["events"]["items"]["$ref"].endswith("/WebhookEventEnum")
    assert components["WebhookEventEnum"]["enum"] == WebhookEndpoint.Event.values
