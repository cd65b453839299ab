"""ORM queries whose SQL is written once per process and run by hand: for a read on every
request whose building through the ORM costs more than running it (the intake form's set-up,
a lead's timeline). Their rows come back as the ORM would give them."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connections
from django.db.models import QuerySet
from django.db.models.sql import Query


@dataclass(frozen=True)
class CompiledQuery:
    """A query's SQL and parameters, and its selected columns (for their converters)."""

    sql: str
    params: tuple
    columns: tuple

    @classmethod
    def of(cls, queryset: QuerySet, using: str) -> "CompiledQuery":
        """`queryset` as SQL for database `using` (a union: its columns are its first part's)."""
        sql, params = queryset.query.get_compiler(using).as_sql()
        query = queryset.query.combined_queries[0] if queryset.query.combinator else queryset.query
        return cls(sql, tuple(params), selected_columns(query, using))

    def rows(self, using: str, params: Sequence | None = None) -> list[tuple]:
        """Its rows on database `using` (with other `params` in the same places, if given),
        each value converted as the ORM converts it (JSON decoded, SQLite's text to a time or
        a UUID, its 0 / 1 to a boolean)."""
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params if params is None else params)
            rows = cursor.fetchall()
        converters = [
            (n, functions, column)
            for n, column in enumerate(self.columns)
            if (functions := connection.ops.get_db_converters(column) + column.get_db_converters(connection))
        ]
        if not converters:
            return rows
        converted = []
        for row in rows:
            row = list(row)
            for n, functions, column in converters:
                for convert in functions:
                    row[n] = convert(row[n], column, connection)
            converted.append(tuple(row))
        return converted


def selected_columns(query: Query, using: str) -> tuple:
    """The expressions `query` selects, in order."""
    compiler = query.get_compiler(using)
    compiler.setup_query()
    return tuple(column for column, _, _ in compiler.select[: compiler.col_count])
