"""The product's URLs plus two views that need the database: a page and an API endpoint.

Used by test_database_down.py, whose server runs with config.tests.fault_settings.
"""

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import path

from config.urls import urlpatterns as product_urlpatterns


def database_time() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        return cursor.fetchone()[0].isoformat()


def page(request):
    return HttpResponse(f"<!doctype html><title>ok</title><p>{database_time()}</p>")


def api(request):
    return JsonResponse({"now": database_time()})


urlpatterns = [
    path("probe/", page),
    path("api/v1/probe/", api),
    *product_urlpatterns,
]
