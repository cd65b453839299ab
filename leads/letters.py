"""The non-engagement letter: what a prospect whose lead closed as DECLINED or REFERRED is
sent, from the firm's LetterTemplate for that outcome or the default text below, in the
prospect's language (leads.translations for the firm's own texts, gettext for ours)."""

from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from .models import Lead, LetterTemplate
from .translations import translated

PLACEHOLDERS = ("first_name", "firm_name", "referred_to", "practice_area")


@dataclass(frozen=True)
class Letter:
    subject: str
    body: str


def default_subject() -> str:
    return gettext("Your inquiry to {firm_name}")


def default_body(outcome: str) -> str:
    """Our default letter: plainly, the firm does not represent them, and time limits may apply."""
    referral = (
        gettext("We have suggested that you contact {referred_to}, who may be able to help.\n\n")
        if outcome == Lead.Status.REFERRED
        else ""
    )
    return (
        gettext("Dear {first_name},\n\n")
        + gettext(
            "Thank you for contacting {firm_name}. After reviewing your inquiry, we are not able "
            "to take on your matter. {firm_name} does not represent you, and you should not rely "
            "on us to protect your interests in this matter.\n\n"
        )
        + referral
        + gettext(
            "Please be aware that time limits (statutes of limitations) may apply to your matter, "
            "and missing one could prevent you from pursuing it. If you wish to pursue it, we "
            "encourage you to consult another lawyer promptly.\n\n"
        )
        + gettext("This letter is not legal advice about your matter.\n\nSincerely,\n{firm_name}")
    )


class _Blank(dict):
    """Unknown placeholders stay as typed rather than failing the letter."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(text: str, values: dict) -> str:
    """`text` with its {placeholders} replaced; braces that are no placeholder stay."""
    try:
        return text.format_map(_Blank(values))
    except (ValueError, IndexError, AttributeError, KeyError):
        return text


def letter_for(lead: Lead, *, language: str | None = None) -> Letter:
    """The letter for `lead`'s outcome in `language` (default: the active one; the worker
    passes the prospect's own, Lead.language)."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    with translation.override(language):
        template = LetterTemplate.objects.filter(outcome=lead.status).first()
        if template is not None:
            subject, body = translated(template, "subject"), translated(template, "body")
        else:
            subject, body = default_subject(), default_body(lead.status)
        area = lead.practice_area
        values = {
            "first_name": lead.first_name,
            "firm_name": settings.FIRM_NAME,
            "referred_to": lead.referred_to,
            "practice_area": translated(area, "name") if area else "",
        }
        return Letter(subject=fill(subject, values), body=fill(body, values))
