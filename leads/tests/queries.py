"""Counting SQL statements the same way on both databases, and which index serves one."""

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

# A transaction's own BEGIN (BEGIN IMMEDIATE on SQLite) and COMMIT show up among the captured
# queries on one database and not the other; budgets count the statements a request makes,
# so transaction control is left out everywhere (savepoints still count: they are round trips).
TRANSACTION_CONTROL = ("BEGIN", "BEGIN IMMEDIATE", "COMMIT")


def statements(captured) -> list[str]:
    """The SQL of a CaptureQueriesContext, without the transactions' BEGIN and COMMIT."""
    return [query["sql"] for query in captured.captured_queries if query["sql"] not in TRANSACTION_CONTROL]


def plan_of(run) -> str:
    """PostgreSQL's plan for the one statement `run()` makes, with table scans priced out
    (enable_seqscan off): on a small test table it then names an index if one can serve the
    statement, and only then."""
    with CaptureQueriesContext(connection) as captured:
        run()
    [sql] = statements(captured)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())
