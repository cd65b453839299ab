"""CSV export of the list as filtered and searched: complete or not at all, spreadsheet-safe."""

import csv
import io

import pytest
from django.db import DataError
from django.db.models import IntegerField
from django.db.models.functions import Cast
from django.http import StreamingHttpResponse

from leads import services
from leads.admin.export import FORMULA_PREFIXES, csv_file, safe_cell
from leads.models import Lead
from leads.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

EXPORT_URL = "/admin/leads/lead/export/"


def rows_of(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_export_is_a_streamed_csv_attachment(attorney_client):
    LeadFactory()

    response = attorney_client.get(EXPORT_URL)

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="leads-')


def test_export_has_every_lead_with_its_reach_out(attorney_client, attorney):
    lead = services.reach_out(lead=LeadFactory(first_name="Ada", email="ada@example.com"), by=attorney)
    LeadFactory()

    rows = rows_of(attorney_client.get(EXPORT_URL))

    assert len(rows) == 2
    ada = next(row for row in rows if row["id"] == str(lead.pk))
    assert (ada["first_name"], ada["email"], ada["status"]) == ("Ada", "ada@example.com", "REACHED_OUT")
    assert ada["reached_out_by"] == attorney.username
    assert ada["reached_out_at"] == lead.reached_out_at.isoformat(timespec="microseconds")
    assert ada["created_at"] == lead.created_at.isoformat(timespec="microseconds")


def test_export_names_each_leads_assignee(attorney_client, attorney):
    mine = LeadFactory()
    services.assign_leads(leads=Lead.objects.filter(pk=mine.pk), to=attorney, by=attorney)
    nobodys = LeadFactory()

    rows = {row["id"]: row for row in rows_of(attorney_client.get(EXPORT_URL))}

    assert rows[str(mine.pk)]["assigned_to"] == attorney.username
    assert rows[str(nobodys.pk)]["assigned_to"] == ""


def test_export_of_many_leads_has_every_one_of_them_once(attorney_client):
    count = 2_500  # more than one chunk of the Python path, more than one block of COPY's output
    Lead.objects.bulk_create(
        Lead(
            first_name="Bulk",
            last_name=f"Lead{n}",
            email=f"bulk{n}@example.com",
            email_key=f"bulk{n}@example.com",
            resume="resumes/x.pdf",
        )
        for n in range(count)
    )

    rows = rows_of(attorney_client.get(EXPORT_URL))

    assert len(rows) == count
    assert len({row["email"] for row in rows}) == count


def test_export_declares_its_full_length(attorney_client):
    LeadFactory.create_batch(3)

    response = attorney_client.get(EXPORT_URL)

    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)
    assert body.count(b"\n") == 4  # the header and three leads


@pytest.mark.postgres_only(reason="SQLite casts any text to a number")
def test_an_export_that_fails_midway_hands_out_nothing():
    for name in ["1", "2", "not a number"]:
        LeadFactory(first_name=name)
    # PostgreSQL fails the cast at the third row it reads, midway through the COPY.
    failing = Lead.objects.alias(first_name_number=Cast("first_name", IntegerField())).filter(
        first_name_number__gt=0
    )

    with pytest.raises(DataError):
        csv_file(failing.order_by())


def test_export_follows_the_search_and_filters_on_screen(attorney_client, attorney):
    wanted = LeadFactory(last_name="Hopper")
    services.reach_out(lead=LeadFactory(last_name="Hopperton"), by=attorney)
    LeadFactory(last_name="Turing")

    rows = rows_of(attorney_client.get(EXPORT_URL, {"q": "hopper", "status__exact": "PENDING"}))

    assert [row["id"] for row in rows] == [str(wanted.pk)]


def test_the_list_links_to_the_export_with_its_query(attorney_client):
    LeadFactory()

    body = attorney_client.get("/admin/leads/lead/", {"q": "x", "status__exact": "PENDING"}).content.decode()

    assert 'href="/admin/leads/lead/export/?q=x&amp;status__exact=PENDING"' in body


def test_cells_that_a_spreadsheet_would_run_are_neutralised(attorney_client):
    LeadFactory(first_name='=HYPERLINK("http://evil")', last_name="+1", email="@x@example.com")

    row = rows_of(attorney_client.get(EXPORT_URL))[0]

    assert row["first_name"] == '\'=HYPERLINK("http://evil")'
    assert row["last_name"] == "'+1"
    assert row["email"] == "'@x@example.com"


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_every_formula_prefix_gets_a_quote_in_the_export(attorney_client, prefix):
    LeadFactory(source=f"{prefix}cmd", referrer=f"safe{prefix}")

    row = rows_of(attorney_client.get(EXPORT_URL))[0]

    assert (row["source"], row["referrer"]) == (f"'{prefix}cmd", f"safe{prefix}")


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_every_formula_prefix_gets_a_quote(value):
    assert safe_cell(value) == f"'{value}"


def test_ordinary_text_is_left_alone():
    assert safe_cell("Ada-Lovelace") == "Ada-Lovelace"


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("x;=2*3;y", "x;'=2*3;y"),  # a spreadsheet whose list separator is ; reads three cells
        ("x,+1", "x,'+1"),
        ("=a;-b,@c", "'=a;'-b,'@c"),
        (";;=1", ";;'=1"),
        ("a;\tb,\rc", "a;'\tb,'\rc"),
        ("a; =1", "a; =1"),  # a part that begins with a space is text
    ],
)
def test_every_separated_part_that_would_start_a_formula_gets_a_quote(value, safe):
    assert safe_cell(value) == safe


def test_the_export_guards_each_part_as_safe_cell_does_whatever_the_database(attorney_client):
    # On PostgreSQL the guard is SQL inside COPY: it must write what safe_cell() writes.
    values = ["x;=2*3;y", "=a;-b,@c", ";;=1", "a,b;c", "-", ",", "a;\tb,\rc", "é;=ü"]
    for n, value in enumerate(values):
        LeadFactory(source=value, referrer=f"{n}")

    rows = rows_of(attorney_client.get(EXPORT_URL))

    exported = {row["referrer"]: row["source"] for row in rows}
    assert [exported[str(n)] for n in range(len(values))] == [safe_cell(value) for value in values]


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(EXPORT_URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_without_view_permission_gets_403(client, staff_without_view):
    client.force_login(staff_without_view)

    assert client.get(EXPORT_URL).status_code == 403


def test_a_bad_filter_redirects_to_the_list(attorney_client):
    response = attorney_client.get(EXPORT_URL, {"created_at__year": "x"})

    assert response.status_code == 302
    assert response["Location"] == "/admin/leads/lead/?e=1"


def test_export_query_count_does_not_grow_with_rows(attorney_client, django_assert_max_num_queries):
    LeadFactory.create_batch(120)

    # session, user, permissions (own + group), the changelist's page with its count, the
    # question keys (a column each), then the rows: one COPY on PostgreSQL (not counted here:
    # it bypasses Django's cursor), one query elsewhere (120 rows are one chunk).
    with django_assert_max_num_queries(7):
        rows = rows_of(attorney_client.get(EXPORT_URL))

    assert len(rows) == 120
