"""Assignment through the API: `assigned_to` in the lead, in PATCH, and as a list filter."""

import pytest

from accounts.models import User
from accounts.tests.factories import AttorneyFactory, UserFactory
from leads import services
from leads.models import AssignmentChange, Lead
from leads.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob(db):
    return AttorneyFactory(username="bob")


def url(lead: Lead) -> str:
    return f"/api/v1/leads/{lead.pk}/"


def assign(lead: Lead, to, by) -> None:
    services.assign_leads(leads=Lead.objects.filter(pk=lead.pk), to=to, by=by)


def test_a_username_with_a_null_character_is_a_400_naming_the_field(attorney_api_client):
    lead = LeadFactory()

    response = attorney_api_client.patch(url(lead), {"assigned_to": "bo\x00b"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"assigned_to": ["Null characters are not allowed."]}


def test_a_lead_says_who_it_is_assigned_to(attorney_api_client, attorney, bob):
    lead = LeadFactory()
    assign(lead, bob, attorney)

    assert attorney_api_client.get(url(lead)).json()["assigned_to"] == "bob"


def test_an_unassigned_lead_says_null(attorney_api_client):
    assert attorney_api_client.get(url(LeadFactory())).json()["assigned_to"] is None


def test_patch_assigns_to_an_attorney_by_username(attorney_api_client, attorney, bob):
    lead = LeadFactory()

    response = attorney_api_client.patch(url(lead), {"assigned_to": "bob"}, format="json")

    assert response.status_code == 200
    assert response.json()["assigned_to"] == "bob"
    change = AssignmentChange.objects.get(lead=lead)
    assert (change.to_user, change.changed_by) == (bob, attorney)


def test_patch_with_null_unassigns(attorney_api_client, attorney, bob):
    lead = LeadFactory()
    assign(lead, bob, attorney)

    response = attorney_api_client.patch(url(lead), {"assigned_to": None}, format="json")

    assert response.json()["assigned_to"] is None
    lead.refresh_from_db()
    assert lead.assigned_to is None


@pytest.mark.parametrize("who", ["nobody-by-that-name", "gone", "clerk"])
def test_patch_refuses_unknown_inactive_and_non_attorney_users_on_the_field(attorney_api_client, who):
    AttorneyFactory(username="gone", is_active=False)
    UserFactory(username="clerk", is_staff=True)
    lead = LeadFactory()

    response = attorney_api_client.patch(url(lead), {"assigned_to": who}, format="json")

    assert response.status_code == 400
    assert response.json() == {"assigned_to": [f"No active attorney has the username {who}."]}
    assert not AssignmentChange.objects.exists()


def test_patch_with_a_bad_status_assigns_nothing(attorney_api_client, bob):
    lead = LeadFactory()

    response = attorney_api_client.patch(url(lead), {"assigned_to": "bob", "status": "WON"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["status"]
    lead.refresh_from_db()
    assert lead.assigned_to is None


def test_assigning_needs_change_lead(bob):
    from django.contrib.auth.models import Permission

    from conftest import token_client

    reader = UserFactory()
    reader.user_permissions.add(Permission.objects.get(codename="view_lead"))
    lead = LeadFactory()

    response = token_client(reader).patch(url(lead), {"assigned_to": "bob"}, format="json")

    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.assigned_to is None


class TestTheFilter:
    @pytest.fixture
    def leads(self, attorney, bob):
        mine, bobs, nobodys = LeadFactory(), LeadFactory(), LeadFactory()
        assign(mine, attorney, attorney)
        assign(bobs, bob, attorney)
        return {"mine": mine, "bob": bobs, "none": nobodys}

    @pytest.mark.parametrize("value", ["me", "none", "bob"])
    def test_assigned_to_lists_only_those_leads(self, attorney_api_client, leads, value):
        response = attorney_api_client.get(f"/api/v1/leads/?assigned_to={value}")

        expected = leads["mine" if value == "me" else value]
        assert [row["id"] for row in response.json()["results"]] == [str(expected.pk)]

    def test_an_unknown_username_is_an_empty_list(self, attorney_api_client, leads):
        response = attorney_api_client.get("/api/v1/leads/?assigned_to=nobody-by-that-name")

        assert response.status_code == 200
        assert response.json()["results"] == []

    def test_a_user_who_is_not_an_attorney_gets_the_same_answer_as_an_unknown_name(
        self, attorney_api_client, leads
    ):
        UserFactory(username="carol", is_staff=True)

        known = attorney_api_client.get("/api/v1/leads/?assigned_to=carol")
        unknown = attorney_api_client.get("/api/v1/leads/?assigned_to=nobody-by-that-name")

        assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())

    def test_an_attorney_no_longer_active_is_an_empty_list_like_any_other_name(
        self, attorney_api_client, leads, bob
    ):
        User.objects.deactivate(bob)

        response = attorney_api_client.get("/api/v1/leads/?assigned_to=bob")

        assert response.json()["results"] == []

    def test_the_list_with_assignees_has_a_bounded_number_of_queries(
        self, attorney_api_client, attorney, bob, django_assert_max_num_queries
    ):
        services.assign_leads(
            leads=Lead.objects.filter(pk__in=[lead.pk for lead in LeadFactory.create_batch(30)]),
            to=bob,
            by=attorney,
        )

        # token + user, permissions (user + group), the page with both users joined, its count.
        with django_assert_max_num_queries(7):
            response = attorney_api_client.get("/api/v1/leads/?page_size=25")

        assert [row["assigned_to"] for row in response.json()["results"]] == ["bob"] * 25
