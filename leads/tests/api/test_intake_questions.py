"""Issue 25 through the API: answers on POST /api/v1/leads/ with the contract's 400 shape,
the lead JSON, ?practice_area=, ?search= over answers, and GET /api/v1/intake-form/."""

import json

import pytest

from leads import services
from leads.models import Answer, Lead, check_answers
from leads.tests.intake_questions import make_form
from leads.tests.mail import run_worker
from leads.tests.queries import plan_of
from leads.tests.test_intake import resume

pytestmark = pytest.mark.django_db


@pytest.fixture
def questions(db):
    return make_form()


def post(client, **data):
    body = {"first_name": "Ana", "last_name": "Diaz", "email": "ana@example.com", "resume": resume(), **data}
    return client.post("/api/v1/leads/", body, format="multipart")


def test_a_lead_is_created_with_its_practice_area_and_answers(integration_client, questions):
    answers = json.dumps({"matter": "removal", "court_date": "2026-01-31", "phone": "202 555 0143"})
    response = post(integration_client, practice_area="immigration", answers=answers)
    assert response.status_code == 201, response.json()
    assert response.json()["practice_area"] == "immigration"
    assert response.json()["answers"] == {
        "phone": "+12025550143",
        "matter": "removal",
        "court_date": "2026-01-31",
    }


def test_bad_answers_are_a_400_naming_each_key(integration_client, questions):
    answers = json.dumps({"matter": "removal", "phone": "not a phone"})
    response = post(integration_client, practice_area="immigration", answers=answers)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"answers"}
    assert set(body["answers"]) == {"phone", "court_date"}
    assert all(isinstance(m, str) for messages in body["answers"].values() for m in messages)
    assert not Lead.objects.exists()


def test_answers_that_are_not_a_json_object_are_a_400_on_answers(integration_client, questions):
    response = post(integration_client, practice_area="family", answers="[1, 2]")
    assert response.status_code == 400
    assert "answers" in response.json()


def test_an_unknown_practice_area_is_a_400_on_practice_area(integration_client, questions):
    response = post(integration_client, practice_area="astrology")
    assert response.status_code == 400
    assert set(response.json()) == {"practice_area"}


def lead_in(questions, area: str, email: str, **raw) -> Lead:
    kept, errors = check_answers(area=questions[area], raw=raw)
    assert not errors
    return services.submit_lead(
        first_name="A",
        last_name="B",
        email=email,
        resume=resume(),
        practice_area=questions[area],
        answers=kept,
    )


def test_the_list_filters_by_practice_area(integration_client, questions):
    family = lead_in(questions, "family", "f@example.com", children="yes")
    lead_in(questions, "immigration", "i@example.com", matter="visa")
    services.submit_lead(first_name="N", last_name="O", email="n@example.com", resume=resume())
    rows = integration_client.get("/api/v1/leads/?practice_area=family").json()["results"]
    assert [row["id"] for row in rows] == [str(family.pk)]
    assert rows[0]["answers"] == {"children": True}
    assert integration_client.get("/api/v1/leads/?practice_area=none").json()["count"] == 1


def test_search_finds_a_lead_by_an_answers_text(integration_client, questions):
    lead = lead_in(questions, "immigration", "i@example.com", matter="visa", phone="+1 202 555 0143")
    rows = integration_client.get("/api/v1/leads/?search=2025550143").json()["results"]
    assert [row["id"] for row in rows] == [str(lead.pk)]


def test_the_intake_form_is_readable_anonymously(api_client, questions):
    response = api_client.get("/api/v1/intake-form/")
    assert response.status_code == 200
    body = response.json()
    assert [q["key"] for q in body["questions"]] == ["phone"]
    immigration = body["practice_areas"][0]
    assert immigration["slug"] == "immigration"
    court = immigration["questions"][1]
    assert court == {
        "key": "court_date",
        "label": "When is your next court date?",
        "help_text": "",
        "kind": "date",
        "options": [],
        "required": True,
        "show_if": {"key": "matter", "values": ["removal"]},
    }


def test_the_intake_form_comes_in_the_requested_language(api_client, questions):
    area = questions["immigration"]
    area.translations = {"es": {"name": "Inmigración"}}
    area.save()
    matter = questions["matter"]
    matter.translations = {"es": {"label": "¿De qué se trata?", "options": {"visa": "Una visa"}}}
    matter.save()
    body = api_client.get("/api/v1/intake-form/?language=es").json()
    assert body["practice_areas"][0]["name"] == "Inmigración"
    question = body["practice_areas"][0]["questions"][0]
    assert question["label"] == "¿De qué se trata?"
    assert question["options"][0] == {"value": "visa", "label": "Una visa"}


def test_erasing_a_lead_deleted_through_the_api_takes_its_answers(integration_client, questions, settings):
    settings.LEAD_TRASH_DAYS = 0  # the trash erases at once
    lead = lead_in(questions, "family", "f@example.com", children="no")
    assert integration_client.delete(f"/api/v1/leads/{lead.pk}/").status_code == 204
    assert not Answer.objects.exists()


def form_lead(questions, email: str, **raw) -> None:
    """A submission through the form's path: its answers are written by the worker."""
    kept, errors = check_answers(area=questions["immigration"], raw=raw)
    assert not errors
    services.submit_lead(
        first_name="A",
        last_name="B",
        email=email,
        resume=resume(),
        practice_area=questions["immigration"],
        answers=kept,
        resubmit_duplicates=True,
    )


@pytest.mark.django_db(transaction=True)
def test_search_finds_a_lead_by_its_resubmissions_answer(integration_client, questions, smtp):
    form_lead(questions, "r@example.com", matter="visa", phone="+1 202 555 0143")
    run_worker()
    form_lead(questions, "r@example.com", matter="visa", phone="+1 202 555 0199")
    run_worker()

    rows = integration_client.get("/api/v1/leads/?search=2025550199").json()["results"]

    assert [row["email"] for row in rows] == ["r@example.com"]


@pytest.mark.postgres_only(reason="PostgreSQL's plans")
def test_an_answers_word_is_read_from_the_leads_own_trigram_index_not_a_union():
    plan = plan_of(lambda: list(Lead.objects.search("asylum").order_by().values_list("pk")))

    assert "lead_answers_text_trgm" in plan
    assert "leads_answer" not in plan
