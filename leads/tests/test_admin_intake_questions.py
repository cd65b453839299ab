"""Issue 25 in the admin: the Intake form section and its permissions, the question that
has answers, the lead list's practice-area column and filter, the lead page's answers, the
CSV export's columns, and webhooks carrying the answers."""

import re

import pytest

from leads import services
from leads.models import Question, check_answers
from leads.tests.intake_questions import make_form
from leads.tests.test_admin_export import EXPORT_URL, rows_of
from leads.tests.test_intake import resume
from leads.worker.fanout import leads_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def questions(db):
    return make_form()


def lead_in(questions, area: str, email: str = "ana@example.com", **raw):
    kept, errors = check_answers(area=questions[area], raw=raw)
    assert not errors
    return services.submit_lead(
        first_name="Ana",
        last_name="Diaz",
        email=email,
        resume=resume(),
        practice_area=questions[area],
        answers=kept,
    )


def test_the_admin_index_has_an_intake_form_section(admin_client, questions):
    html = admin_client.get("/admin/").content.decode()
    assert "Intake form" in html
    assert "/admin/leads/practicearea/" in html


def test_attorneys_may_view_the_intake_form_but_not_change_it(attorney_client, questions):
    area = questions["immigration"]
    assert attorney_client.get(f"/admin/leads/practicearea/{area.pk}/change/").status_code == 200
    response = attorney_client.post(f"/admin/leads/practicearea/{area.pk}/change/", {"name": "Changed"})
    assert response.status_code == 403


def test_staff_without_the_permissions_do_not_see_the_intake_form(staff_without_view, client, questions):
    client.force_login(staff_without_view)
    assert client.get("/admin/leads/question/").status_code == 403


def test_a_question_with_answers_shows_its_key_and_kind_fixed(admin_client, questions):
    lead_in(questions, "immigration", matter="visa")
    html = admin_client.get(f"/admin/leads/question/{questions['matter'].pk}/change/").content.decode()
    assert "Fixed: this question has answers" in html
    assert re.search(r'<input[^>]*name="key"[^>]*disabled', html)
    assert re.search(r'<select[^>]*name="kind"[^>]*disabled', html)


def test_a_question_with_answers_offers_no_delete(admin_client, questions):
    lead_in(questions, "immigration", matter="visa")
    response = admin_client.get(f"/admin/leads/question/{questions['matter'].pk}/delete/")
    assert response.status_code == 403
    assert Question.objects.filter(pk=questions["matter"].pk).exists()


def test_a_question_without_answers_can_be_deleted(admin_client, questions):
    response = admin_client.post(f"/admin/leads/question/{questions['phone'].pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Question.objects.filter(pk=questions["phone"].pk).exists()


def test_the_lead_list_filters_by_practice_area(admin_client, questions):
    lead_in(questions, "immigration", matter="visa")
    lead_in(questions, "family", email="bo@example.com", children="no")
    html = admin_client.get("/admin/leads/lead/?practice_area=family").content.decode()
    assert "bo@example.com" in html
    assert "ana@example.com" not in html


def test_the_lead_list_search_finds_an_answers_text(admin_client, questions):
    lead_in(questions, "immigration", matter="visa", phone="+1 202 555 0143")
    lead_in(questions, "family", email="bo@example.com", children="no")
    html = admin_client.get("/admin/leads/lead/?q=2025550143").content.decode()
    assert "ana@example.com" in html
    assert "bo@example.com" not in html


def test_the_lead_page_shows_the_answers_with_the_label_asked(admin_client, questions):
    lead = lead_in(questions, "immigration", matter="removal", court_date="2026-02-01")
    Question.objects.filter(pk=questions["matter"].pk).update(label="Relabelled later")
    html = admin_client.get(f"/admin/leads/lead/{lead.pk}/change/").content.decode()
    assert "What is your matter about?" in html
    assert "2026-02-01" in html
    assert "Removal proceedings" in html  # the option's label, not its value
    assert "Relabelled later" not in html


def test_the_export_has_the_practice_area_and_a_column_per_key(admin_client, questions):
    lead_in(questions, "family", children="yes")
    [row] = rows_of(admin_client.get(EXPORT_URL))
    assert row["practice_area"] == "family"
    assert row["children"] == "yes"
    assert row["matter"] == ""
    assert {"phone", "court_date"} <= set(row)


def test_an_answer_that_looks_like_a_formula_is_exported_guarded(admin_client, questions):
    Question.objects.create(key="note", label="Note", kind="text")
    kept, _ = check_answers(area=questions["family"], raw={"children": "no", "note": "=1+1"})
    services.submit_lead(
        first_name="A",
        last_name="B",
        email="a@example.com",
        resume=resume(),
        practice_area=questions["family"],
        answers=kept,
    )
    [row] = rows_of(admin_client.get(EXPORT_URL))
    assert row["note"] == "'=1+1"


def test_a_webhook_payload_carries_the_practice_area_and_answers(questions):
    lead = lead_in(questions, "family", children="yes")
    [data] = leads_data([lead])
    assert data["practice_area"] == "family"
    assert data["answers"] == {"children": True}


def test_the_dashboard_counts_leads_per_practice_area(admin_client, questions):
    lead_in(questions, "family", children="yes")
    lead_in(questions, "family", email="bo@example.com", children="no")
    html = admin_client.get("/admin/leads/lead/dashboard/").content.decode()
    assert re.search(r'data-practice-area="family">\s*<th scope="row">Family</th>\s*<td><a [^>]*>2</a>', html)


def test_the_stats_count_leads_per_practice_area(integration_client, questions):
    lead_in(questions, "family", children="yes")
    services.submit_lead(first_name="N", last_name="O", email="n@example.com", resume=resume())
    stats = integration_client.get("/api/v1/leads/stats/").json()
    assert stats["practice_areas"] == {"family": 1, "none": 1}
