"""The production settings plus the benchmark's floor views and a query counter.

Only bench/run.py uses this module (DJANGO_SETTINGS_MODULE=bench.settings); the product
never routes to bench views.
"""

from config.settings import *  # noqa: F403
from config.settings import MIDDLEWARE

ROOT_URLCONF = "bench.urls"
# First, so the count covers every query of the request (sessions, auth, the view).
MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
