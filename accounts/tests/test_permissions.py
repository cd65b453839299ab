"""Permission checks ask the database nothing after the user is loaded: one query for the
session's user with every permission name (PermissionBackend), as for API tokens."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission

from accounts.authentication import PermissionBackend, TokenAuthentication
from accounts.models import User
from accounts.services import issue_token
from accounts.tests.factories import TOTPDeviceFactory, UserFactory, totp_code
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def mixed_user():
    """Permissions of its own and from two groups, one of them shared."""
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_lead", "add_lead"]))
    readers, editors = Group.objects.create(name="readers"), Group.objects.create(name="editors")
    readers.permissions.set(Permission.objects.filter(codename__in=["view_lead", "view_statuschange"]))
    editors.permissions.set(Permission.objects.filter(codename="change_lead"))
    user.groups.set([readers, editors])
    return user


def test_permission_backend_finds_the_permissions_djangos_finds(mixed_user):
    loaded = PermissionBackend().get_user(mixed_user.pk)
    fresh = User.objects.get(pk=mixed_user.pk)

    assert loaded.get_all_permissions() == ModelBackend().get_all_permissions(fresh)
    assert loaded.get_user_permissions() == {"leads.view_lead", "leads.add_lead"}
    assert loaded.get_group_permissions() == {
        "leads.view_lead",
        "leads.view_statuschange",
        "leads.change_lead",
    }


def test_permission_backend_loads_a_user_without_permissions(django_assert_num_queries):
    user = UserFactory()

    with django_assert_num_queries(1):
        loaded = PermissionBackend().get_user(user.pk)
        assert loaded.get_all_permissions() == set()
        assert not loaded.has_perm("leads.view_lead")


def test_a_superuser_still_has_every_permission(admin_user):
    loaded = PermissionBackend().get_user(admin_user.pk)

    assert loaded.has_perm("leads.delete_lead")
    assert len(loaded.get_all_permissions()) == Permission.objects.count()


def test_an_inactive_users_session_signs_nobody_in():
    user = UserFactory(is_active=False)

    assert PermissionBackend().get_user(user.pk) is None


def test_the_admin_loads_the_sessions_user_and_permissions_in_one_query(
    client, mixed_user, django_assert_num_queries
):
    client.force_login(mixed_user)

    # 1 the session, 2 the user with its own and group permission names, 3 the index's
    # recent actions. Every permission check of the page (one per app and model) is free.
    with django_assert_num_queries(3):
        response = client.get("/admin/")

    assert response.status_code == 200
    assert "/admin/leads/lead/" in response.content.decode()


def test_a_session_that_gave_a_code_costs_one_query_more(client, attorney, django_assert_num_queries):
    device = TOTPDeviceFactory(user=attorney)
    client.post(
        "/admin/login/", {"username": attorney.username, "password": PASSWORD, "otp": totp_code(device)}
    )

    # As above, plus django-otp's middleware loading the session's device.
    with django_assert_num_queries(4):
        response = client.get("/admin/")

    assert response.status_code == 200


def test_each_token_authenticates_its_own_user_with_permissions_read_afresh(mixed_user):
    """The token query is built once per process: filtering it for one key must leave nothing
    behind for the next, and a permission granted between two requests is seen by the second."""
    other = UserFactory()
    _, mixed_key = issue_token(user=mixed_user)
    _, other_key = issue_token(user=other)
    authentication = TokenAuthentication()

    first, _ = authentication.authenticate_credentials(mixed_key.encode())
    second, _ = authentication.authenticate_credentials(other_key.encode())
    other.user_permissions.add(Permission.objects.get(codename="view_note"))
    third, _ = authentication.authenticate_credentials(other_key.encode())

    assert (first, second, third) == (mixed_user, other, other)
    assert "leads.change_lead" in first.get_all_permissions()
    assert second.get_all_permissions() == set()
    assert third.get_all_permissions() == {"leads.view_note"}
