"""The firm on the public pages, in any render (error pages get no context processors)."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def firm_name() -> str:
    """FIRM_NAME: the firm's name on the public pages' header and title."""
    return settings.FIRM_NAME


@register.simple_tag
def firm_contact_email() -> str:
    """FIRM_CONTACT_EMAIL: where prospects write with questions ("" when unset)."""
    return settings.FIRM_CONTACT_EMAIL
