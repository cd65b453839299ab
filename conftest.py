"""Shared fixtures: test-only settings and the users every part of the product is tried with."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.tests.factories import AttorneyFactory, UserFactory

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Production defaults redirect to HTTPS and send cookies over HTTPS only; the test
    # client and the live server speak plain HTTP. The deploy check is tested separately.
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture
def attorney(db):
    """A staff user in the Attorneys group: view and change leads."""
    return AttorneyFactory()


@pytest.fixture
def staff_without_view(db):
    """A staff user with no lead permission at all."""
    return UserFactory(is_staff=True)


@pytest.fixture
def attorney_client(client, attorney):
    client.force_login(attorney)
    return client


@pytest.fixture
def integration(db):
    """An API user with every lead permission, and its token."""
    from django.contrib.auth.models import Permission

    user = UserFactory(username="integration")
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="leads",
            codename__in=["view_lead", "add_lead", "change_lead", "delete_lead"],
        )
    )
    return user


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def integration_client(integration):
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=integration)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
