from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from leads import services
from leads.api.filters import LeadFilter
from leads.models import Lead
from leads.tests.factories import LeadFactory, ResubmissionFactory

URL = "/api/v1/leads/"


@pytest.mark.django_db
def test_list_is_paginated_newest_first(integration_client):
    older = LeadFactory(created_at=timezone.now() - timedelta(days=1))
    newer = LeadFactory()

    response = integration_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert body["next"] is None
    assert body["previous"] is None
    assert [lead["id"] for lead in body["results"]] == [str(newer.pk), str(older.pk)]


@pytest.mark.django_db
def test_list_item_has_the_contract_fields_and_an_absolute_resume_url(integration_client):
    lead = LeadFactory()

    item = integration_client.get(URL).json()["results"][0]

    assert set(item) == {
        "id",
        "first_name",
        "last_name",
        "email",
        "status",
        "resume_url",
        "created_at",
        "updated_at",
        "reached_out_at",
        "reached_out_by",
        "source",
        "referrer",
        "assigned_to",
        "resubmissions",
        "practice_area",
        "answers",
        "closed_at",
        "closed_by",
        "outcome_reason",
        "response_due_at",
        "language",
    }
    assert item["resume_url"] == f"http://testserver/api/v1/leads/{lead.pk}/resume/"
    assert item["reached_out_by"] is None
    assert item["resubmissions"] == 0


@pytest.mark.django_db
def test_default_page_holds_twenty_and_links_the_next(integration_client):
    LeadFactory.create_batch(21)

    body = integration_client.get(URL).json()

    assert body["count"] == 21
    assert len(body["results"]) == 20
    assert body["next"] == "http://testserver/api/v1/leads/?page=2"


@pytest.mark.django_db
def test_page_size_chooses_the_page_length(integration_client):
    LeadFactory.create_batch(3)

    body = integration_client.get(URL, {"page_size": 2, "page": 2}).json()

    assert len(body["results"]) == 1
    assert body["previous"] is not None


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["101", "0", "-1", "many"])
def test_page_size_outside_one_to_hundred_is_a_400_naming_it(integration_client, value):
    response = integration_client.get(URL, {"page_size": value})

    assert response.status_code == 400
    assert list(response.json()) == ["page_size"]


@pytest.mark.django_db
def test_page_that_is_not_a_number_is_a_400_naming_it(integration_client):
    response = integration_client.get(URL, {"page": "two"})

    assert response.status_code == 400
    assert list(response.json()) == ["page"]


@pytest.mark.django_db
def test_page_past_the_end_is_a_json_404(integration_client):
    LeadFactory()

    response = integration_client.get(URL, {"page": 5})

    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.django_db
def test_status_filter_keeps_only_that_status(integration_client, attorney):
    pending = LeadFactory()
    reached = LeadFactory()
    services.reach_out(lead=reached, by=attorney)

    body = integration_client.get(URL, {"status": "PENDING"}).json()

    assert [lead["id"] for lead in body["results"]] == [str(pending.pk)]


@pytest.mark.django_db
def test_unknown_status_is_a_400_naming_status(integration_client):
    response = integration_client.get(URL, {"status": "LOST"})

    assert response.status_code == 400
    assert list(response.json()) == ["status"]


@pytest.mark.django_db
def test_a_bad_filter_value_does_not_reach_the_next_request_through_the_shared_form_class(
    integration_client,
):
    LeadFactory()
    integration_client.get(URL, {"status": "LOST"})

    response = integration_client.get(URL)

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_the_lead_filters_form_class_is_built_once_for_every_request():
    first = LeadFilter({"status": "LOST"}, queryset=Lead.objects.none())
    second = LeadFilter({"status": "PENDING"}, queryset=Lead.objects.none())

    assert type(first.form) is type(second.form)
    assert (first.is_valid(), second.is_valid()) == (False, True)


@pytest.mark.django_db
def test_created_after_and_before_bound_the_creation_time(integration_client):
    now = timezone.now()
    LeadFactory(created_at=now - timedelta(days=10))
    middle = LeadFactory(created_at=now - timedelta(days=5))
    LeadFactory(created_at=now)

    body = integration_client.get(
        URL,
        {
            "created_after": (now - timedelta(days=6)).isoformat(),
            "created_before": (now - timedelta(days=1)).isoformat(),
        },
    ).json()

    assert [lead["id"] for lead in body["results"]] == [str(middle.pk)]


@pytest.mark.django_db
def test_created_after_accepts_a_plain_date(integration_client):
    LeadFactory(created_at=timezone.now() - timedelta(days=400))
    recent = LeadFactory()

    response = integration_client.get(URL, {"created_after": (timezone.now() - timedelta(days=1)).date()})

    assert [lead["id"] for lead in response.json()["results"]] == [str(recent.pk)]


@pytest.mark.django_db
@pytest.mark.parametrize("param", ["created_after", "created_before"])
def test_malformed_date_is_a_400_naming_the_parameter(integration_client, param):
    response = integration_client.get(URL, {param: "yesterday"})

    assert response.status_code == 400
    assert list(response.json()) == [param]


@pytest.mark.django_db
def test_an_offset_postgresql_refuses_is_converted_to_utc_not_a_500(integration_client):
    LeadFactory()

    response = integration_client.get(URL, {"created_before": "2000-07-12T10:08:44-16:20"})

    assert response.status_code == 200
    assert response.json()["count"] == 0


@pytest.mark.django_db
def test_a_time_before_year_one_in_utc_is_a_400_naming_the_parameter(integration_client):
    response = integration_client.get(URL, {"created_after": "0001-01-01T00:00:00+05:00"})

    assert response.status_code == 400
    assert list(response.json()) == ["created_after"]


