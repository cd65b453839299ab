"""The resume behind the admin: staff with view_lead only, as an attachment, never sniffed."""

import pytest
from django.contrib.auth.models import Permission

from accounts.tests.factories import UserFactory
from leads.tests.documents import MINIMAL_PDF
from leads.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def resume_url(lead) -> str:
    return f"/admin/leads/lead/{lead.pk}/resume/"


def test_attorney_downloads_the_uploaded_bytes(attorney_client):
    lead = LeadFactory()

    response = attorney_client.get(resume_url(lead))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == MINIMAL_PDF


def test_download_is_a_typed_attachment_that_browsers_do_not_sniff(attorney_client):
    lead = LeadFactory()

    response = attorney_client.get(resume_url(lead))

    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")


def test_download_filename_is_the_prospects_name_sanitised(attorney_client):
    lead = LeadFactory(first_name='Ada "; rm', last_name="Lovelace/../x")

    response = attorney_client.get(resume_url(lead))

    assert response["Content-Disposition"] == 'attachment; filename="Ada_rm_Lovelace_x_resume.pdf"'


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    lead = LeadFactory()

    response = client.get(resume_url(lead))

    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={resume_url(lead)}"


def test_staff_without_view_permission_gets_403(client, staff_without_view):
    client.force_login(staff_without_view)

    assert client.get(resume_url(LeadFactory())).status_code == 403


def test_a_non_staff_user_with_view_permission_gets_403(client):
    user = UserFactory(is_staff=False)
    user.user_permissions.add(Permission.objects.get(codename="view_lead"))
    client.force_login(user)

    assert client.get(resume_url(LeadFactory())).status_code == 403


def test_an_unknown_lead_is_404(attorney_client):
    unknown = "00000000-0000-4000-8000-000000000000"

    assert attorney_client.get(f"/admin/leads/lead/{unknown}/resume/").status_code == 404


def test_a_missing_file_is_404_not_500(attorney_client):
    lead = LeadFactory()
    lead.resume.storage.delete(lead.resume.name)

    assert attorney_client.get(resume_url(lead)).status_code == 404
