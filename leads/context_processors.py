"""What every page's templates may show about the firm."""

from django.conf import settings


def firm(request) -> dict:
    """The firm's name and contact address (FIRM_NAME, FIRM_CONTACT_EMAIL)."""
    return {"firm_name": settings.FIRM_NAME, "firm_contact_email": settings.FIRM_CONTACT_EMAIL}
