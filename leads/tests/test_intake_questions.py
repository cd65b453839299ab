"""Issue 25: practice areas and intake questions — the models, the service, and the public
form with JavaScript off (through the test client)."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import ProtectedError

from leads import services
from leads.models import Answer, Lead, PracticeArea, Question, Resubmission, check_answers
from leads.tests.intake_questions import make_form
from leads.tests.mail import run_worker
from leads.tests.test_intake import form_data, resume

pytestmark = pytest.mark.django_db


@pytest.fixture
def questions(db):
    return make_form()


def field(question: Question) -> str:
    return f"q{question.pk}"


# --- Checking answers -------------------------------------------------------------------


def test_a_phone_answer_is_stored_in_e164(questions, settings):
    settings.PHONE_DEFAULT_REGION = "US"
    assert questions["phone"].clean_answer("(202) 555-0143") == "+12025550143"


def test_a_phone_answer_that_is_not_a_real_number_is_refused(questions):
    with pytest.raises(ValidationError):
        questions["phone"].clean_answer("12345")


@pytest.mark.parametrize(
    ("kind", "raw", "stored"),
    [
        ("date", "2025-03-31", "2025-03-31"),
        ("number", "3.5", 3.5),
        ("number", "12", 12),
        ("yes_no", "yes", True),
        ("yes_no", False, False),
        ("text", "  a line  ", "a line"),
        ("long_text", "two\r\nlines", "two\nlines"),
    ],
)
def test_answers_are_stored_in_their_kinds_form(kind, raw, stored):
    assert Question(key="k", label="L", kind=kind).clean_answer(raw) == stored


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("date", "31/03/2025"),
        ("number", "many"),
        ("yes_no", "maybe"),
        ("text", "a\x00b"),
        ("text", "x" * 201),
    ],
)
def test_answers_not_of_their_kind_are_refused(kind, raw):
    with pytest.raises(ValidationError):
        Question(key="k", label="L", kind=kind).clean_answer(raw)


def test_a_choice_outside_the_options_is_refused(questions):
    with pytest.raises(ValidationError):
        questions["matter"].clean_answer("pirates")


def test_a_conditional_question_that_does_not_apply_is_dropped_even_if_answered(questions):
    kept, errors = check_answers(
        area=questions["immigration"], raw={"matter": "visa", "court_date": "not even a date"}
    )
    assert errors == {}
    assert [(q.key, v) for q, v in kept] == [("matter", "visa")]


def test_a_required_conditional_question_that_applies_must_be_answered(questions):
    _, errors = check_answers(area=questions["immigration"], raw={"matter": "removal"})
    assert list(errors) == ["court_date"]


def test_another_areas_questions_are_not_asked(questions):
    kept, errors = check_answers(area=questions["family"], raw={"children": "no", "matter": "visa"})
    assert errors == {}
    assert [(q.key, v) for q, v in kept] == [("children", False)]


# --- The questions themselves -----------------------------------------------------------


def submit(questions, email="jane@example.com", **answers):
    kept, errors = check_answers(area=questions["immigration"], raw={"matter": "visa", **answers})
    assert not errors
    return services.submit_lead(
        first_name="Jane",
        last_name="Doe",
        email=email,
        resume=resume(),
        practice_area=questions["immigration"],
        answers=kept,
    )


def test_a_question_with_answers_cannot_be_deleted(questions):
    submit(questions)
    with pytest.raises(ProtectedError):
        questions["matter"].delete()


def test_a_question_with_answers_keeps_its_key(questions):
    submit(questions)
    question = Question.objects.get(pk=questions["matter"].pk)
    question.key = "renamed"
    with pytest.raises(ValidationError) as error:
        question.full_clean()
    assert "key" in error.value.message_dict


def test_a_question_with_answers_keeps_its_kind(questions):
    submit(questions)
    question = Question.objects.get(pk=questions["matter"].pk)
    question.kind = "text"
    question.options = []
    with pytest.raises(ValidationError) as error:
        question.full_clean()
    assert "kind" in error.value.message_dict


def test_a_question_without_answers_may_change_its_key(questions):
    question = questions["matter"]
    question.key = "renamed"
    question.full_clean()


def test_an_areas_question_cannot_take_a_general_questions_key(questions):
    question = Question(practice_area=questions["family"], key="phone", label="Phone again", kind="text")
    with pytest.raises(ValidationError) as error:
        question.full_clean()
    assert "key" in error.value.message_dict


def test_an_answer_keeps_the_label_it_was_asked_under(questions):
    lead = submit(questions)
    Question.objects.filter(pk=questions["matter"].pk).update(label="Something else now")
    assert Answer.objects.get(lead=lead).label == "What is your matter about?"


def test_the_api_path_stores_the_practice_area_and_answers_with_the_lead(questions):
    lead = submit(questions, phone="202-555-0143")
    assert lead.practice_area == questions["immigration"]
    assert dict(Answer.objects.filter(lead=lead).values_list("key", "value")) == {
        "matter": "visa",
        "phone": "+12025550143",
    }


# --- The form, JavaScript off -----------------------------------------------------------


def test_the_form_is_unchanged_when_nothing_is_configured(client):
    html = client.get("/").content.decode()
    assert "practice_area" not in html
    assert "intake.js" not in html
    assert "All fields are required." in html


def test_the_form_shows_every_question_under_its_areas_heading(client, questions):
    html = client.get("/").content.decode()
    assert 'name="practice_area"' in html
    for question in questions.values():
        if isinstance(question, Question):
            assert f'name="{field(question)}"' in html
    assert re.search(r"<legend[^>]*>Immigration</legend>", html)
    assert "Answer only if you answered “What is your matter about?” with “Removal proceedings”." in html


def test_a_question_changed_in_the_admin_is_asked_as_it_now_is_on_the_next_form(client, questions):
    client.get("/")  # the set-up read, and what was made of it, kept for the next form
    Question.objects.filter(pk=questions["matter"].pk).update(label="What brings you to us?")
    Question.objects.filter(pk=questions["court"].pk).update(is_active=False)

    html = client.get("/").content.decode()

    assert "What brings you to us?" in html and "What is your matter about?" not in html
    assert f'name="{field(questions["court"])}"' not in html


def test_an_unchanged_set_up_gives_each_form_its_own_fields(client, questions):
    client.post("/", form_data(practice_area="immigration"))  # an error puts autofocus on a field

    html = client.get("/").content.decode()

    assert "autofocus" not in html


def test_a_practice_area_in_the_query_is_preselected(client, questions):
    html = client.get("/?practice_area=family").content.decode()
    assert re.search(r'<input[^>]*value="family"[^>]*checked', html)


def test_the_form_requires_a_practice_area_when_one_is_active(client, questions):
    response = client.post("/", form_data())
    assert response.status_code == 400
    assert "Choose what you need help with." in response.content.decode()
    assert not Lead.objects.exists()


def test_a_required_question_that_applies_gets_an_error_beside_it(client, questions):
    response = client.post(
        "/", form_data(practice_area="immigration", **{field(questions["matter"]): "removal"})
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert re.search(rf'id="id_{field(questions["court"])}_error"', html)
    assert f'href="#id_{field(questions["court"])}"' in html  # in the error summary
    assert re.search(r'<input[^>]*value="removal"[^>]*checked', html)  # answers kept


def test_an_answer_of_the_wrong_kind_gets_an_error_and_keeps_what_was_typed(client, questions):
    response = client.post(
        "/",
        form_data(
            practice_area="family", **{field(questions["children"]): "no", field(questions["phone"]): "12"}
        ),
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Enter a phone number such as +1 202 555 0143." in html
    assert re.search(rf'name="{field(questions["phone"])}"[^>]*value="12"', html)


@pytest.mark.django_db(transaction=True)
def test_a_valid_submission_keeps_only_the_answers_that_apply(client, questions, smtp):
    data = form_data(
        practice_area="immigration",
        **{
            field(questions["matter"]): "visa",
            field(questions["court"]): "2025-01-01",  # applies only to removal
            field(questions["children"]): "yes",  # another area's question
            field(questions["phone"]): "+1 202 555 0143",
        },
    )
    response = client.post("/", data)
    assert response.status_code == 303
    run_worker()
    lead = Lead.objects.get()
    assert lead.practice_area.slug == "immigration"
    assert dict(lead.answers.values_list("key", "value")) == {"phone": "+12025550143", "matter": "visa"}


@pytest.mark.django_db(transaction=True)
def test_a_resubmission_keeps_its_own_practice_area_and_answers(client, questions, smtp):
    first = form_data(practice_area="immigration", **{field(questions["matter"]): "visa"})
    assert client.post("/", first).status_code == 303
    run_worker()
    again = form_data(practice_area="family", **{field(questions["children"]): "yes"})
    assert client.post("/", again).status_code == 303
    run_worker()
    lead = Lead.objects.get()
    resubmission = Resubmission.objects.get()
    assert lead.practice_area.slug == "immigration"
    assert dict(lead.answers.of_leads().values_list("key", "value")) == {"matter": "visa"}
    assert resubmission.practice_area.slug == "family"
    assert dict(resubmission.answers.values_list("key", "value")) == {"children": True}


def test_answers_go_with_the_lead_when_the_prospect_is_erased(client, questions):
    submit(questions, phone="202-555-0143")
    services.erase_prospect(email="jane@example.com")
    assert not Answer.objects.exists()


# --- Routing ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_round_robin_assigns_within_the_practice_areas_attorneys(questions, settings, smtp):
    from accounts.tests.factories import AttorneyFactory

    settings.LEAD_AUTO_ASSIGN = "round_robin"
    AttorneyFactory(username="aaron")  # the least busy of all, but not an immigration attorney
    busy, free = AttorneyFactory(username="mia"), AttorneyFactory(username="zoe")
    questions["immigration"].attorneys.set([busy, free])
    first = submit(questions, "a@example.com")
    run_worker()  # round-robin gives it to mia (ties by username)
    services.assign_leads(leads=Lead.objects.filter(pk=first.pk), to=busy, by=busy)
    lead = submit(questions, "b@example.com")
    run_worker()
    lead.refresh_from_db()
    assert lead.assigned_to == free


@pytest.mark.django_db(transaction=True)
def test_round_robin_without_area_attorneys_picks_among_everyone(questions, settings, smtp):
    from accounts.tests.factories import AttorneyFactory

    settings.LEAD_AUTO_ASSIGN = "round_robin"
    aaron = AttorneyFactory(username="aaron")
    lead = submit(questions)
    run_worker()
    lead.refresh_from_db()
    assert lead.assigned_to == aaron


@pytest.mark.django_db(transaction=True)
def test_the_confirmation_email_repeats_no_answer(client, questions, smtp):
    data = form_data(
        practice_area="immigration",
        **{field(questions["matter"]): "visa", field(questions["phone"]): "+1 202 555 0143"},
    )
    assert client.post("/", data).status_code == 303
    run_worker()
    text = "\n".join(str(message) for _, message in smtp.messages)
    assert smtp.messages
    assert (
        "2025550143" not in text and "A visa" not in text and "visa" not in text.lower().replace("visas", "")
    )


@pytest.mark.django_db(transaction=True)
def test_erasure_leaves_no_answer_in_queued_work(client, questions):
    data = form_data(practice_area="immigration", **{field(questions["matter"]): "visa"})
    assert client.post("/", data).status_code == 303
    services.erase_prospect(email="jane@example.com")
    from django_tasks_db.models import DBTaskResult

    # What is left is the removal of the resume's file, which names no answer.
    assert all("visa" not in str(task.args_kwargs) for task in DBTaskResult.objects.all())
    assert not Answer.objects.exists()


# --- Demo data ------------------------------------------------------------------------------


def test_seed_leads_answers_the_questions_that_exist(questions):

    call_command("seed_leads", "--count", "40", "--seed", "7", verbosity=0)
    leads = Lead.objects.all()
    assert leads.count() == 40
    assert all(lead.practice_area_id for lead in leads)
    for lead in leads.filter(practice_area=questions["immigration"]):
        answers = dict(lead.answers.values_list("key", "value"))
        assert answers["matter"] in {"visa", "removal"}
        assert ("court_date" in answers) == (answers["matter"] == "removal")
    for lead in leads.filter(practice_area=questions["family"]):
        assert isinstance(dict(lead.answers.values_list("key", "value"))["children"], bool)


def test_the_sample_intake_form_is_set_up_in_one_step_and_only_once():

    call_command("sample_intake_form", verbosity=0)
    call_command("sample_intake_form", verbosity=0)
    assert sorted(PracticeArea.objects.values_list("slug", flat=True)) == [
        "employment",
        "family",
        "immigration",
    ]
    court = Question.objects.get(key="court_date")
    assert (court.show_if_question.key, court.show_if_values) == ("immigration_matter", ["removal"])
    assert Question.objects.count() == 10


# --- Cost ---------------------------------------------------------------------------------


def test_an_intake_with_a_practice_area_and_8_answers_costs_4_statements(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_tasks_db.models import DBTaskResult

    from leads.tests.queries import statements

    call_command("sample_intake_form", verbosity=0)
    for n in range(1, 4):
        Question.objects.create(key=f"extra_{n}", label=f"Extra {n}", kind="text")
    values = {
        "phone": "+1 202 555 0143",
        "summary": "I need help.",
        "immigration_matter": "removal",
        "in_the_us": "yes",
        "court_date": "2027-01-15",
        "extra_1": "one",
        "extra_2": "two",
        "extra_3": "three",
    }
    fields = {f"q{q.pk}": values[q.key] for q in Question.objects.filter(key__in=values)}
    # The rate limit's hit, the form's areas and questions (one UNION), the lead, its task
    # (a trashed lead under the address is the worker's to erase: fanout.process_application).
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/", form_data(practice_area="immigration", **fields))
    assert response.status_code == 303
    assert len(statements(captured)) <= 4, statements(captured)
    [task] = DBTaskResult.objects.all()
    assert len(task.args_kwargs["args"][0]["answers"]) == 8


def test_the_sample_form_reads_in_spanish_with_no_english_text_of_its_own(client):
    call_command("sample_intake_form", verbosity=0)

    page = client.get("/?lang=es").content.decode()

    assert "¿De qué trata su asunto?" in page and "Inmigración" in page
    for question in Question.objects.all():
        assert question.label not in page
        for option in question.options:
            assert f">{option['label']}<" not in page
    for area in PracticeArea.objects.all():
        assert area.description not in page
