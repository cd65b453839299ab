"""The prospect's intake form. It validates input; `services.submit_lead` saves it."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leads.models import Lead
from leads.validators import clean_referrer, clean_source, validate_resume
from web.language import offered

from .questions import IntakeQuestions, add_question_fields, clean_questions, sections

# The honeypot's name, id and label match none of the patterns browsers and password
# managers autofill by (name, email, phone, address, company, url, website, ...), so a
# person's autofill leaves it empty; a robot filling every field does not.
HONEYPOT_FIELD = "hp_7c1e"


class IntakeForm(forms.ModelForm):
    """Names, email and resume; `source`/`referrer` ride along in hidden fields;
    HONEYPOT_FIELD, hidden by CSS and from screen readers, is left empty by people.

    Length limits and validators come from the Lead model's fields (one rule for the form,
    the API and the admin); the messages here are the form's own wording.
    """

    source = forms.CharField(required=False, widget=forms.HiddenInput)
    referrer = forms.CharField(required=False, widget=forms.HiddenInput)
    # The language the form was shown in: the lead's (its later emails speak it).
    language = forms.CharField(required=False, widget=forms.HiddenInput)
    resume = forms.FileField(
        label=_("Resume"),
        error_messages={
            "required": _("Choose your resume to upload."),
            "invalid": _("Choose your resume to upload."),
            "empty": _("The file is empty."),
        },
        widget=forms.FileInput(attrs={"accept": ".pdf,.doc,.docx"}),
    )

    class Meta:
        model = Lead
        fields = ["source", "referrer", "first_name", "last_name", "email"]
        labels = {"first_name": _("First name"), "last_name": _("Last name"), "email": _("Email address")}
        error_messages = {
            "first_name": {"required": _("Enter your first name.")},
            "last_name": {"required": _("Enter your last name.")},
            "email": {
                "required": _("Enter your email address."),
                "invalid": _("Enter a valid email address."),
            },
        }
        widgets = {
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        limit = filesizeformat(settings.RESUME_MAX_BYTES)
        self.fields["resume"].help_text = gettext("PDF, DOC or DOCX, up to %(limit)s.") % {"limit": limit}
        self.fields[HONEYPOT_FIELD] = forms.CharField(
            required=False,
            label=_("Leave this empty"),
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )
        # The practice area and questions, when the firm set any up (issue 25).
        self.intake_questions = IntakeQuestions()
        if self.intake_questions:
            add_question_fields(self, self.intake_questions)

    @property
    def honeypot(self) -> forms.BoundField:
        """The honeypot field, for the template."""
        return self[HONEYPOT_FIELD]

    @classmethod
    def initial_from(cls, *, query: dict, referer: str) -> dict:
        """Hidden-field values for a form opened with this query string and Referer."""
        source = query.get("utm_source") or query.get("source") or ""
        initial = {"source": clean_source(source), "referrer": clean_referrer(referer)}
        if query.get("practice_area"):
            initial["practice_area"] = str(query["practice_area"])[:100]
        return initial

    @property
    def required_note(self) -> str:
        return _(
            "Your name, email address and resume are required, and so is each question marked “(required)”."
        )

    def question_sections(self) -> dict:
        """The practice area and the questions, as the template draws them."""
        return sections(self)

    @staticmethod
    def language_of(data) -> str:
        """The intake language a submission's form was shown in (else the active one)."""
        return offered(data.get("language")) or translation.get_language()

    def is_honeypot_filled(self) -> bool:
        """True when the hidden HONEYPOT_FIELD came back filled: a robot, or an autofill."""
        return bool(self.data.get(HONEYPOT_FIELD, "").strip())

    def typed(self) -> dict:
        """What was sent, unvalidated, as services.trap_submission takes it."""
        return {
            "first_name": self.data.get("first_name", ""),
            "last_name": self.data.get("last_name", ""),
            "email": self.data.get("email", ""),
            "resume": self.files.get("resume"),
            "source": clean_source(self.data.get("source", "")),
            "referrer": clean_referrer(self.data.get("referrer", "")),
            "language": self.language_of(self.data),
        }

    def focus_first_error(self) -> None:
        """Put `autofocus` on the first field with an error (works with JavaScript off)."""
        for field in self.visible_fields():
            if field.errors:
                field.field.widget.attrs["autofocus"] = True
                return

    def clean_source(self) -> str:
        return clean_source(self.cleaned_data["source"])

    def clean_referrer(self) -> str:
        return clean_referrer(self.cleaned_data["referrer"])

    def clean_language(self) -> str:
        return self.language_of(self.cleaned_data)

    def clean_resume(self):
        resume = self.cleaned_data["resume"]
        validate_resume(resume)
        return resume

    def clean(self) -> dict:
        cleaned = super().clean()
        cleaned.pop(HONEYPOT_FIELD, None)  # not lead data: cleaned_data feeds submit_lead
        if self.intake_questions:
            clean_questions(self, cleaned)
        else:
            cleaned.update(practice_area=None, answers=[])
        return cleaned

    def validate_constraints(self) -> None:
        # Never: lead_email_key_unique would tell whoever submits whether an address applied.
        # A known address becomes a resubmission (services.submit_lead).
        return
