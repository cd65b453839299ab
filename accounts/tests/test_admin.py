"""Users in the admin: superusers manage them, attorneys never do."""

import pytest
from django.contrib.auth.models import Permission

from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

USERS_URL = "/admin/accounts/user/"


def test_attorneys_cannot_list_users(attorney_client):
    assert attorney_client.get(USERS_URL).status_code == 403


def test_attorneys_do_not_see_users_on_the_admin_index(attorney_client):
    body = attorney_client.get("/admin/").content.decode()

    assert USERS_URL not in body
    assert "/admin/leads/lead/" in body


def test_staff_given_user_permissions_still_cannot_manage_users(client):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="accounts"))
    client.force_login(staff)

    assert client.get(USERS_URL).status_code == 403
    assert client.get(f"{USERS_URL}{staff.pk}/change/").status_code == 403


def test_superuser_lists_users_by_username(admin_client):
    UserFactory(username="zed")

    body = admin_client.get(USERS_URL).content.decode()

    assert "zed" in body


def test_superuser_adds_a_user_with_email(admin_client):
    response = admin_client.post(
        f"{USERS_URL}add/",
        {
            "username": "newbie",
            "email": "newbie@firm.example",
            "full_name": "New Bie",
            "usable_password": "true",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )

    assert response.status_code == 302
    user = User.objects.get_by_username("newbie")
    assert user.email == "newbie@firm.example"
    assert user.check_password("a-long-unusual-passphrase")


def test_an_email_already_used_in_another_case_is_refused(admin_client):
    UserFactory(email="taken@firm.example")

    response = admin_client.post(
        f"{USERS_URL}add/",
        {
            "username": "newbie",
            "email": "TAKEN@firm.example",
            "usable_password": "false",
        },
    )

    assert response.status_code == 200
    assert "A user with that email already exists." in response.content.decode()
    assert not User.objects.filter(username="newbie").exists()


def test_superuser_opens_a_user_page(admin_client):
    user = UserFactory()

    response = admin_client.get(f"{USERS_URL}{user.pk}/change/")

    assert response.status_code == 200
    assert str(user.pk) in response.content.decode()
