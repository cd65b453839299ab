"""The intake form's practice area and questions (issue 25), added to IntakeForm when the
firm configured any.

Every question is a field named `q<id>` (keys repeat between areas), not required at the
field: whether it applies, and so whether it must be answered, depends on the area chosen
and on `show_if`, which models.check_answers decides on the server. With JavaScript off all
of them are on the page under their area's heading, a conditional one saying when it
applies; static/js/intake.js shows only what applies.
"""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leads.models import PracticeArea, Question, check_answers
from leads.translations import translated

# Kinds asked with radio buttons or checkboxes: a fieldset whose legend is the question.
GROUPED_KINDS = {Question.Kind.CHOICE, Question.Kind.CHOICES, Question.Kind.YES_NO}
YES_NO = [("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]


class MultipleValuesField(forms.Field):
    """Several checkboxes: the list of values sent, checked later by check_answers."""

    widget = forms.CheckboxSelectMultiple

    def to_python(self, value):
        return [str(v) for v in value] if isinstance(value, list | tuple) else []


class IntakeQuestions:
    """The active areas and questions, read once (two queries) for one form."""

    def __init__(self):
        self.areas = list(PracticeArea.objects.active())
        self.questions = list(
            Question.objects.filter(is_active=True)
            .filter(Q(practice_area__isnull=True) | Q(practice_area__is_active=True))
            .select_related("show_if_question")
            .order_by("position", "id")
        )

    def __bool__(self) -> bool:
        return bool(self.areas or self.questions)

    def general(self) -> list[Question]:
        return [q for q in self.questions if q.practice_area_id is None]

    def of_area(self, area: PracticeArea) -> list[Question]:
        return [q for q in self.questions if q.practice_area_id == area.pk]

    def area_by_slug(self, slug) -> PracticeArea | None:
        return next((area for area in self.areas if area.slug == slug), None)


def field_name(question: Question) -> str:
    return f"q{question.pk}"


def question_field(question: Question) -> forms.Field:
    """The form field that asks `question`, its texts in the active language."""
    label, help_text = translated(question, "label"), translated(question, "help_text")
    common = {"required": False, "label": label, "help_text": help_text}
    kind = Question.Kind
    options = [(value, question.option_label(value)) for value in question.option_values()]
    if question.kind == kind.CHOICE:
        return forms.CharField(widget=forms.RadioSelect(choices=options), **common)
    if question.kind == kind.CHOICES:
        return MultipleValuesField(widget=forms.CheckboxSelectMultiple(choices=options), **common)
    if question.kind == kind.YES_NO:
        return forms.CharField(widget=forms.RadioSelect(choices=YES_NO), **common)
    if question.kind == kind.LONG_TEXT:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), strip=False, **common)
    widgets = {
        kind.DATE: forms.DateInput(attrs={"type": "date"}),
        kind.NUMBER: forms.TextInput(attrs={"inputmode": "decimal"}),
        kind.PHONE: forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    }
    return forms.CharField(widget=widgets.get(question.kind, forms.TextInput()), strip=False, **common)


def condition_text(question: Question) -> str:
    """When a show_if question applies, in words (shown with JavaScript off)."""
    other = question.show_if_question
    if other.kind == Question.Kind.YES_NO:
        names = [str(dict(YES_NO).get(value, value)) for value in question.show_if_words()]
    else:
        names = [other.option_label(value) for value in question.show_if_words()]
    return _("Answer only if you answered “%(question)s” with %(answers)s.") % {
        "question": translated(other, "label"),
        "answers": _(" or ").join(f"“{name}”" for name in names),
    }


def add_question_fields(form: forms.Form, questions: IntakeQuestions) -> None:
    """Add the practice area (required when any is active) and every question to `form`."""
    form.intake_questions = questions
    if questions.areas:
        choices = [(area.slug, translated(area, "name")) for area in questions.areas]
        form.fields["practice_area"] = forms.ChoiceField(
            label=_("What do you need help with?"),
            choices=choices,
            widget=forms.RadioSelect,
            error_messages={
                "required": _("Choose what you need help with."),
                "invalid_choice": _("Choose what you need help with."),
            },
        )
    for question in questions.questions:
        form.fields[field_name(question)] = question_field(question)


def clean_questions(form: forms.Form, cleaned: dict) -> None:
    """Replace the question fields in `cleaned` with `practice_area` (a PracticeArea or None)
    and `answers` (what check_answers kept), each error put beside its question."""
    questions = form.intake_questions
    area = questions.area_by_slug(cleaned.get("practice_area"))
    by_key = {}
    for question in questions.questions:
        value = cleaned.pop(field_name(question), None)
        if question.practice_area_id in (None, getattr(area, "pk", None)):
            by_key[question.key] = value
    if questions.areas and area is None:
        cleaned.pop("practice_area", None)
        return  # the area's own error stands; its questions are asked once it is chosen
    asked = questions.general() + (questions.of_area(area) if area else [])
    kept, errors = check_answers(area=area, raw=by_key, questions=asked)
    for question in questions.questions:
        if question.key in errors and question.practice_area_id in (None, getattr(area, "pk", None)):
            form.add_error(field_name(question), errors[question.key])
    cleaned["practice_area"] = area
    cleaned["answers"] = kept


def sections(form: forms.Form) -> dict:
    """What the template draws: the area choices with their descriptions, the general
    questions, then each area's under its heading; each question with its bound field,
    its kind and, for a conditional one, when it applies."""
    questions = form.intake_questions

    def asked(items):
        return [
            {
                "question": question,
                "field": form[field_name(question)],
                "grouped": question.kind in GROUPED_KINDS,
                "condition": condition_text(question) if question.show_if_question_id else "",
                "show_if": field_name(question.show_if_question) if question.show_if_question_id else "",
                "show_values": " ".join(question.show_if_words()),
            }
            for question in items
        ]

    descriptions = {area.slug: translated(area, "description") for area in questions.areas}
    area_field = form["practice_area"] if questions.areas else None
    return {
        "area_field": area_field,
        "area_choices": [(radio, descriptions.get(radio.data["value"], "")) for radio in area_field or []],
        "general": asked(questions.general()),
        "areas": [
            {"area": area, "name": translated(area, "name"), "questions": asked(questions.of_area(area))}
            for area in questions.areas
            if questions.of_area(area)
        ],
    }
