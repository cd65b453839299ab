import uuid

import pytest
from django.core.exceptions import ValidationError

from leads import services
from leads.models import Lead, StatusChange
from leads.tests.factories import LeadFactory


def url(lead):
    return f"/api/v1/leads/{lead.pk}/"


@pytest.mark.django_db
def test_patch_changes_names_and_email(attorney_api_client):
    lead = LeadFactory()

    response = attorney_api_client.patch(
        url(lead),
        {"first_name": " Grace ", "last_name": "Hopper", "email": "grace@example.com"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["first_name"] == "Grace"
    lead.refresh_from_db()
    assert (lead.first_name, lead.last_name, lead.email) == ("Grace", "Hopper", "grace@example.com")


@pytest.mark.django_db
def test_patch_to_reached_out_records_time_attorney_and_history(attorney_api_client, attorney):
    lead = LeadFactory()

    response = attorney_api_client.patch(url(lead), {"status": "REACHED_OUT"}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "REACHED_OUT"
    assert body["reached_out_by"] == attorney.username
    assert body["reached_out_at"] is not None
    change = StatusChange.objects.get(lead=lead)
    assert (change.from_status, change.to_status, change.changed_by) == ("PENDING", "REACHED_OUT", attorney)


@pytest.mark.django_db
def test_patch_back_to_pending_keeps_the_first_reach_out(attorney_api_client, attorney):
    lead = services.reach_out(lead=LeadFactory(), by=attorney)
    first_time = lead.reached_out_at

    attorney_api_client.patch(url(lead), {"status": "PENDING"}, format="json")
    response = attorney_api_client.patch(url(lead), {"status": "REACHED_OUT"}, format="json")

    lead.refresh_from_db()
    assert lead.reached_out_at == first_time
    assert response.json()["status"] == "REACHED_OUT"
    assert StatusChange.objects.filter(lead=lead).count() == 3


@pytest.mark.django_db
def test_patch_to_an_email_another_lead_has_in_any_case_is_a_400_on_email(attorney_api_client):
    LeadFactory(email="taken@example.com")
    lead = LeadFactory(email="mine@example.com")

    response = attorney_api_client.patch(url(lead), {"email": "TAKEN@example.com"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"email": ["A lead with this email already exists."]}
    lead.refresh_from_db()
    assert lead.email == "mine@example.com"


@pytest.mark.django_db
def test_patch_to_a_new_email_keeps_the_addresses_the_lead_had(attorney_api_client):
    lead = LeadFactory(email="first@example.com")

    attorney_api_client.patch(url(lead), {"email": "second@example.com"}, format="json")
    attorney_api_client.patch(url(lead), {"email": "third@example.com"}, format="json")

    lead.refresh_from_db()
    assert (lead.email, lead.email_key) == ("third@example.com", "third@example.com")
    assert lead.former_emails == ["first@example.com", "second@example.com"]


@pytest.mark.django_db
def test_patch_may_change_the_letter_case_of_its_own_email(attorney_api_client):
    lead = LeadFactory(email="mine@example.com")

    response = attorney_api_client.patch(url(lead), {"email": "Mine@Example.com"}, format="json")

    assert response.status_code == 200
    assert response.json()["email"] == "Mine@Example.com"


@pytest.mark.django_db
def test_patch_to_an_email_with_an_invisible_character_is_a_400_on_email(attorney_api_client):
    lead = LeadFactory(email="mine@example.com")

    response = attorney_api_client.patch(url(lead), {"email": "mine@e\u2060xample.com"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"email": ["Enter the email address without control or invisible characters."]}
    lead.refresh_from_db()
    assert lead.email == "mine@example.com"


@pytest.mark.django_db
def test_patch_with_an_unknown_status_is_a_400_on_status(attorney_api_client):
    lead = LeadFactory()

    response = attorney_api_client.patch(url(lead), {"status": "HIRED"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["status"]


@pytest.mark.django_db
def test_patch_ignores_read_only_fields(attorney_api_client):
    lead = LeadFactory(source="form")

    response = attorney_api_client.patch(
        url(lead), {"source": "forged", "reached_out_at": "2020-01-01T00:00:00Z"}, format="json"
    )

    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.source == "form"
    assert lead.reached_out_at is None


@pytest.mark.django_db
def test_put_is_not_offered_and_answers_a_json_405(attorney_api_client):
    lead = LeadFactory()

    response = attorney_api_client.put(url(lead), {"first_name": "X"}, format="json")

    assert response.status_code == 405
    assert "detail" in response.json()


@pytest.mark.django_db
def test_patch_of_an_unknown_lead_is_a_404(attorney_api_client):
    response = attorney_api_client.patch(f"/api/v1/leads/{uuid.uuid4()}/", {"first_name": "X"}, format="json")

    assert response.status_code == 404


@pytest.mark.django_db
def test_patch_without_credentials_is_a_401(api_client):
    lead = LeadFactory()

    assert api_client.patch(url(lead), {"first_name": "X"}, format="json").status_code == 401


@pytest.mark.django_db
def test_patch_without_change_lead_is_a_403(no_perms_client):
    lead = LeadFactory(first_name="Ada")

    response = no_perms_client.patch(url(lead), {"first_name": "X"}, format="json")

    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.first_name == "Ada"


@pytest.mark.django_db
def test_update_service_turns_the_unique_index_into_a_400_shaped_error(attorney):
    # The index lead_email_key_unique refuses (a concurrent PATCH included), and the service
    # says so on `email` with the constraint's own message.
    LeadFactory(email="taken@example.com")
    lead = LeadFactory(email="mine@example.com")

    with pytest.raises(ValidationError) as caught:
        services.update_lead(lead=lead, by=attorney, email="Taken@Example.com")

    assert caught.value.message_dict == {"email": ["A lead with this email already exists."]}
    assert Lead.objects.get(pk=lead.pk).email == "mine@example.com"


@pytest.mark.django_db
def test_patch_with_a_line_break_in_a_name_is_a_400_on_that_name(attorney_api_client):
    lead = LeadFactory(last_name="Lovelace")

    response = attorney_api_client.patch(url(lead), {"last_name": "Love\nlace"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["last_name"]
    lead.refresh_from_db()
    assert lead.last_name == "Lovelace"


@pytest.mark.django_db
def test_patch_with_a_link_in_a_name_is_a_400_on_that_name(attorney_api_client):
    lead = LeadFactory(first_name="Ada")

    response = attorney_api_client.patch(url(lead), {"first_name": "Ada://evil.example"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"first_name": ["Enter a name without links or email addresses."]}
    lead.refresh_from_db()
    assert lead.first_name == "Ada"
