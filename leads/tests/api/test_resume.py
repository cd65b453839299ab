import uuid

import pytest

from leads.tests.documents import MINIMAL_PDF
from leads.tests.factories import LeadFactory


def url(lead):
    return f"/api/v1/leads/{lead.pk}/resume/"


@pytest.mark.django_db
def test_resume_downloads_as_an_attachment(integration_client):
    lead = LeadFactory(first_name="Ada", last_name="Lovelace")

    response = integration_client.get(url(lead))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Ada_Lovelace_resume.pdf"'
    assert b"".join(response.streaming_content) == MINIMAL_PDF


@pytest.mark.django_db
def test_resume_is_served_whatever_the_accept_header(integration_client):
    lead = LeadFactory()

    response = integration_client.get(url(lead), HTTP_ACCEPT="application/pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


@pytest.mark.django_db
def test_resume_whose_file_is_gone_is_a_json_404(integration_client):
    lead = LeadFactory()
    lead.resume.storage.delete(lead.resume.name)

    response = integration_client.get(url(lead), HTTP_ACCEPT="application/pdf")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "The resume file is missing."}


@pytest.mark.django_db
def test_resume_of_an_unknown_lead_is_a_404(integration_client):
    assert integration_client.get(f"/api/v1/leads/{uuid.uuid4()}/resume/").status_code == 404


@pytest.mark.django_db
def test_resume_without_credentials_is_a_401(api_client):
    assert api_client.get(url(LeadFactory())).status_code == 401


@pytest.mark.django_db
def test_resume_without_view_lead_is_a_403(no_perms_client):
    assert no_perms_client.get(url(LeadFactory())).status_code == 403
