"""Assignment in the admin, through the test client: the lead page's "Assign" form, the bulk
actions, the list column and the filters."""

import re

import pytest
from django.contrib.auth.models import Permission

from accounts.tests.factories import AttorneyFactory, UserFactory
from leads import services
from leads.models import AssignmentChange, Lead
from leads.tests.factories import LeadFactory
from leads.tests.test_admin import LIST_URL, change_form_data, lead_ids_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(db):
    return AttorneyFactory(username="bob", full_name="Bob Bell")


def assign(lead: Lead, to, by) -> None:
    services.assign_leads(leads=Lead.objects.filter(pk=lead.pk), to=to, by=by)


def action_choices(response) -> dict[str, str]:
    select = re.search(r'<select name="action".*?</select>', response.content.decode(), re.S).group(0)
    return dict(re.findall(r'<option value="([^"]*)">([^<]*)</option>', select))


def run_action(client, action: str, leads: list[Lead]):
    return client.post(
        LIST_URL,
        {"action": action, "_selected_action": [str(lead.pk) for lead in leads], "index": "0"},
        follow=True,
    )


def assign_url(lead: Lead) -> str:
    return f"{LIST_URL}{lead.pk}/assign/"


class TestTheLeadPage:
    def test_choosing_a_colleague_assigns_the_lead_through_the_service(
        self, attorney_client, attorney, colleague
    ):
        lead = LeadFactory()

        response = attorney_client.post(assign_url(lead), {"assigned_to": str(colleague.pk)})

        assert response.status_code == 302
        lead.refresh_from_db()
        assert lead.assigned_to == colleague
        change = AssignmentChange.objects.get(lead=lead)
        assert (change.to_user, change.changed_by) == (colleague, attorney)

    def test_choosing_nobody_unassigns_the_lead(self, attorney_client, attorney, colleague):
        lead = LeadFactory()
        assign(lead, colleague, attorney)

        attorney_client.post(assign_url(lead), {"assigned_to": ""})

        lead.refresh_from_db()
        assert lead.assigned_to is None

    def test_the_choices_are_the_active_attorneys_and_nobody(self, attorney_client, attorney, colleague):
        AttorneyFactory(username="gone", is_active=False)
        UserFactory(username="clerk", is_staff=True)
        lead = LeadFactory()

        body = attorney_client.get(f"{LIST_URL}{lead.pk}/change/").content.decode()

        select = re.search(r'<select name="assigned_to".*?</select>', body, re.S).group(0)
        labels = re.findall(r"<option[^>]*>([^<]*)</option>", select)
        assert labels == ["Nobody", attorney_label(attorney), "Bob Bell (bob)"]

    def test_an_inactive_attorney_is_refused_with_a_message(self, attorney_client):
        gone = AttorneyFactory(is_active=False)
        lead = LeadFactory()

        response = attorney_client.post(assign_url(lead), {"assigned_to": str(gone.pk)}, follow=True)

        assert "The lead was not assigned" in response.content.decode()
        lead.refresh_from_db()
        assert lead.assigned_to is None

    def test_a_deactivated_assignee_is_kept_when_a_name_is_edited(self, attorney_client, attorney, colleague):
        lead = LeadFactory(first_name="Jane")
        assign(lead, colleague, attorney)
        colleague.is_active = False
        colleague.save()
        lead.refresh_from_db()  # the form as the page shows it: bob chosen

        attorney_client.post(f"{LIST_URL}{lead.pk}/change/", change_form_data(lead, first_name="Janet"))

        lead.refresh_from_db()
        assert (lead.first_name, lead.assigned_to) == ("Janet", colleague)
        assert AssignmentChange.objects.filter(lead=lead).count() == 1

    def test_a_viewer_sees_the_assignee_but_cannot_change_it(self, client, attorney, colleague):
        viewer = UserFactory(is_staff=True)
        viewer.user_permissions.add(Permission.objects.get(codename="view_lead"))
        client.force_login(viewer)
        lead = LeadFactory()
        assign(lead, colleague, attorney)

        body = client.get(f"{LIST_URL}{lead.pk}/change/").content.decode()

        assert 'name="assigned_to"' not in body
        assert "bob" in body

    def test_a_viewer_cannot_post_an_assignment(self, client, colleague):
        viewer = UserFactory(is_staff=True)
        viewer.user_permissions.add(Permission.objects.get(codename="view_lead"))
        client.force_login(viewer)
        lead = LeadFactory()

        response = client.post(assign_url(lead), {"assigned_to": str(colleague.pk)})

        assert response.status_code == 403
        lead.refresh_from_db()
        assert lead.assigned_to is None

    def test_assigning_keeps_the_details_form_out_of_it(self, attorney_client, attorney, colleague):
        lead = LeadFactory(first_name="Jane")

        attorney_client.post(assign_url(lead), {"assigned_to": str(colleague.pk), "first_name": "Janet"})

        lead.refresh_from_db()
        assert (lead.first_name, lead.assigned_to) == ("Jane", colleague)


