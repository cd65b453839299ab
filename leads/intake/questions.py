"""The intake form's practice area and questions (issue 25), added to IntakeForm when the
firm configured any.

Every question is a field named `q<id>` (keys repeat between areas), not required at the
field: whether it applies, and so whether it must be answered, depends on the area chosen
and on `show_if`, which models.check_answers decides on the server. With JavaScript off all
of them are on the page under their area's heading, a conditional one saying when it
applies; static/js/intake.js shows only what applies.
"""

import copy

from django import forms
from django.db import models
from django.db.models import F, Q, Value
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leads.compiled import CompiledQuery
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


# One row shape for an area and a question, so both come in one query (UNION ALL): the
# intake's budget is 4 statements with the rate limit's, the lead's and its task's.
QUESTION_COLUMNS = {
    "c_area": F("practice_area_id"),
    "c_key": F("key"),
    "c_label": F("label"),
    "c_help": F("help_text"),
    "c_kind": F("kind"),
    "c_options": F("options"),
    "c_required": F("required"),
    "c_position": F("position"),
    "c_show_if": F("show_if_question_id"),
    "c_show_values": F("show_if_values"),
    "c_translations": F("translations"),
}
AREA_COLUMNS = {
    "c_area": Value(None, output_field=models.BigIntegerField()),
    "c_key": F("slug"),
    "c_label": F("name"),
    "c_help": F("description"),
    "c_kind": Value("", output_field=models.CharField()),
    "c_options": Value(None, output_field=models.JSONField()),
    "c_required": Value(False, output_field=models.BooleanField()),
    "c_position": F("position"),
    "c_show_if": Value(None, output_field=models.BigIntegerField()),
    "c_show_values": Value(None, output_field=models.JSONField()),
    "c_translations": F("translations"),
}


def form_union():
    """One query for the active areas and the questions they ask, as rows of one shape."""
    questions = (
        Question.objects.filter(is_active=True)
        .filter(Q(practice_area__isnull=True) | Q(practice_area__is_active=True))
        .order_by()
        .annotate(c_row=Value("q"), c_id=F("id"), **QUESTION_COLUMNS)
        .values_list("c_row", "c_id", *QUESTION_COLUMNS)
    )
    areas = (
        PracticeArea.objects.filter(is_active=True)
        .order_by()
        .annotate(c_row=Value("a"), c_id=F("id"), **AREA_COLUMNS)
        .values_list("c_row", "c_id", *AREA_COLUMNS)
    )
    return questions.union(areas, all=True).order_by()


# form_union() per database alias, compiled once per process: building it through the ORM
# (26 annotations) cost ~4 ms a request, more than the rest of the form; its parameters are
# constants.
_COMPILED: dict[str, CompiledQuery] = {}


def form_rows() -> list[tuple]:
    """form_union()'s rows, their values as the ORM reads them."""
    alias = Question.objects.db
    if alias not in _COMPILED:
        _COMPILED[alias] = CompiledQuery.of(form_union(), alias)
    return _COMPILED[alias].rows(alias)


class FormSetUp:
    """What one read of the form's rows makes: the active areas and the questions they ask, in
    the form's order, and their form fields per language, built once (copied for each form)."""

    def __init__(self, rows: list[tuple]):
        self.rows = rows
        self.areas, self.questions = made_from(rows)
        self._fields: dict[str, dict[str, forms.Field]] = {}

    def fields(self) -> dict[str, forms.Field]:
        """A fresh copy of the question fields, their texts in the active language."""
        language = translation.get_language()
        if language not in self._fields:
            self._fields[language] = {field_name(q): question_field(q) for q in self.questions}
        return {name: copy.deepcopy(field) for name, field in self._fields[language].items()}


# The last set-up read, per database alias. Every form still reads the rows (one statement, so
# an edit in the admin shows on the next request in every process); when they are what the
# last read found, what was made of them is used again instead of being built anew.
_LAST: dict[str, FormSetUp] = {}


def read_form() -> FormSetUp:
    """The form's set-up as it is now: one statement."""
    alias = Question.objects.db
    rows = form_rows()
    last = _LAST.get(alias)
    if last is None or last.rows != rows:
        last = _LAST[alias] = FormSetUp(rows)
    return last


def made_from(rows: list[tuple]) -> tuple[list[PracticeArea], list[Question]]:
    """The active areas and the questions they ask (general ones, and active areas' own)
    from form_rows(), in the form's order."""
    found_areas, found_questions = [], []
    for (
        row,
        pk,
        area,
        key,
        label,
        help_text,
        kind,
        options,
        required,
        position,
        show_if,
        values,
        texts,
    ) in rows:
        if row == "a":
            found_areas.append(
                PracticeArea(
                    pk=pk, slug=key, name=label, description=help_text, position=position, translations=texts
                )
            )
            continue
        found_questions.append(
            Question(
                pk=pk,
                practice_area_id=area,
                key=key,
                label=label,
                help_text=help_text,
                kind=kind,
                options=options or [],
                required=required,
                position=position,
                show_if_question_id=show_if,
                show_if_values=values or [],
                translations=texts or {},
            )
        )
    by_pk = {question.pk: question for question in found_questions}
    for question in found_questions:
        if question.show_if_question_id in by_pk:
            question.show_if_question = by_pk[question.show_if_question_id]
    found_areas.sort(key=lambda a: (a.position, a.name))
    found_questions.sort(key=lambda q: (q.position, q.pk))
    return found_areas, found_questions


class IntakeQuestions:
    """The active areas and questions, read once (one query) for one form."""

    def __init__(self):
        self.set_up = read_form()
        self.areas, self.questions = self.set_up.areas, self.set_up.questions

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
    form.fields.update(questions.set_up.fields())


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
