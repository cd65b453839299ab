import uuid

import pytest

from leads.models import ResumeDownload
from leads.tests.documents import MINIMAL_PDF
from leads.tests.factories import LeadFactory, ResubmissionFactory


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


@pytest.mark.django_db
def test_each_api_download_is_recorded_as_through_the_api(integration_client, integration):
    lead = LeadFactory()

    integration_client.get(url(lead))

    download = ResumeDownload.objects.get()
    assert (download.lead, download.resubmission, download.downloaded_by, download.via) == (
        lead,
        None,
        integration,
        "api",
    )


@pytest.mark.django_db
def test_a_resubmissions_resume_downloads_with_its_id_and_is_recorded_as_that_file(integration_client):
    resubmission = ResubmissionFactory()

    response = integration_client.get(url(resubmission.lead), {"resubmission": str(resubmission.pk)})

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == resubmission.resume.open("rb").read()
    assert ResumeDownload.objects.get().resubmission == resubmission


@pytest.mark.django_db
def test_an_unknown_resubmission_is_a_json_404_and_nothing_is_recorded(integration_client):
    lead = LeadFactory()

    response = integration_client.get(url(lead), {"resubmission": "nope"}, HTTP_ACCEPT="application/pdf")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such resubmission of this lead."}
    assert not ResumeDownload.objects.exists()


@pytest.mark.django_db
def test_the_lead_counts_its_resubmissions(integration_client):
    resubmission = ResubmissionFactory()
    ResubmissionFactory(lead=resubmission.lead)

    body = integration_client.get(f"/api/v1/leads/{resubmission.lead.pk}/").json()

    assert body["resubmissions"] == 2
