"""The lead list and the lead page, through the test client as an attorney."""

import os
import re
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.tests.factories import UserFactory
from leads import services
from leads.admin.leads import LeadAdmin
from leads.models import Delivery, Lead, StatusChange
from leads.tests.factories import LeadFactory
from leads.tests.mail import run_worker

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/leads/lead/"


def lead_ids_in(response) -> list[str]:
    """Lead ids in the order of the list's rows (from the row checkboxes)."""
    return re.findall(r'name="_selected_action" value="([0-9a-f-]{36})"', response.content.decode())


def change_form_data(lead: Lead, **changes) -> dict:
    data = {
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "email": lead.email,
        "status": lead.status,
        "assigned_to": lead.assigned_to_id or "",
    }
    return {**data, **changes}


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(LIST_URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_without_view_permission_gets_403(client, staff_without_view):
    client.force_login(staff_without_view)

    assert client.get(LIST_URL).status_code == 403


def test_list_shows_name_email_status_and_who_reached_out(attorney_client, attorney):
    lead = LeadFactory(first_name="Ada", last_name="Lovelace", email="ada@example.com")
    services.reach_out(lead=lead, by=attorney)

    body = attorney_client.get(LIST_URL).content.decode()

    assert "Ada Lovelace" in body
    assert "ada@example.com" in body
    assert 'data-status="REACHED_OUT">Reached out</span>' in body
    assert attorney.username in body


def test_list_is_newest_first(attorney_client):
    now = timezone.now()
    old = LeadFactory(created_at=now - timedelta(days=3))
    new = LeadFactory(created_at=now)
    middle = LeadFactory(created_at=now - timedelta(days=1))

    ids = lead_ids_in(attorney_client.get(LIST_URL))

    assert ids == [str(new.pk), str(middle.pk), str(old.pk)]


def test_counts_per_status_are_shown_above_the_list(attorney_client, attorney):
    LeadFactory.create_batch(3)
    services.reach_out(lead=LeadFactory(), by=attorney)

    body = attorney_client.get(LIST_URL).content.decode()

    assert '<strong data-count-for="PENDING">3</strong>' in body
    assert '<strong data-count-for="REACHED_OUT">1</strong>' in body


def test_search_finds_a_lead_by_last_name_in_any_case(attorney_client):
    wanted = LeadFactory(last_name="Hopper")
    LeadFactory(last_name="Turing")

    ids = lead_ids_in(attorney_client.get(LIST_URL, {"q": "hOPp"}))

    assert ids == [str(wanted.pk)]


def test_search_finds_a_lead_by_part_of_the_email(attorney_client):
    wanted = LeadFactory(email="grace@navy.example")
    LeadFactory(email="alan@bletchley.example")

    ids = lead_ids_in(attorney_client.get(LIST_URL, {"q": "navy"}))

    assert ids == [str(wanted.pk)]


def test_search_with_two_words_needs_both(attorney_client):
    wanted = LeadFactory(first_name="Grace", last_name="Hopper")
    LeadFactory(first_name="Grace", last_name="Kelly")

    ids = lead_ids_in(attorney_client.get(LIST_URL, {"q": "grace hopper"}))

    assert ids == [str(wanted.pk)]


def test_status_filter_lists_only_that_status(attorney_client, attorney):
    pending = LeadFactory()
    services.reach_out(lead=LeadFactory(), by=attorney)

    ids = lead_ids_in(attorney_client.get(LIST_URL, {"status__exact": "PENDING"}))

    assert ids == [str(pending.pk)]


def test_pending_older_than_filter_lists_only_old_pending_leads(attorney_client, attorney):
    now = timezone.now()
    old_pending = LeadFactory(created_at=now - timedelta(days=8))
    LeadFactory(created_at=now - timedelta(days=1))
    services.reach_out(lead=LeadFactory(created_at=now - timedelta(days=9)), by=attorney)

    ids = lead_ids_in(attorney_client.get(LIST_URL, {"pending_older_than": "7"}))

    assert ids == [str(old_pending.pk)]


def test_date_hierarchy_drills_into_a_month(attorney_client):
    in_march = LeadFactory(created_at=timezone.make_aware(timezone.datetime(2026, 3, 15, 12)))
    LeadFactory(created_at=timezone.make_aware(timezone.datetime(2026, 4, 2, 12)))

    response = attorney_client.get(LIST_URL, {"created_at__year": "2026", "created_at__month": "3"})

    assert lead_ids_in(response) == [str(in_march.pk)]
    assert "March 31" in response.content.decode()


def test_the_list_offers_no_facet_counts(attorney_client):
    LeadFactory()

    body = attorney_client.get(LIST_URL, {"_facets": "True"}).content.decode()

    assert "Show counts" not in body
    assert "Pending (1)" not in body


def test_bad_filter_values_redirect_instead_of_failing(attorney_client):
    response = attorney_client.get(LIST_URL, {"created_at__year": "20x6"})

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_bulk_action_marks_pending_leads_and_says_how_many_were_already_done(attorney_client, attorney):
    first, second = LeadFactory.create_batch(2)
    done = LeadFactory()
    services.reach_out(lead=done, by=attorney)

    response = attorney_client.post(
        LIST_URL,
        {"action": "mark_reached_out", "_selected_action": [first.pk, second.pk, done.pk]},
        follow=True,
    )

    assert "2 leads marked as reached out; 1 was already reached out." in response.content.decode()
    assert set(Lead.objects.with_status(Lead.Status.REACHED_OUT).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
        done.pk,
    }


def test_bulk_action_records_the_attorney_and_the_time(attorney_client, attorney):
    lead = LeadFactory()

    attorney_client.post(LIST_URL, {"action": "mark_reached_out", "_selected_action": [lead.pk]})

    lead.refresh_from_db()
    assert lead.reached_out_by == attorney
    assert lead.reached_out_at is not None
    change = StatusChange.objects.get(lead=lead)
    assert (change.from_status, change.to_status, change.changed_by) == ("PENDING", "REACHED_OUT", attorney)


def test_changing_the_status_on_the_lead_page_records_history(attorney_client, attorney):
    lead = LeadFactory()

    response = attorney_client.post(
        f"{LIST_URL}{lead.pk}/change/", change_form_data(lead, status="REACHED_OUT")
    )

    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == "REACHED_OUT"
    assert lead.reached_out_by == attorney
    assert StatusChange.objects.filter(lead=lead, to_status="REACHED_OUT", changed_by=attorney).count() == 1


def test_reopening_a_lead_keeps_its_first_reach_out(attorney_client, attorney):
    lead = services.reach_out(lead=LeadFactory(), by=attorney)
    first_time = lead.reached_out_at

    attorney_client.post(f"{LIST_URL}{lead.pk}/change/", change_form_data(lead, status="PENDING"))

    lead.refresh_from_db()
    assert (lead.status, lead.reached_out_at) == ("PENDING", first_time)
    assert list(StatusChange.objects.filter(lead=lead).values_list("to_status", flat=True)) == [
        "REACHED_OUT",
        "PENDING",
    ]


def test_editing_a_name_writes_no_status_change(attorney_client):
    lead = LeadFactory(first_name="Ada")

    attorney_client.post(f"{LIST_URL}{lead.pk}/change/", change_form_data(lead, first_name="Augusta"))

    lead.refresh_from_db()
    assert lead.first_name == "Augusta"
    assert not StatusChange.objects.filter(lead=lead).exists()


def test_a_name_with_an_address_is_refused_on_the_lead_page(attorney_client):
    lead = LeadFactory(last_name="Lovelace")

    response = attorney_client.post(
        f"{LIST_URL}{lead.pk}/change/", change_form_data(lead, last_name="write to eve@evil.example")
    )

    assert response.status_code == 200
    assert "Enter a name without links or email addresses." in response.content.decode()
    lead.refresh_from_db()
    assert lead.last_name == "Lovelace"


def test_an_email_already_on_another_lead_is_refused_on_the_lead_page(attorney_client):
    LeadFactory(email="taken@example.com")
    lead = LeadFactory()

    response = attorney_client.post(
        f"{LIST_URL}{lead.pk}/change/", change_form_data(lead, email="TAKEN@example.com")
    )

    assert response.status_code == 200
    assert "A lead with this email already exists." in response.content.decode()


def test_another_spelling_of_an_email_on_another_lead_is_refused_on_the_lead_page(attorney_client):
    LeadFactory(email="taken@example.com")
    lead = LeadFactory(email="mine@example.com")

    response = attorney_client.post(
        f"{LIST_URL}{lead.pk}/change/", change_form_data(lead, email="taken@\uff45xample.com")
    )

    assert response.status_code == 200
    errors = re.search(
        r'<ul class="errorlist"[^>]*id="id_email_error">(.*?)</ul>', response.content.decode(), re.S
    )
    assert "A lead with this email already exists." in errors.group(1)
    lead.refresh_from_db()
    assert lead.email == "mine@example.com"


def test_an_email_with_an_invisible_character_is_refused_on_the_lead_page(attorney_client):
    lead = LeadFactory(email="ada@example.com")

    response = attorney_client.post(
        f"{LIST_URL}{lead.pk}/change/", change_form_data(lead, email="ada@exa\u00admple.com")
    )

    assert response.status_code == 200
    assert "Enter the email address without control or invisible characters." in response.content.decode()
    lead.refresh_from_db()
    assert lead.email == "ada@example.com"


def test_lead_page_shows_history_read_only_and_a_resume_link(attorney_client, attorney):
    lead = services.reach_out(lead=LeadFactory(source="newsletter"), by=attorney)

    body = attorney_client.get(f"{LIST_URL}{lead.pk}/change/").content.decode()

    assert 'data-type="status_changed"' in body
    assert f"by {attorney.username}" in body
    assert f'href="/admin/leads/lead/{lead.pk}/resume/"' in body
    assert 'name="source"' not in body  # shown, not editable


def test_attorneys_cannot_add_leads_in_the_admin(attorney_client):
    assert attorney_client.get(f"{LIST_URL}add/").status_code == 403


def test_attorneys_cannot_delete_leads(attorney_client):
    lead = LeadFactory()

    assert attorney_client.post(f"{LIST_URL}{lead.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Lead.objects.filter(pk=lead.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_superuser_deleting_a_lead_removes_its_resume_file(admin_client, settings):
    settings.LEAD_TRASH_DAYS = 0  # erased at once, as without the trash
    lead = LeadFactory()
    path = lead.resume.path

    admin_client.post(f"{LIST_URL}{lead.pk}/delete/", {"post": "yes"})
    run_worker()

    assert not Lead.objects.filter(pk=lead.pk).exists()
    assert not os.path.exists(path)


def test_a_user_with_only_view_permission_sees_the_lead_read_only(client):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_lead"))
    client.force_login(viewer)
    lead = LeadFactory()

    body = client.get(f"{LIST_URL}{lead.pk}/change/").content.decode()

    assert 'name="status"' not in body
    assert 'action="mark_reached_out"' not in body


def test_list_query_count_does_not_grow_with_rows(attorney_client, attorney, django_assert_max_num_queries):
    leads = LeadFactory.create_batch(60)  # more than one page of 50
    for lead in leads[:30]:
        services.reach_out(lead=lead, by=attorney)

    # session, and the user with their own and group permission names: 2 (a session that
    # gave an authenticator code: 3, its device); the counts per status with the first and
    # last lead's dates for the date links: 1; the page with reached_out_by and assigned_to
    # joined and its count as a scalar subquery: 1; the attorneys for the assignee filter and
    # actions: 1. At most 6, whatever the row count.
    with django_assert_max_num_queries(6):
        response = attorney_client.get(LIST_URL)

    assert len(lead_ids_in(response)) == 50
    assert "60 leads" in response.content.decode()


def test_status_filtered_list_costs_the_same_queries(attorney_client, django_assert_max_num_queries):
    LeadFactory.create_batch(60)

    # As the unfiltered list: the status's count rides on the page query.
    with django_assert_max_num_queries(6):
        response = attorney_client.get(LIST_URL, {"status__exact": "PENDING"})

    assert len(lead_ids_in(response)) == 50


class Quoted:
    """Anything with a key and a text that HTML must escape."""

    pk = "1&2"

    def __str__(self) -> str:
        return 'O\'Brien <b>& "Co"</b>'


@pytest.mark.django_db
@pytest.mark.parametrize("make", [LeadFactory, Quoted], ids=["lead", "text to escape"])
def test_a_rows_action_checkbox_is_the_markup_djangos_own_renders(make):
    lead_admin = LeadAdmin(Lead, admin.site)
    row = make()

    assert lead_admin.action_checkbox(row) == admin.ModelAdmin.action_checkbox(lead_admin, row)


@pytest.mark.django_db
def test_a_rows_link_is_the_change_url_django_reverses(attorney_client):
    lead = LeadFactory()
    changelist = attorney_client.get("/admin/leads/lead/").context["cl"]

    assert changelist.url_for_result(lead) == ChangeList.url_for_result(changelist, lead)
    assert changelist.url_for_result(lead) == f"/admin/leads/lead/{lead.pk}/change/"


@pytest.mark.django_db
def test_a_rows_link_keeps_the_lists_search_and_filters_once(attorney_client):
    lead = LeadFactory(last_name="Quixote")

    query = {"q": "quixote", "status__exact": "PENDING"}
    body = attorney_client.get("/admin/leads/lead/", query).content.decode()

    filters = "_changelist_filters=q%3Dquixote%26status__exact%3DPENDING"
    assert f'href="/admin/leads/lead/{lead.pk}/change/?{filters}"' in body


def test_an_attorney_can_read_a_lead_s_change_history(attorney_client):
    lead = LeadFactory(first_name="Ada")
    attorney_client.post(f"{LIST_URL}{lead.pk}/change/", change_form_data(lead, first_name="Augusta"))

    response = attorney_client.get(f"{LIST_URL}{lead.pk}/history/")

    assert response.status_code == 200
    assert "Changed First name." in response.content.decode()


def test_an_attorney_can_open_a_delivery_s_change_history(attorney_client):
    delivery = Delivery.objects.create(
        kind=Delivery.Kind.CONFIRMATION, channel=Delivery.Channel.EMAIL, recipient="jane@example.com"
    )

    response = attorney_client.get(f"/admin/leads/delivery/{delivery.pk}/history/")

    assert response.status_code == 200
    assert "have a change history." in response.content.decode()  # Django's "This object doesn't…"
