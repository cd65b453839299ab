import uuid

import pytest
from django.contrib.auth.models import Permission

from leads.models import Lead, StatusChange
from leads.tests.factories import LeadFactory


def url(lead):
    return f"/api/v1/leads/{lead.pk}/reach-out/"


@pytest.mark.django_db
def test_reach_out_marks_the_lead_and_returns_it(attorney_api_client, attorney):
    lead = LeadFactory()

    response = attorney_api_client.post(url(lead))

    assert response.status_code == 200
    assert response.json()["status"] == "REACHED_OUT"
    assert response.json()["reached_out_by"] == attorney.username
    lead.refresh_from_db()
    assert lead.status == Lead.Status.REACHED_OUT


@pytest.mark.django_db
def test_reach_out_twice_keeps_the_first_time_and_one_history_row(attorney_api_client):
    lead = LeadFactory()

    first = attorney_api_client.post(url(lead)).json()
    second = attorney_api_client.post(url(lead))

    assert second.status_code == 200
    assert second.json()["reached_out_at"] == first["reached_out_at"]
    assert StatusChange.objects.filter(lead=lead).count() == 1


@pytest.mark.django_db
def test_reach_out_of_an_unknown_lead_is_a_404(attorney_api_client):
    assert attorney_api_client.post(f"/api/v1/leads/{uuid.uuid4()}/reach-out/").status_code == 404


@pytest.mark.django_db
def test_reach_out_without_credentials_is_a_401(api_client):
    assert api_client.post(url(LeadFactory())).status_code == 401


@pytest.mark.django_db
def test_reach_out_needs_change_lead_not_add_lead(no_perms_client, staff_without_view):
    staff_without_view.user_permissions.set(Permission.objects.filter(codename__in=["view_lead", "add_lead"]))
    lead = LeadFactory()

    response = no_perms_client.post(url(lead))

    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.status == Lead.Status.PENDING