@pytest.mark.django_db
def test_search_matches_names_and_email_in_any_case(integration_client):
    ada = LeadFactory(first_name="Ada", last_name="Lovelace", email="ada@example.com")
    LeadFactory(first_name="Alan", last_name="Turing", email="alan@example.com")

    for query in ["LOVE", "ada@", "ADA"]:
        body = integration_client.get(URL, {"search": query}).json()
        assert [lead["id"] for lead in body["results"]] == [str(ada.pk)], query


@pytest.mark.django_db
def test_search_with_a_nul_character_is_a_400_not_a_500(integration_client):
    response = integration_client.get(URL, {"search": "a\x00b"})

    assert response.status_code == 400
    assert list(response.json()) == ["search"]


@pytest.mark.django_db
def test_ordering_by_last_name(integration_client):
    LeadFactory(last_name="Zed")
    LeadFactory(last_name="Abel")

    body = integration_client.get(URL, {"ordering": "last_name"}).json()

    assert [lead["last_name"] for lead in body["results"]] == ["Abel", "Zed"]


@pytest.mark.django_db
def test_ordering_by_a_field_outside_the_contract_is_a_400(integration_client):
    response = integration_client.get(URL, {"ordering": "email"})

    assert response.status_code == 400
    assert list(response.json()) == ["ordering"]


@pytest.mark.django_db
@pytest.mark.parametrize(("ordering", "oldest_first"), [("last_name", True), ("-last_name", False)])
def test_equal_sort_keys_fall_back_to_creation_time_in_the_same_direction(
    integration_client, ordering, oldest_first
):
    now = timezone.now()
    old = LeadFactory(last_name="Same", created_at=now - timedelta(hours=1))
    new = LeadFactory(last_name="Same", created_at=now)

    body = integration_client.get(URL, {"ordering": ordering}).json()

    expected = [str(old.pk), str(new.pk)] if oldest_first else [str(new.pk), str(old.pk)]
    assert [lead["id"] for lead in body["results"]] == expected


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{}, {"status": "REACHED_OUT"}], ids=["all", "status"])
def test_list_fetches_a_full_page_and_its_count_in_one_query(
    integration_client, attorney, query, django_assert_max_num_queries
):
    for lead in LeadFactory.create_batch(25):
        services.reach_out(lead=lead, by=attorney)
        ResubmissionFactory(lead=lead)

    # 1 the token with its user and every permission name, 2 the user throttle's upsert, 3 the
    # page with reached_out_by and assigned_to joined, each row's count of resubmissions and
    # the list's count as scalar subqueries of it. Nothing per row.
    with django_assert_max_num_queries(3) as captured:
        response = integration_client.get(URL, {"page_size": 20, **query})

    assert [q["sql"] for q in captured if "leads_lead" in q["sql"]] == [captured[-1]["sql"]]
    body = response.json()
    assert (body["count"], len(body["results"])) == (25, 20)
    assert body["results"][0]["reached_out_by"] == attorney.username
    assert {row["resubmissions"] for row in body["results"]} == {1}


@pytest.mark.django_db
def test_list_without_credentials_is_a_401_with_a_challenge(api_client):
    response = api_client.get(URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()


@pytest.mark.django_db
def test_list_with_an_unknown_token_is_a_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)

    assert api_client.get(URL).status_code == 401


@pytest.mark.django_db
def test_list_without_view_lead_is_a_403(no_perms_client):
    response = no_perms_client.get(URL)

    assert response.status_code == 403
    assert "detail" in response.json()


@pytest.mark.django_db
def test_attorney_session_from_the_admin_can_list(attorney_client):
    LeadFactory()

    response = attorney_client.get(URL)

    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.mark.django_db
def test_pages_end_ten_thousand_leads_deep_with_a_400_saying_what_to_do(integration_client):
    response = integration_client.get(URL, {"page_size": 100, "page": 101})

    assert response.status_code == 400
    assert "created_before" in response.json()["page"][0]


@pytest.mark.django_db
def test_last_page_within_the_depth_links_no_further(integration_client, monkeypatch):
    LeadFactory.create_batch(3)
    monkeypatch.setattr("leads.counting.MAX_DEPTH", 2)

    body = integration_client.get(URL, {"page_size": 1, "page": 2}).json()

    assert len(body["results"]) == 1
    assert body["next"] is None


@pytest.mark.postgres_only(reason="the planner's estimate exists on PostgreSQL")
@pytest.mark.django_db
def test_past_the_exact_limit_the_count_is_the_planners_estimate(integration_client, monkeypatch):
    monkeypatch.setattr("leads.counting.EXACT_COUNT_LIMIT", 3)
    LeadFactory.create_batch(5)
    with connection.cursor() as cursor:
        # What ANALYZE would record for a table of two million rows (rolled back with the test).
        cursor.execute("UPDATE pg_class SET reltuples = 2000000 WHERE oid = 'leads_lead'::regclass")

    # Full pages of 2: a short page would be its own count.
    unfiltered = integration_client.get(URL, {"page_size": 2}).json()
    filtered = integration_client.get(URL, {"status": "PENDING", "page_size": 2}).json()
    none_match = integration_client.get(URL, {"status": "REACHED_OUT"}).json()

    assert unfiltered["count"] == 2_000_000
    assert len(unfiltered["results"]) == 2
    assert filtered["count"] >= 4  # EXPLAIN's estimate, never below what was seen
    assert none_match["count"] == 0


@pytest.mark.django_db
def test_up_to_the_exact_limit_the_count_is_exact(integration_client):
    LeadFactory.create_batch(3)

    assert integration_client.get(URL, {"search": "example.com"}).json()["count"] == 3
