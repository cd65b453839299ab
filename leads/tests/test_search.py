"""Search (issue 26): a whole address is looked up by its key, in one probe, and the contains
search runs only when nobody has it; names and parts of addresses still match as they did;
resume words are found where the contract says (the admin's search box, the API's
resume_search, not the API's `search`); and another place of searched text joins in one spot."""

import re

import pytest
from django.db import connection, transaction

from leads import services
from leads.models import Lead, looks_like_an_address
from leads.tests.factories import LeadFactory
from leads.tests.queries import statements

pytestmark = pytest.mark.django_db

API_URL = "/api/v1/leads/"
ADMIN_URL = "/admin/leads/lead/"


def api_ids(client, **query) -> list[str]:
    response = client.get(API_URL, query)
    assert response.status_code == 200, response.content
    return [lead["id"] for lead in response.json()["results"]]


def admin_ids(client, q: str) -> list[str]:
    response = client.get(ADMIN_URL, {"q": q})
    assert response.status_code == 200
    return re.findall(r'name="_selected_action" value="([0-9a-f-]{36})"', response.content.decode())


@pytest.mark.parametrize(
    "typed", ["Grace.Hopper@Navy.Example", "GRACE.HOPPER@NAVY.EXAMPLE", "  grace.hopper@navy.example  "]
)
def test_an_email_in_any_letter_case_or_with_spaces_around_finds_its_lead_in_the_api(
    integration_client, typed
):
    wanted = LeadFactory(email="grace.hopper@navy.example")
    LeadFactory(email="alan.turing@bletchley.example")

    assert api_ids(integration_client, search=typed) == [str(wanted.pk)]


@pytest.mark.parametrize("typed", ["Grace.Hopper@Navy.Example", " GRACE.HOPPER@NAVY.EXAMPLE "])
def test_an_email_in_any_letter_case_or_with_spaces_around_finds_its_lead_in_the_admin(
    attorney_client, typed
):
    wanted = LeadFactory(email="grace.hopper@navy.example")
    LeadFactory(email="alan.turing@bletchley.example")

    assert admin_ids(attorney_client, typed) == [str(wanted.pk)]


def test_an_email_with_a_unicode_domain_is_found_by_its_idna_spelling(integration_client):
    wanted = LeadFactory(email="jane@éxample.com")

    assert api_ids(integration_client, search="JANE@xn--xample-9ua.com") == [str(wanted.pk)]


def test_a_whole_address_nobody_has_still_finds_the_leads_whose_address_contains_it(integration_client):
    wanted = LeadFactory(email="joann@example.com")
    LeadFactory(email="ann@example.org")

    assert api_ids(integration_client, search="ann@example.com") == [str(wanted.pk)]


def test_a_whole_address_a_lead_has_finds_that_lead_alone(integration_client):
    exact = LeadFactory(email="ann@example.com")
    LeadFactory(email="joann@example.com")

    assert api_ids(integration_client, search="Ann@Example.com") == [str(exact.pk)]


@pytest.mark.parametrize("part", ["opp", "HOPP", "grac", "navy.ex", "hopper@"])
def test_partial_names_and_addresses_still_match_in_the_api(integration_client, part):
    wanted = LeadFactory(first_name="Grace", last_name="Hopper", email="g.hopper@navy.example")
    LeadFactory(first_name="Alan", last_name="Turing", email="alan@bletchley.example")

    assert api_ids(integration_client, search=part) == [str(wanted.pk)]


@pytest.mark.parametrize("part", ["opp", "GRAC", "navy.ex", "hopper@"])
def test_partial_names_and_addresses_still_match_in_the_admin(attorney_client, part):
    wanted = LeadFactory(first_name="Grace", last_name="Hopper", email="g.hopper@navy.example")
    LeadFactory(first_name="Alan", last_name="Turing", email="alan@bletchley.example")

    assert admin_ids(attorney_client, part) == [str(wanted.pk)]


