"""Webhook subscriptions in the admin: add (the secret once), change, delete, who may."""

import re

import pytest
from django.contrib.auth.models import Permission

from accounts.tests.factories import UserFactory
from leads import services
from leads.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/leads/webhookendpoint/"
LOCAL = "http://127.0.0.1:9/leads"


@pytest.fixture
def private_networks(settings):
    """This machine resolves no public host: subscriptions go to loopback under the flag."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True


def add(client, url: str = LOCAL, events=("lead.created", "lead.deleted")):
    return client.post(f"{LIST_URL}add/", {"url": url, "events": list(events)})


def test_adding_a_subscription_shows_its_secret_on_the_answer(admin_client, private_networks):
    response = add(admin_client)

    endpoint = WebhookEndpoint.objects.get()
    page = response.content.decode()
    assert response.status_code == 200
    assert endpoint.secret.startswith("whsec_") and endpoint.secret in page
    assert "shown only on this page" in page
    assert (endpoint.url, endpoint.events, endpoint.created_by.username) == (
        LOCAL,
        ["lead.created", "lead.deleted"],
        "admin",
    )
    assert "no-store" in response["Cache-Control"]


def test_the_secret_is_never_shown_again(admin_client, private_networks):
    add(admin_client)
    endpoint = WebhookEndpoint.objects.get()

    pages = [admin_client.get(LIST_URL), admin_client.get(f"{LIST_URL}{endpoint.pk}/change/")]
    pages.append(admin_client.get(f"{LIST_URL}{endpoint.pk}/history/"))

    for page in pages:
        assert page.status_code == 200
        assert endpoint.secret not in page.content.decode()
        assert "whsec_" not in page.content.decode()


def test_events_and_active_can_be_changed_but_not_the_url(admin_client, private_networks):
    endpoint = services.create_webhook_endpoint(url=LOCAL, events=["lead.created"], by=None)

    response = admin_client.post(
        f"{LIST_URL}{endpoint.pk}/change/",
        {"url": "http://127.0.0.1:10/elsewhere", "events": ["lead.reached_out", "lead.assigned"]},
    )

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.events == ["lead.reached_out", "lead.assigned"]
    assert endpoint.is_active is False  # its box was left unticked
    assert endpoint.url == LOCAL


def test_a_loopback_url_is_refused_with_a_form_error(admin_client):
    response = add(admin_client, url="http://127.0.0.1:8000/hook")

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["url"] and "Only https:// URLs" in errors["url"][0]
    assert WebhookEndpoint.objects.count() == 0


def test_a_host_resolving_to_loopback_is_refused_with_a_form_error(admin_client):
    response = add(admin_client, url="https://localhost/hook")

    errors = response.context["adminform"].form.errors
    assert re.search("localhost resolves to an address that is not public", errors["url"][0])
    assert WebhookEndpoint.objects.count() == 0


def test_a_subscription_without_events_is_refused(admin_client, private_networks):
    response = add(admin_client, events=())

    assert list(response.context["adminform"].form.errors) == ["events"]


def test_deleting_a_subscription(admin_client, private_networks):
    endpoint = services.create_webhook_endpoint(url=LOCAL, events=["lead.created"], by=None)

    response = admin_client.post(f"{LIST_URL}{endpoint.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not WebhookEndpoint.objects.exists()


def test_attorneys_do_not_see_subscriptions(attorney_client):
    assert attorney_client.get(LIST_URL).status_code == 403


def test_staff_with_the_model_permissions_manage_subscriptions(client, private_networks):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_webhookendpoint", "add_webhookendpoint"])
    )
    client.force_login(user)

    assert client.get(LIST_URL).status_code == 200
    assert add(client).status_code == 200
    assert WebhookEndpoint.objects.get().created_by == user
