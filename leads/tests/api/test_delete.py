import uuid
from pathlib import Path

import pytest

from leads.models import Lead
from leads.tests.factories import LeadFactory
from leads.tests.mail import run_worker


@pytest.mark.django_db(transaction=True)
def test_delete_removes_the_lead_and_its_resume_file(integration_client, settings):
    settings.LEAD_TRASH_DAYS = 0  # erased at once, as without the trash
    lead = LeadFactory()
    path = Path(lead.resume.path)
    assert path.exists()

    response = integration_client.delete(f"/api/v1/leads/{lead.pk}/")
    run_worker()

    assert response.status_code == 204
    assert not Lead.objects.filter(pk=lead.pk).exists()
    assert not path.exists()


@pytest.mark.django_db
def test_delete_of_an_unknown_lead_is_a_404(integration_client):
    assert integration_client.delete(f"/api/v1/leads/{uuid.uuid4()}/").status_code == 404


@pytest.mark.django_db
def test_delete_without_credentials_is_a_401(api_client):
    lead = LeadFactory()

    assert api_client.delete(f"/api/v1/leads/{lead.pk}/").status_code == 401
    assert Lead.objects.filter(pk=lead.pk).exists()


@pytest.mark.django_db
def test_delete_without_delete_lead_is_a_403(attorney_api_client):
    lead = LeadFactory()

    assert attorney_api_client.delete(f"/api/v1/leads/{lead.pk}/").status_code == 403
    assert Lead.objects.filter(pk=lead.pk).exists()