def test_a_word_found_only_in_a_resume_finds_the_lead_in_the_admin_search(attorney_client):
    wanted = LeadFactory(first_name="Grace", last_name="Hopper")
    LeadFactory(first_name="Alan", last_name="Turing")
    Lead.objects.filter(pk=wanted.pk).store_resume_text(text="Trained falconer; falconry permits.")

    assert admin_ids(attorney_client, "falconry") == [str(wanted.pk)]


def test_a_word_found_only_in_a_resume_finds_the_lead_by_the_apis_resume_search_not_its_search(
    integration_client,
):
    wanted = LeadFactory(first_name="Grace", last_name="Hopper")
    Lead.objects.filter(pk=wanted.pk).store_resume_text(text="Trained falconer; falconry permits.")

    assert api_ids(integration_client, resume_search="falconry") == [str(wanted.pk)]
    assert api_ids(integration_client, search="falconry") == []


def test_an_address_written_only_in_a_resume_finds_that_lead_in_the_admin_when_no_lead_has_it(
    attorney_client,
):
    wanted = LeadFactory(email="grace@navy.example")
    Lead.objects.filter(pk=wanted.pk).store_resume_text(text="References: ada.lovelace@analytical.example")

    assert admin_ids(attorney_client, "ada.lovelace@analytical.example") == [str(wanted.pk)]


@pytest.mark.parametrize(
    ("text", "whole"),
    [
        ("ann@example.com", True),
        (" Ann@Example.COM ", True),
        ("ann@", False),
        ("@example.com", False),
        ("ann@localhost", False),
        ("ann smith@example.com", False),
        ("example.com", False),
    ],
)
def test_only_what_looks_like_a_whole_address_is_looked_up_by_its_key(text, whole):
    assert looks_like_an_address(text.strip()) is whole


def test_an_address_search_is_one_query_on_the_lead_table_in_the_api(
    integration_client, django_assert_max_num_queries
):
    LeadFactory.create_batch(3)
    wanted = LeadFactory(email="grace@navy.example")

    # As the list without a search: the token, the throttle's upsert, the page with its count.
    with django_assert_max_num_queries(3) as captured:
        body = integration_client.get(API_URL, {"search": "Grace@Navy.example"}).json()

    assert [lead["id"] for lead in body["results"]] == [str(wanted.pk)]
    assert len([sql for sql in statements(captured) if "leads_lead" in sql]) == 1


def test_an_address_search_costs_the_admin_list_no_more_queries(
    attorney_client, django_assert_max_num_queries
):
    LeadFactory.create_batch(3)
    LeadFactory(email="grace@navy.example")

    # The same budget as the list unsearched (test_admin.test_list_query_count_does_not_grow_with_rows).
    with django_assert_max_num_queries(6):
        response = attorney_client.get(ADMIN_URL, {"q": "grace@navy.example"})

    assert response.status_code == 200


@pytest.mark.postgres_only(reason="PostgreSQL's plans")
def test_a_whole_address_a_lead_has_never_reads_the_trigram_indexes():
    LeadFactory(email="grace@navy.example")
    LeadFactory.create_batch(3)
    sql, params = Lead.objects.search("Grace@Navy.Example").for_lists().query.sql_with_params()

    # Table scans priced out, as leads.tests.queries.plan_of does: a small table then plans
    # with the indexes a million rows would use.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}", params)
        plan = [row[0] for row in cursor.fetchall()]

    assert any("lead_email_key_unique" in line and "never executed" not in line for line in plan)
    trigram_scans = [line for line in plan if "_trgm" in line]
    assert trigram_scans
    assert all("never executed" in line for line in trigram_scans)


def test_an_admin_search_of_only_empty_quotes_lists_every_lead_as_before(attorney_client):
    leads = LeadFactory.create_batch(2)

    assert set(admin_ids(attorney_client, '""')) == {str(lead.pk) for lead in leads}


def test_a_whole_address_whose_lead_another_filter_leaves_out_still_finds_the_leads_containing_it(
    integration_client, attorney
):
    exact = LeadFactory(email="ann@example.com")
    longer = LeadFactory(email="joann@example.com")
    services.reach_out(lead=longer, by=attorney)

    found = api_ids(integration_client, search="ann@example.com", status="REACHED_OUT")

    assert found == [str(longer.pk)]
    assert str(exact.pk) not in found
