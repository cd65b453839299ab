"""The prospect's intake form. It validates input; `services.submit_lead` saves it."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from .validators import clean_referrer, clean_source, validate_plain_text, validate_resume

HONEYPOT_FIELD = "website"


class IntakeForm(forms.Form):
    """Names, email and resume; `source`/`referrer` ride along in hidden fields; `website`
    is the honeypot, hidden by CSS, that people leave empty."""

    source = forms.CharField(required=False, widget=forms.HiddenInput)
    referrer = forms.CharField(required=False, widget=forms.HiddenInput)
    website = forms.CharField(
        required=False,
        label="Leave this field empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    first_name = forms.CharField(
        max_length=100,
        validators=[validate_plain_text],
        error_messages={"required": "Enter your first name."},
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        max_length=100,
        validators=[validate_plain_text],
        error_messages={"required": "Enter your last name."},
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    email = forms.EmailField(
        label="Email address",
        max_length=255,
        error_messages={"required": "Enter your email address.", "invalid": "Enter a valid email address."},
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    resume = forms.FileField(
        error_messages={
            "required": "Choose your resume to upload.",
            "invalid": "Choose your resume to upload.",
            "empty": "The file is empty.",
        },
        widget=forms.FileInput(attrs={"accept": ".pdf,.doc,.docx"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        limit = filesizeformat(settings.RESUME_MAX_BYTES)
        self.fields["resume"].help_text = f"PDF, DOC or DOCX, up to {limit}."

    @classmethod
    def initial_from(cls, *, query: dict, referer: str) -> dict:
        """Hidden-field values for a form opened with this query string and Referer."""
        source = query.get("utm_source") or query.get("source") or ""
        return {"source": clean_source(source), "referrer": clean_referrer(referer)}

    def is_honeypot_filled(self) -> bool:
        """True when the hidden `website` field came back filled: a robot, not a person."""
        return bool(self.data.get(HONEYPOT_FIELD, "").strip())

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

    def clean_resume(self):
        resume = self.cleaned_data["resume"]
        validate_resume(resume)
        return resume

    def clean(self) -> dict:
        cleaned = super().clean()
        cleaned.pop(HONEYPOT_FIELD, None)  # not lead data: cleaned_data feeds submit_lead
        return cleaned
