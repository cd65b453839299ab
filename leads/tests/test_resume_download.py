"""The resumes behind the admin: staff with view_lead only, as attachments, never sniffed,
every download recorded and shown on the lead page."""

import re
from contextlib import contextmanager

import pytest
from django.contrib.auth.models import Permission
from django.db import connection

from accounts.tests.factories import UserFactory
from leads.models import ResumeDownload
from leads.tests.documents import MINIMAL_PDF
from leads.tests.factories import LeadFactory, ResubmissionFactory

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


# --- Every download is recorded -------------------------------------------------------


def test_each_download_is_recorded_with_who_when_which_file_and_through_what(attorney_client, attorney):
    lead = LeadFactory()

    attorney_client.get(resume_url(lead))
    attorney_client.get(resume_url(lead))

    downloads = list(ResumeDownload.objects.filter(lead=lead))
    assert len(downloads) == 2
    assert {(d.downloaded_by, d.resubmission, d.via) for d in downloads} == {(attorney, None, "admin")}
    assert all(d.downloaded_at is not None for d in downloads)


def test_a_resubmissions_resume_downloads_from_its_own_link_and_is_recorded_as_that_file(
    attorney_client, attorney
):
    resubmission = ResubmissionFactory()

    response = attorney_client.get(f"{resume_url(resubmission.lead)}?resubmission={resubmission.pk}")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == resubmission.resume.open("rb").read()
    assert f"_resume_{resubmission.created_at:%Y-%m-%d}.pdf" in response["Content-Disposition"]
    download = ResumeDownload.objects.get()
    assert (download.lead, download.resubmission, download.downloaded_by) == (
        resubmission.lead,
        resubmission,
        attorney,
    )


@pytest.mark.parametrize("value", ["not-a-uuid", "00000000-0000-4000-8000-000000000000", "other-lead"])
def test_a_resubmission_that_is_not_one_of_the_leads_is_404_and_nothing_is_recorded(attorney_client, value):
    lead = LeadFactory()
    if value == "other-lead":
        value = str(ResubmissionFactory().pk)

    assert attorney_client.get(f"{resume_url(lead)}?resubmission={value}").status_code == 404
    assert not ResumeDownload.objects.exists()


def test_a_refused_download_is_not_recorded(client, staff_without_view):
    client.force_login(staff_without_view)

    client.get(resume_url(LeadFactory()))

    assert not ResumeDownload.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_download_the_database_cannot_record_is_still_served_and_the_fault_logged(attorney_client, caplog):
    lead = LeadFactory(first_name="Ada", last_name="Lovelace", email="ada@example.com")
    attorney_client.get("/admin/")  # the session is read; nothing more is written below
    with read_only_database():
        response = attorney_client.get(resume_url(lead))
        content = b"".join(response.streaming_content)

    assert response.status_code == 200 and content == MINIMAL_PDF
    assert not ResumeDownload.objects.exists()
    [record] = [r for r in caplog.records if "NOT RECORDED" in r.getMessage()]
    assert record.levelname == "ERROR"
    assert str(lead.pk) in record.getMessage()
    assert "ada@example.com" not in record.getMessage() and "Lovelace" not in record.getMessage()


@contextmanager
def read_only_database():
    """Writes fail for real while reads work, as on a database failed over to a replica."""
    on, off = (
        ("SET default_transaction_read_only = on", "SET default_transaction_read_only = off")
        if connection.vendor == "postgresql"
        else ("PRAGMA query_only = ON", "PRAGMA query_only = OFF")
    )
    with connection.cursor() as cursor:
        cursor.execute(on)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(off)


# --- The lead page shows resubmissions and downloads ----------------------------------


def test_the_lead_page_lists_resubmissions_with_their_download_links(attorney_client):
    resubmission = ResubmissionFactory(source="linkedin")
    lead = resubmission.lead

    body = attorney_client.get(f"/admin/leads/lead/{lead.pk}/change/").content.decode()

    assert f'href="/admin/leads/lead/{lead.pk}/resume/?resubmission={resubmission.pk}"' in body
    assert "linkedin" in body


def test_the_lead_page_shows_each_download_on_the_timeline(attorney_client, attorney):
    resubmission = ResubmissionFactory()
    lead = resubmission.lead
    attorney_client.get(resume_url(lead))
    attorney_client.get(f"{resume_url(lead)}?resubmission={resubmission.pk}")

    body = attorney_client.get(f"/admin/leads/lead/{lead.pk}/change/").content.decode()

    downloads = re.findall(r"<strong>Downloaded (the resume|a resubmitted resume)</strong> \(admin\)\s*"
                           r'<span class="lead-timeline__by">by (\S+)</span>', body)  # fmt: skip
    assert sorted(downloads) == [
        ("a resubmitted resume", attorney.username),
        ("the resume", attorney.username),
    ]


def test_the_lead_page_costs_the_same_queries_with_many_resubmissions_and_downloads(
    attorney_client, attorney, django_assert_max_num_queries
):
    lead = LeadFactory()
    for _ in range(5):
        resubmission = ResubmissionFactory(lead=lead)
        ResumeDownload.objects.create(lead=lead, resubmission=resubmission, downloaded_by=attorney, via="api")
    url = f"/admin/leads/lead/{lead.pk}/change/"
    attorney_client.get(url)

    with django_assert_max_num_queries(QUERIES_FOR_A_LEAD_PAGE):
        attorney_client.get(url)
    for _ in range(20):
        ResumeDownload.objects.create(lead=lead, downloaded_by=attorney, via="admin")
        ResubmissionFactory(lead=lead)
    with django_assert_max_num_queries(QUERIES_FOR_A_LEAD_PAGE):
        response = attorney_client.get(url)

    assert response.status_code == 200


# 1 session, 2 user, 3 their permissions (one query), 4 the lead (with the people and the
# practice area it names), 5 the timeline (every kind of event in one query, users joined),
# 6 the answers, 7 the assignee choices, 8 the lead's content type for the history link
# (cached per process after the first page).
QUERIES_FOR_A_LEAD_PAGE = 8
