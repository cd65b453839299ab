"""CSV export of a lead list: built whole in a private temporary file, then sent with its length.

Streamed row by row, a million leads take minutes, past gunicorn's worker timeout, and a
stream that dies midway leaves the client a file that looks complete. Here the whole file is
written first (PostgreSQL: one `COPY (SELECT …) TO STDOUT`, the spreadsheet guard done in
SQL; elsewhere the csv module), so a failure is an error page, never part of a file, and the
response declares its Content-Length, so a transfer cut short is visibly incomplete. The file
holds prospects' data: it never has a name on disk (an unlinked temporary file, mode 0600),
and goes when the response is closed or the process ends.
"""

import csv
import io
import re
import tempfile
from datetime import UTC, datetime
from typing import IO

from django.conf import settings
from django.db import connections, models
from django.db.models import Func, OuterRef, Subquery, Value
from django.db.models.functions import Cast
from django.http import FileResponse
from django.utils import timezone

from leads.models import Answer, LeadQuerySet, Question

# Header -> the lead's field (or a related one).
COLUMNS = {
    "id": "id",
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "status": "status",
    "created_at": "created_at",
    "reached_out_at": "reached_out_at",
    "reached_out_by": "reached_out_by__username",
    "source": "source",
    "referrer": "referrer",
    "language": "language",
    "assigned_to": "assigned_to__username",
}
# Written as they are: ids, statuses and times never start like a formula.
PLAIN_COLUMNS = {"id", "status"}
TIME_COLUMNS = {"created_at", "reached_out_at"}
CHUNK_SIZE = 2000
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A spreadsheet whose list separator is ; (much of Europe) splits an unquoted `x;=2*3;y` into
# three cells, and one whose separator is , splits at commas: so each part after either is
# guarded as a cell's start is. One pattern for Python's re and PostgreSQL's regexp_replace,
# which read it alike: a group, a bracket of literal characters (- last), \1 and \2.
FORMULA_PART = "(^|[,;])([" + "".join(sorted(FORMULA_PREFIXES, key=lambda c: c == "-")) + "])"
GUARDED_PART = r"\1'\2"
FORMULA_PART_RE = re.compile(FORMULA_PART)


def safe_cell(value) -> str:
    """The value as text, with a ' before its start and before each `,`/`;`-separated part
    that a spreadsheet would read as a formula."""
    if value is None:
        return ""
    text = (
        value.astimezone(UTC).isoformat(timespec="microseconds")
        if isinstance(value, datetime)
        else str(value)
    )
    return FORMULA_PART_RE.sub(GUARDED_PART, text)


def with_answer_columns(leads: LeadQuerySet) -> tuple[LeadQuerySet, dict[str, str]]:
    """`leads` with `practice_area` and one column per question key (issue 25): each the
    lead's own answer as text (a subquery per row over answer_lead_idx), "" when none.
    Returns the queryset and the columns, header -> field or annotation."""
    keys = sorted(set(Question.objects.values_list("key", flat=True)))
    annotations = {
        f"answer_{i}": Subquery(
            Answer.objects.filter(lead=OuterRef("pk"), resubmission__isnull=True, key=key).values("text")[:1]
        )
        for i, key in enumerate(keys)
    }
    columns = {**COLUMNS, "practice_area": "practice_area__slug"}
    for i, key in enumerate(keys):
        columns[key if key not in columns else f"answer_{key}"] = f"answer_{i}"
    return (leads.annotate(**annotations) if annotations else leads), columns


def csv_file(leads: LeadQuerySet) -> IO[bytes]:
    """The header and one CSV line per lead, in the queryset's order, in a rewound temporary file."""
    leads, columns = with_answer_columns(leads)
    # Handed to the response, which closes it once sent; no name on disk, readable by us only.
    file = tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR)  # noqa: SIM115
    try:
        text = io.TextIOWrapper(file, encoding="utf-8", newline="", write_through=True)
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(columns)
        if connections[leads.db].vendor == "postgresql":
            copy_rows(leads, file, columns)
        else:
            writer.writerows(
                [safe_cell(value) for value in row]
                for row in leads.values_list(*columns.values()).iterator(chunk_size=CHUNK_SIZE)
            )
        text.detach()
    except BaseException:
        file.close()
        raise
    file.seek(0)
    return file


def copy_rows(leads: LeadQuerySet, file: IO[bytes], columns: dict[str, str] = COLUMNS) -> None:
    """The rows as PostgreSQL writes CSV (COPY TO STDOUT), each cell made safe in SQL."""
    cells = {f"cell_{i}": cell_expression(header, field) for i, (header, field) in enumerate(columns.items())}
    query = leads.annotate(**cells).values_list(*cells).query
    sql, params = query.get_compiler(using=leads.db).as_sql()
    statement = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)"
    connection = connections[leads.db]
    # cursor.cursor is the psycopg cursor under Django's wrapper (it binds parameters client-
    # side); wrap_database_errors raises Django's exceptions from it, as Django's cursor does.
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(statement, params) as copy,
    ):
        for block in copy:
            file.write(block)


class UTCTime(Func):
    """A time as text in UTC with microseconds, as isoformat(timespec="microseconds") writes it."""

    template = """to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""
    output_field = models.TextField()


class SpreadsheetSafe(Func):
    """A text column with a ' before its start and before each `,`/`;`-separated part that
    would start a formula, as safe_cell() writes it (regexp_replace with the same pattern)."""

    function = "regexp_replace"
    output_field = models.TextField()

    def __init__(self, expression):
        super().__init__(expression, Value(FORMULA_PART), Value(GUARDED_PART), Value("g"))


def cell_expression(header: str, field: str) -> Func:
    """One column as SQL text, as safe_cell() writes it in Python."""
    if header in TIME_COLUMNS:
        return UTCTime(field)
    if header in PLAIN_COLUMNS:
        return Cast(field, models.TextField())
    return SpreadsheetSafe(field)


def csv_response(leads: LeadQuerySet) -> FileResponse:
    """`leads` as a `leads-<timestamp>.csv` attachment with its Content-Length."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = FileResponse(
        csv_file(leads),
        as_attachment=True,
        filename=f"leads-{stamp}.csv",
        content_type="text/csv; charset=utf-8",
    )
    response["Cache-Control"] = "private, no-store"
    return response
