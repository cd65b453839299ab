import uuid

import pytest

from leads.tests.factories import LeadFactory


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
