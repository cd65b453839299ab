"""The lead page through the test client: its timeline, the note form and the one reach-out button."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import AttorneyFactory, UserFactory
from leads import services
from leads.models import AssignmentChange, Lead, Note, PracticeArea, Resubmission, StatusChange
from leads.tests.factories import FailedEmailFactory, LeadFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/leads/lead/"


def page_of(lead: Lead) -> str:
    return f"{LIST_URL}{lead.pk}/change/"


@pytest.fixture
def viewer_client(client):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_lead"))
    client.force_login(viewer)
    return client


class TestTheTimeline:
    def test_the_page_shows_every_kind_of_event_in_time_order(self, attorney_client, attorney):
        lead = LeadFactory(created_at=timezone.now() - timedelta(hours=2))
        services.assign_leads(leads=Lead.objects.filter(pk=lead.pk), to=attorney, by=attorney)
        services.add_note(lead=lead, author=attorney, body="Called <b>her</b>.\nShe will write back.")
        services.reach_out(lead=lead, by=attorney)
        FailedEmailFactory(lead=lead)

        body = attorney_client.get(page_of(lead)).content.decode()

        types = ["submitted", "assigned", "note", "status_changed", "delivery"]
        positions = [body.index(f'data-type="{kind}"') for kind in types]
        assert positions == sorted(positions)
        assert f"Assigned to {attorney.username}" in body
        assert "Called &lt;b&gt;her&lt;/b&gt;.<br>She will write back." in body
        assert "550 5.1.1 &lt;desk@firm.example&gt;: Recipient address rejected" in body

    def test_a_resubmission_links_to_its_own_resume(self, attorney_client):
        lead = LeadFactory()
        resubmission = Resubmission.objects.create(lead=lead, resume="resumes/again.pdf")

        body = attorney_client.get(page_of(lead)).content.decode()

        assert f'href="/admin/leads/lead/{lead.pk}/resume/?resubmission={resubmission.pk}"' in body

    def test_a_long_history_shows_the_newest_200_and_a_show_all_link(self, attorney_client, attorney):
        start = timezone.now() - timedelta(days=1)
        lead = LeadFactory(created_at=start - timedelta(minutes=1))
        Note.objects.bulk_create(
            Note(lead=lead, author=attorney, body=f"note {n}", created_at=start + timedelta(minutes=n))
            for n in range(250)
        )

        body = attorney_client.get(page_of(lead)).content.decode()
        everything = attorney_client.get(f"{page_of(lead)}?timeline=all").content.decode()

        assert body.count('data-type="note"') == 200
        assert 'href="?timeline=all#timeline">Show all</a>' in body
        assert "note 249" in body and "note 49<" not in body
        assert everything.count('data-type="note"') == 250
        assert 'data-type="submitted"' in everything

    def test_the_page_with_a_long_history_has_a_bounded_number_of_queries(
        self, attorney_client, attorney, django_assert_max_num_queries
    ):
        lead = LeadFactory()
        start = timezone.now() - timedelta(days=1)
        at = [start + timedelta(minutes=n) for n in range(300)]
        Note.objects.bulk_create(Note(lead=lead, author=attorney, body="x", created_at=t) for t in at[:100])
        StatusChange.objects.bulk_create(
            StatusChange(
                lead=lead, from_status="PENDING", to_status="REACHED_OUT", changed_by=attorney, changed_at=t
            )
            for t in at[100:200]
        )
        AssignmentChange.objects.bulk_create(
            AssignmentChange(lead=lead, to_user=attorney, changed_by=attorney, changed_at=t) for t in at[200:]
        )

        # session, user, the user's permissions (one query): 3; the lead: 1; the timeline, every
        # kind of event in one query (users joined): 1; the answers: 1; the assignee choices: 1;
        # the lead's content type for the history link (cached per process after the first
        # page): 1. At most 8.
        with django_assert_max_num_queries(8):
            response = attorney_client.get(page_of(lead))

        assert response.content.decode().count("lead-timeline__event ") == 200

    def test_a_lead_naming_people_an_area_and_its_resume_text_costs_no_query_more(
        self, attorney_client, attorney
    ):
        bare = LeadFactory()
        area = PracticeArea.objects.create(name="Family law", slug="family")
        lead = LeadFactory(
            practice_area=area,
            resume_text="Ten years of falconry.",
            resume_text_state=Lead.TextState.READ,
            submitted_by=UserFactory(username="crm-sync"),
        )
        services.assign_leads(leads=Lead.objects.filter(pk=lead.pk), to=attorney, by=attorney)
        services.reach_out(lead=lead, by=attorney)
        services.close_lead(lead=lead, outcome=Lead.Status.DECLINED, reason="Out of scope", by=attorney)
        attorney_client.get(page_of(bare))  # the content type, cached per process

        with CaptureQueriesContext(connection) as bare_page:
            attorney_client.get(page_of(bare))
        with CaptureQueriesContext(connection) as page:
            body = attorney_client.get(page_of(lead)).content.decode()

        assert len(page) == len(bare_page)
        assert "Ten years of falconry." in body and "Family law" in body
        assert f"Closed {body and ''}" is not None
        assert body.count(f"by {attorney.username}") >= 2 and "by crm-sync" in body


class TestNotes:
    def test_an_attorney_adds_a_note_under_the_timeline(self, attorney_client, attorney):
        lead = LeadFactory()

        response = attorney_client.post(f"{LIST_URL}{lead.pk}/note/", {"body": "Left a voicemail."})

        assert response.status_code == 302
        assert response["Location"] == f"{page_of(lead)}#timeline"
        note = Note.objects.get(lead=lead)
        assert (note.author, note.body) == (attorney, "Left a voicemail.")
        assert "Left a voicemail." in attorney_client.get(page_of(lead)).content.decode()

    def test_a_refused_note_says_why_and_adds_nothing(self, attorney_client):
        lead = LeadFactory()

        response = attorney_client.post(f"{LIST_URL}{lead.pk}/note/", {"body": "  "}, follow=True)

        assert (
            "The note was not added: Write something first: the note is empty." in response.content.decode()
        )
        assert not Note.objects.exists()

    def test_a_viewer_gets_no_note_form_and_cannot_post_one(self, viewer_client):
        lead = LeadFactory()

        body = viewer_client.get(page_of(lead)).content.decode()
        response = viewer_client.post(f"{LIST_URL}{lead.pk}/note/", {"body": "sneaky"})

        assert 'name="body"' not in body
        assert response.status_code == 403
        assert not Note.objects.exists()

    def test_a_get_of_the_note_url_is_refused(self, attorney_client):
        lead = LeadFactory()

        assert attorney_client.get(f"{LIST_URL}{lead.pk}/note/").status_code == 405

    def test_a_note_on_an_unknown_lead_is_a_404(self, attorney_client):
        response = attorney_client.post(
            f"{LIST_URL}00000000-0000-4000-8000-000000000000/note/", {"body": "x"}
        )

        assert response.status_code == 404


class TestReachingOut:
    def test_a_pending_lead_has_one_reach_out_button(self, attorney_client):
        lead = LeadFactory()

        body = attorney_client.get(page_of(lead)).content.decode()

        assert body.count(f'action="/admin/leads/lead/{lead.pk}/reach-out/"') == 1
        assert ">Mark as reached out</button>" in body

    def test_the_button_marks_the_lead_reached_out_by_the_attorney(self, attorney_client, attorney):
        lead = LeadFactory()

        response = attorney_client.post(f"{LIST_URL}{lead.pk}/reach-out/", follow=True)

        lead.refresh_from_db()
        assert (lead.status, lead.reached_out_by) == (Lead.Status.REACHED_OUT, attorney)
        assert StatusChange.objects.filter(lead=lead, changed_by=attorney).count() == 1
        assert "Marked as reached out." in response.content.decode()
        assert "/reach-out/" not in response.content.decode()  # no button once reached

    def test_pressing_it_twice_changes_nothing_more(self, attorney_client, attorney):
        other = AttorneyFactory()
        lead = services.reach_out(lead=LeadFactory(), by=other)

        response = attorney_client.post(f"{LIST_URL}{lead.pk}/reach-out/", follow=True)

        lead.refresh_from_db()
        assert lead.reached_out_by == other
        assert "This lead was already reached out." in response.content.decode()

    def test_a_viewer_cannot_reach_out(self, viewer_client):
        lead = LeadFactory()

        assert "/reach-out/" not in viewer_client.get(page_of(lead)).content.decode()
        assert viewer_client.post(f"{LIST_URL}{lead.pk}/reach-out/").status_code == 403
        lead.refresh_from_db()
        assert lead.status == Lead.Status.PENDING

    def test_an_anonymous_post_goes_to_the_login_page(self, client):
        lead = LeadFactory()

        response = client.post(f"{LIST_URL}{lead.pk}/reach-out/")

        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