class TestTheBulkActions:
    def test_assign_to_me_assigns_the_selected_leads_to_the_attorney(self, attorney_client, attorney):
        leads = LeadFactory.create_batch(2)
        other = LeadFactory()

        response = run_action(attorney_client, "assign_to_me", leads)

        assert f"2 leads assigned to {attorney.username}; 0 already were." in response.content.decode()
        assert set(Lead.objects.filter(assigned_to=attorney)) == set(leads)
        other.refresh_from_db()
        assert other.assigned_to is None

    def test_there_is_one_assign_action_per_active_colleague(self, attorney_client, attorney, colleague):
        gone = AttorneyFactory(is_active=False)
        LeadFactory()

        choices = action_choices(attorney_client.get(LIST_URL))

        assert choices["assign_to_me"] == "Assign to me"
        assert choices[f"assign_to_{colleague.pk.hex}"] == "Assign to Bob Bell (bob)"
        assert f"assign_to_{attorney.pk.hex}" not in choices  # that is "Assign to me"
        assert f"assign_to_{gone.pk.hex}" not in choices

    def test_assign_to_a_colleague_records_who_did_it(self, attorney_client, attorney, colleague):
        leads = LeadFactory.create_batch(3)
        assign(leads[0], colleague, attorney)

        response = run_action(attorney_client, f"assign_to_{colleague.pk.hex}", leads)

        assert "2 leads assigned to bob; 1 already was." in response.content.decode()
        assert AssignmentChange.objects.filter(to_user=colleague, changed_by=attorney).count() == 3

    def test_a_superuser_outside_the_group_gets_no_assign_to_me(self, admin_client, colleague):
        LeadFactory()

        choices = action_choices(admin_client.get(LIST_URL))

        assert "assign_to_me" not in choices
        assert f"assign_to_{colleague.pk.hex}" in choices

    def test_a_viewer_gets_no_assign_actions(self, client, colleague):
        viewer = UserFactory(is_staff=True)
        viewer.user_permissions.add(Permission.objects.get(codename="view_lead"))
        client.force_login(viewer)
        LeadFactory()

        body = client.get(LIST_URL).content.decode()

        assert "assign_to" not in body.replace('name="assigned_to"', "").replace("?assigned_to=", "")


class TestTheList:
    def test_the_list_shows_who_each_lead_is_assigned_to(self, attorney_client, attorney, colleague):
        lead = LeadFactory()
        assign(lead, colleague, attorney)
        LeadFactory()

        body = attorney_client.get(LIST_URL).content.decode()

        cells = re.findall(r'<td class="field-assigned_to[^"]*">([^<]*)</td>', body)
        assert sorted(cells) == ["-", "bob"]

    def test_mine_lists_only_the_leads_assigned_to_me(self, attorney_client, attorney, colleague):
        mine = LeadFactory()
        assign(mine, attorney, attorney)
        assign(LeadFactory(), colleague, attorney)
        LeadFactory()

        assert lead_ids_in(attorney_client.get(f"{LIST_URL}?assigned_to=mine")) == [str(mine.pk)]

    def test_unassigned_lists_only_the_leads_nobody_has(self, attorney_client, attorney):
        assign(LeadFactory(), attorney, attorney)
        free = LeadFactory()

        assert lead_ids_in(attorney_client.get(f"{LIST_URL}?assigned_to=none")) == [str(free.pk)]

    def test_each_attorney_has_a_filter_of_their_own(self, attorney_client, attorney, colleague):
        theirs = LeadFactory()
        assign(theirs, colleague, attorney)
        LeadFactory()

        response = attorney_client.get(LIST_URL)
        assert f'href="?assigned_to={colleague.pk}"' in response.content.decode()
        assert lead_ids_in(attorney_client.get(f"{LIST_URL}?assigned_to={colleague.pk}")) == [str(theirs.pk)]

    def test_a_malformed_assignee_redirects_instead_of_failing(self, attorney_client):
        response = attorney_client.get(f"{LIST_URL}?assigned_to=not-a-uuid")

        assert response.status_code == 302
        assert response["Location"].endswith("?e=1")

    def test_the_list_with_assignees_has_a_bounded_number_of_queries(
        self, attorney_client, attorney, colleague, django_assert_max_num_queries
    ):
        AttorneyFactory.create_batch(3)
        leads = LeadFactory.create_batch(60)  # more than a page of 50
        services.assign_leads(
            leads=Lead.objects.filter(pk__in=[lead.pk for lead in leads[:40]]), to=colleague, by=attorney
        )
        for lead in leads[:20]:
            services.reach_out(lead=lead, by=attorney)

        # session, user, user's permissions (group + own): 4; counts per status: 1 (PostgreSQL
        # 2); the total: 1 (PostgreSQL up to 3); the page with reached_out_by and assigned_to
        # joined: 1; first/last lead for the date links: 1; the active attorneys (the filter
        # and the "Assign to …" actions share one read): 1. At most 12 whatever the rows.
        with django_assert_max_num_queries(12):
            response = attorney_client.get(LIST_URL)

        assert len(lead_ids_in(response)) == 50
        # The newest 50 are leads 10-59, of which 10-39 are bob's.
        assert (
            len(re.findall(r'<td class="field-assigned_to[^"]*">bob</td>', response.content.decode())) == 30
        )


def attorney_label(user) -> str:
    return f"{user.full_name} ({user.username})" if user.full_name else user.username
