import uuid

import pytest
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.serializers import Serializer

from leads import services
from leads.models import Lead
from leads.representations import LEAD_FIELDS, LeadSerializer
from leads.tests.factories import LeadFactory, ResubmissionFactory


@pytest.mark.django_db
def test_detail_returns_the_lead(integration_client):
    lead = LeadFactory(first_name="Ada", source="newsletter")

    response = integration_client.get(f"/api/v1/leads/{lead.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(lead.pk)
    assert body["first_name"] == "Ada"
    assert body["source"] == "newsletter"


@pytest.mark.django_db
def test_detail_of_an_unknown_id_is_a_json_404(integration_client):
    response = integration_client.get(f"/api/v1/leads/{uuid.uuid4()}/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No Lead matches the given query."}


@pytest.mark.django_db
def test_detail_of_a_malformed_id_is_a_json_404(integration_client):
    response = integration_client.get("/api/v1/leads/not-a-uuid/")

    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.django_db
def test_detail_without_credentials_is_a_401(api_client):
    lead = LeadFactory()

    assert api_client.get(f"/api/v1/leads/{lead.pk}/").status_code == 401


@pytest.mark.django_db
def test_detail_without_view_lead_is_a_403(no_perms_client):
    lead = LeadFactory()

    assert no_perms_client.get(f"/api/v1/leads/{lead.pk}/").status_code == 403


def drf_own_representation(lead, request) -> dict:
    """What DRF's generic Serializer.to_representation makes of the lead's declared fields."""
    serializer = LeadSerializer(context={"request": request})
    return Serializer.to_representation(serializer, lead)


@pytest.mark.django_db
@pytest.mark.parametrize("worked", [True, False], ids=["reached-out-assigned-resubmitted", "untouched"])
def test_a_leads_json_is_what_drfs_own_serializer_makes_of_its_fields(worked, attorney, rf):
    lead = LeadFactory(source="newsletter", referrer="https://example.com/page")
    if worked:
        ResubmissionFactory(lead=lead)
        lead.status, lead.reached_out_at, lead.reached_out_by = "REACHED_OUT", timezone.now(), attorney
        lead.assigned_to = attorney
        lead.save()
    lead = Lead.objects.as_in_the_api().get(pk=lead.pk)
    request = Request(rf.get("/api/v1/leads/"))

    fast = LeadSerializer(lead, context={"request": request}).data

    assert fast == drf_own_representation(lead, request)
    assert list(fast) == LEAD_FIELDS


@pytest.mark.django_db
def test_detail_costs_three_queries_whatever_the_lead_has_been_through(
    integration_client, attorney, django_assert_max_num_queries
):
    lead = LeadFactory()
    services.reach_out(lead=lead, by=attorney)
    ResubmissionFactory.create_batch(3, lead=lead)

    # 1 the token with its user and permission names, 2 the user throttle's upsert, 3 the lead
    # with both users joined and its count of resubmissions as a subquery.
    with django_assert_max_num_queries(3):
        response = integration_client.get(f"/api/v1/leads/{lead.pk}/")

    assert (response.json()["reached_out_by"], response.json()["resubmissions"]) == (attorney.username, 3)
