"""The admin's "Intake form" section: practice areas with their questions inline, and the
questions asked of everyone. Superusers, or staff with the `leads.*_practicearea` /
`leads.*_question` permissions; attorneys may view (migration 0031).

A question with answers is never deleted (Answer protects it; the admin says so) and its key
and kind are shown fixed, saying why: it can be made inactive instead.
"""

from django import forms
from django.contrib import admin

from accounts.models import User
from leads.models import PracticeArea, Question

from .translations import TranslationsAdminMixin

FIXED_HELP = (
    "Fixed: this question has answers, which its key and kind must keep describing. Make it inactive instead."
)
INTAKE_FORM_SECTION = "Intake form"


class QuestionForm(forms.ModelForm):
    """A question; its key and kind fixed once it has answers."""

    class Meta:
        model = Question
        fields = [
            "practice_area",
            "key",
            "label",
            "help_text",
            "kind",
            "options",
            "required",
            "position",
            "is_active",
            "show_if_question",
            "show_if_values",
            "translations",
        ]
        widgets = {
            "help_text": forms.TextInput(attrs={"size": 60}),
            "options": forms.Textarea(attrs={"rows": 3, "cols": 60}),
            "show_if_values": forms.TextInput(attrs={"size": 30}),
            "translations": forms.Textarea(attrs={"rows": 2, "cols": 60}),
        }
        help_texts = {
            "translations": 'Other intake languages, e.g. {"es": {"label": "…", "help_text": "…", '
            '"options": {"<value>": "…"}}}; a text left out falls back to the one above.'
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.has_answers():
            for name in ("key", "kind"):
                if name in self.fields:
                    self.fields[name].disabled = True
                    self.fields[name].help_text = FIXED_HELP


class QuestionInline(admin.StackedInline):
    model = Question
    form = QuestionForm
    fk_name = "practice_area"
    extra = 0
    fields = [
        ("key", "kind", "required", "is_active", "position"),
        "label",
        "help_text",
        "options",
        ("show_if_question", "show_if_values"),
        "translations",
    ]
    classes = ["collapse"]


class PracticeAreaForm(forms.ModelForm):
    class Meta:
        model = PracticeArea
        fields = ["name", "slug", "description", "is_active", "position", "attorneys"]
        # Checkboxes: a firm has a few attorneys, and Django's filter_horizontal widget fails
        # axe-core (ARIA on its search icons).
        widgets = {"attorneys": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "attorneys" in self.fields:
            # Active attorneys, and whoever is named already.
            named = self.instance.attorneys.values("pk") if self.instance.pk else []
            self.fields["attorneys"].queryset = (
                User.objects.filter(pk__in=User.objects.attorneys().values("pk"))
                | User.objects.filter(pk__in=named)
            ).distinct()


@admin.register(PracticeArea)
class PracticeAreaAdmin(TranslationsAdminMixin, admin.ModelAdmin):
    form = PracticeAreaForm
    list_display = ["name", "slug", "is_active", "position"]
    list_editable = ["is_active", "position"]
    ordering = ["position", "name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [QuestionInline]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    form = QuestionForm
    list_display = ["key", "label", "kind", "practice_area", "required", "is_active", "position"]
    list_filter = ["practice_area", "is_active", "kind"]
    list_select_related = ["practice_area"]
    ordering = ["practice_area__position", "position", "id"]
    search_fields = ["key", "label"]

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.has_answers():
            return False
        return super().has_delete_permission(request, obj)


def with_intake_form_section(get_app_list):
    """The admin index with practice areas and questions under their own heading."""

    def app_list(request, app_label=None):
        apps = get_app_list(request, app_label)
        if app_label is not None:
            return apps
        moved = []
        for app in apps:
            if app["app_label"] == "leads":
                moved = [m for m in app["models"] if m["object_name"] in {"PracticeArea", "Question"}]
                app["models"] = [m for m in app["models"] if m not in moved]
        if moved:
            apps.append(
                {
                    **next(a for a in apps if a["app_label"] == "leads"),
                    "name": INTAKE_FORM_SECTION,
                    "models": moved,
                }
            )
        return apps

    return app_list


admin.site.get_app_list = with_intake_form_section(admin.site.get_app_list)
