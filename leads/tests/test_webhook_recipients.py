"""A subscription's URL is a secret (often a capability URL): wherever deliveries are shown,
a webhook call names its endpoint by host only, unless the viewer may view subscriptions."""

import pytest
from django.contrib.auth.models import Permission

from conftest import token_client
from leads.tests.factories import FailedEmailFactory, WebhookCallFactory

pytestmark = pytest.mark.django_db

HOST = "hooks.example.com:8443"
SECRET_PATH = "s3cr3t-capability-path"


@pytest.fixture
def call():
    return WebhookCallFactory()


@pytest.fixture
def subscriptions_reader(attorney):
    """An attorney who may also view webhook subscriptions."""
    attorney.user_permissions.add(Permission.objects.get(codename="view_webhookendpoint"))
    return attorney


def admin_pages(client, call) -> dict[str, str]:
    urls = {
        "lead page": f"/admin/leads/lead/{call.lead.pk}/change/",
        "deliveries list": "/admin/leads/delivery/",
        "delivery page": f"/admin/leads/delivery/{call.pk}/change/",
    }
    return {name: client.get(url).content.decode() for name, url in urls.items()}


def api_answers(user, call) -> dict[str, str]:
    api = token_client(user)
    return {
        "timeline": api.get(f"/api/v1/leads/{call.lead.pk}/timeline/").content.decode(),
        "deliveries": api.get("/api/v1/deliveries/").content.decode(),
    }


def test_an_attorney_sees_a_webhook_call_s_host_only_in_the_admin(client, attorney, call):
    client.force_login(attorney)

    pages = admin_pages(client, call)

    assert {name: (HOST in page, SECRET_PATH in page) for name, page in pages.items()} == {
        name: (True, False) for name in pages
    }


def test_an_attorney_sees_a_webhook_call_s_host_only_in_the_api(attorney, call):
    answers = api_answers(attorney, call)

    assert {name: (HOST in body, SECRET_PATH in body) for name, body in answers.items()} == {
        name: (True, False) for name in answers
    }


def test_the_api_names_the_host_as_the_recipient(attorney, call):
    body = token_client(attorney).get("/api/v1/deliveries/").json()

    assert body["results"][0]["recipient"] == HOST


def test_who_may_view_subscriptions_sees_the_whole_url_in_the_admin(client, subscriptions_reader, call):
    client.force_login(subscriptions_reader)

    pages = admin_pages(client, call)

    assert {name: call.recipient in page for name, page in pages.items()} == {name: True for name in pages}


def test_who_may_view_subscriptions_sees_the_whole_url_in_the_api(subscriptions_reader, call):
    answers = api_answers(subscriptions_reader, call)

    assert {name: call.recipient in body for name, body in answers.items()} == {
        name: True for name in answers
    }


def test_an_email_s_recipient_is_shown_whole_to_attorneys(attorney):
    email = FailedEmailFactory()

    body = token_client(attorney).get("/api/v1/deliveries/").json()

    assert body["results"][0]["recipient"] == email.recipient
