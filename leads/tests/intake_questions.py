"""A small intake form for the tests of issue 25: two areas, general and conditional questions."""

from leads.models import PracticeArea, Question


def make_form() -> dict:
    immigration = PracticeArea.objects.create(name="Immigration", slug="immigration", position=0)
    family = PracticeArea.objects.create(
        name="Family", slug="family", position=1, description="Divorce, custody."
    )
    phone = Question.objects.create(key="phone", label="Phone number", kind="phone", position=0)
    matter = Question.objects.create(
        practice_area=immigration,
        key="matter",
        label="What is your matter about?",
        kind="choice",
        required=True,
        options=[{"value": "visa", "label": "A visa"}, {"value": "removal", "label": "Removal proceedings"}],
    )
    court = Question.objects.create(
        practice_area=immigration,
        key="court_date",
        label="When is your next court date?",
        kind="date",
        required=True,
        position=1,
        show_if_question=matter,
        show_if_values=["removal"],
    )
    children = Question.objects.create(
        practice_area=family,
        key="children",
        label="Are there children involved?",
        kind="yes_no",
        required=True,
    )
    return {
        "immigration": immigration,
        "family": family,
        "phone": phone,
        "matter": matter,
        "court": court,
        "children": children,
    }
