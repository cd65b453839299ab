"""The intake pages in the firm's own frame: INTAKE_FRAME_ANCESTORS (parsed at start-up by
config.framing) may frame exactly the pages this decorator wraps; every other page refuses."""

from functools import wraps

from django.conf import settings
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override


def framable_by_intake_origins(view):
    """Let INTAKE_FRAME_ANCESTORS frame this view's pages (CSP frame-ancestors, no
    X-Frame-Options); without the setting the view refuses framing like every page."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        origins = settings.INTAKE_FRAME_ANCESTORS
        if not origins:
            return view(request, *args, **kwargs)
        policy = {**settings.SECURE_CSP, "frame-ancestors": origins}
        return xframe_options_exempt(csp_override(policy)(view))(request, *args, **kwargs)

    return wrapped
