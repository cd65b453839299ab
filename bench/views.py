"""The floors: the least Django can do for an insert with an upload, for a 20-row list, and
for the API list's own page query without its count (bench/bare_admin.py: the admin's); and
the least the product's own parts cost: the insert with its task queued in the same
transaction (the outbox every submission needs), and the page through DRF with a token.

Product figures are reported as a ratio to these (bench/run.py).
"""

import uuid

from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.tasks import task
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from knox.auth import TokenAuthentication
from rest_framework import generics, permissions, serializers

from leads.models import Lead
from leads.validators import validate_resume

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS bench_row (
    id uuid PRIMARY KEY, name text NOT NULL, email text NOT NULL, file text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)
"""


@csrf_exempt
@require_POST
def insert(request):
    """Save the uploaded file under a random name and insert one row."""
    upload = request.FILES["resume"]
    name = default_storage.save(f"bench/{uuid.uuid4().hex}.pdf", upload)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_row (id, name, email, file) VALUES (%s, %s, %s, %s)",
            [uuid.uuid4(), request.POST.get("first_name", ""), request.POST.get("email", ""), name],
        )
    return HttpResponse(status=201)


@csrf_exempt
@require_POST
def insert_checked(request):
    """The insert floor plus the resume content check the contract asks of every upload
    (leads.validators: pypdf parses the PDF): what no intake can do without."""
    validate_resume(request.FILES["resume"])
    return insert(request)


@task
def noop(row_id: str) -> None:
    """The bench's queued task: never run (no worker serves the bench)."""


@csrf_exempt
@require_POST
def insert_queued(request):
    """The checked insert with one task queued in the same transaction (django-tasks' database
    backend, as the product's outbox): what an intake that may not lose its side effects cannot
    do without."""
    upload = request.FILES["resume"]
    validate_resume(upload)
    name = default_storage.save(f"bench/{uuid.uuid4().hex}.pdf", upload)
    row_id = uuid.uuid4()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_row (id, name, email, file) VALUES (%s, %s, %s, %s)",
            [row_id, request.POST.get("first_name", ""), request.POST.get("email", ""), name],
        )
        noop.enqueue(str(row_id))
    return HttpResponse(status=201)


@require_GET
def listing(request):
    """The 20 newest leads as JSON, straight from SQL (index lead_created_idx)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, first_name, last_name, email, status, created_at FROM leads_lead "
            "ORDER BY created_at DESC, id DESC LIMIT 20"
        )
        columns = [c.name for c in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return JsonResponse({"results": rows})


PAGE_FIELDS = ["id", "first_name", "last_name", "email", "status", "created_at", "updated_at",
               "reached_out_at", "reached_out_by__username", "source", "referrer", "resume"]  # fmt: skip


@require_GET
def page(request):
    """The API list's page query (newest first, reached_out_by joined, `?status=` optional),
    20 rows as JSON, without a count, a serializer or authentication."""
    leads = Lead.objects.select_related("reached_out_by").newest_first()
    if status := request.GET.get("status"):
        leads = leads.with_status(status)
    return JsonResponse({"results": list(leads.values(*PAGE_FIELDS)[:20])})


class PageSerializer(serializers.ModelSerializer):
    reached_out_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Lead
        fields = [field.removesuffix("__username") for field in PAGE_FIELDS]


class KnoxLookup(TokenAuthentication):
    """knox's own token check (the digest, the user, one query), without its clean-up of the
    user's other tokens on every request (a query more, which the product does not make)."""

    def _cleanup_token(self, auth_token) -> bool:
        return False


class DrfPage(generics.ListAPIView):
    """The same page through DRF at its plainest: knox's token check, signed-in only, a
    ModelSerializer, no count, no throttle, no filter. Any DRF endpoint pays this."""

    authentication_classes = [KnoxLookup]
    permission_classes = [permissions.IsAuthenticated]
    throttle_classes = []
    pagination_class = None
    serializer_class = PageSerializer

    def get_queryset(self):
        return Lead.objects.select_related("reached_out_by").newest_first()[:20]
