"""`manage.py create_integration NAME [--permissions ...]`: an API account that is not an attorney."""

import io

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import AttorneyFactory
from leads.admin.leads import LeadAssignForm
from leads.tests.factories import LeadFactory
from leads.worker.emails import attorney_recipients

pytestmark = pytest.mark.django_db


def create_integration(*args, **options) -> tuple[User, str]:
    out = io.StringIO()
    call_command("create_integration", *args, stdout=out, **options)
    key = out.getvalue().strip().splitlines()[-1]
    return User.objects.get_by_username(args[0]), key


def test_the_printed_token_lists_leads_over_the_api():
    LeadFactory()
    _, key = create_integration("crm-sync")

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/v1/leads/")

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_the_integration_is_not_staff_has_no_password_and_no_group():
    user, _ = create_integration("crm-sync")

    assert not user.is_staff and not user.is_superuser
    assert not user.has_usable_password()
    assert not user.groups.exists()


def test_the_integration_is_never_notified_of_new_leads():
    attorney = AttorneyFactory()
    create_integration("crm-sync")

    assert attorney_recipients() == [attorney.email]


def test_the_integration_is_never_offered_as_an_assignee():
    attorney = AttorneyFactory()
    user, _ = create_integration("crm-sync")

    choices = LeadAssignForm(lead=LeadFactory()).fields["assigned_to"].queryset

    assert list(choices) == [attorney]
    assert user not in choices


def test_the_permissions_are_exactly_the_ones_named():
    user, _ = create_integration("reader", permissions="view_lead,leads.view_delivery")

    assert user.has_perms(["leads.view_lead", "leads.view_delivery"])
    assert not user.has_perm("leads.add_lead")


def test_the_default_permissions_read_create_and_change_leads():
    user, _ = create_integration("crm-sync")

    assert user.has_perms(["leads.view_lead", "leads.add_lead", "leads.change_lead"])
    assert not user.has_perm("leads.delete_lead")


def test_an_unknown_permission_is_refused_by_name():
    with pytest.raises(CommandError, match="fly_lead"):
        create_integration("crm-sync", permissions="view_lead,fly_lead")

    assert User.objects.get_by_username("crm-sync") is None


def test_an_attorneys_name_is_refused():
    AttorneyFactory(username="ada")

    with pytest.raises(CommandError, match="person's account"):
        create_integration("ada")


def test_running_it_again_prints_a_new_working_token():
    _, first = create_integration("crm-sync")
    _, second = create_integration("crm-sync")

    assert first != second
    for key in (first, second):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert client.get("/api/v1/leads/").status_code == 200
