"""Counting SQL statements the same way on both databases."""

# A transaction's own BEGIN (BEGIN IMMEDIATE on SQLite) and COMMIT show up among the captured
# queries on one database and not the other; budgets count the statements a request makes,
# so transaction control is left out everywhere (savepoints still count: they are round trips).
TRANSACTION_CONTROL = ("BEGIN", "BEGIN IMMEDIATE", "COMMIT")


def statements(captured) -> list[str]:
    """The SQL of a CaptureQueriesContext, without the transactions' BEGIN and COMMIT."""
    return [query["sql"] for query in captured.captured_queries if query["sql"] not in TRANSACTION_CONTROL]
