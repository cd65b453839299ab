"""The admin's sign-in form, the authenticator-code form and the API-token form."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from . import services
from .models import User


def code_field(*, required: bool, help_text: str = "") -> forms.CharField:
    """A 6-digit authenticator code, typed or filled in by the browser's one-time-code support."""
    return forms.CharField(
        label="Authenticator code",
        required=required,
        help_text=help_text,
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class AdminLoginForm(AdminAuthenticationForm):
    """Django's admin sign-in plus the code for users who enrolled an authenticator app.

    Every failure (password or code) gets the same message, so the page never says that a
    password was right.
    """

    otp = code_field(
        required=False,
        help_text="The 6 digits your authenticator app shows, if you set up two-factor sign-in.",
    )
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": (
            "Please enter the correct username and password for a staff account, and the code "
            "from your authenticator app if you set one up."
        ),
    }

    def clean(self):
        super().clean()
        if self.user_cache is not None:
            try:
                device = services.verify_second_factor(
                    request=self.request, user=self.user_cache, code=self.cleaned_data.get("otp")
                )
            except ValidationError:
                raise self.get_invalid_login_error() from None
            # django_otp keeps the device in the session when LoginView signs the user in.
            self.user_cache.otp_device = device
        return self.cleaned_data


class CodeForm(forms.Form):
    """The two-factor page's code: six digits (spaces allowed), said so before any check."""

    otp = code_field(required=True)

    def clean_otp(self) -> str:
        code = "".join(self.cleaned_data["otp"].split())
        if not (code.isdigit() and len(code) == 6):
            typed = f"{len(code)} digits" if code.isdigit() else "something else"
            raise ValidationError(f"Enter the 6 digits your authenticator app shows (this was {typed}).")
        return code


class IssueTokenForm(forms.Form):
    """Who gets the token: superusers pick any active user, other staff get one for themselves."""

    user = forms.ModelChoiceField(queryset=User.objects.active(), label="For")

    def __init__(self, *args, issuer: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.issuer = issuer
        if issuer.is_superuser:
            self.fields["user"].initial = issuer.pk
        else:
            del self.fields["user"]

    def clean(self):
        cleaned_data = super().clean()
        cleaned_data.setdefault("user", self.issuer)
        return cleaned_data
