import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()

from config.serving import ensure_ready_to_serve  # noqa: E402 (needs the settings loaded above)

ensure_ready_to_serve()
