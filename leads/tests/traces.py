"""Looking for a prospect everywhere: every column of every table, and the stored files."""

from pathlib import Path

from django.db import connection


def needles_for(lead) -> list[str]:
    """What would identify a lead: its address, its names and its id as each database keeps it."""
    return [lead.email, f"{lead.first_name} {lead.last_name}", str(lead.pk), lead.pk.hex]


def rows_mentioning(*needles: str) -> dict[str, int]:
    """{"table.column": rows} for every column whose text holds any needle, in any case."""
    found = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                text = f"LOWER(CAST({quote(column.name)} AS TEXT))"
                where = " OR ".join([f"{text} LIKE %s"] * len(needles))
                cursor.execute(
                    f"SELECT COUNT(*) FROM {quote(table)} WHERE {where}",  # noqa: S608 (names from introspection)
                    [f"%{needle.lower()}%" for needle in needles],
                )
                if count := cursor.fetchone()[0]:
                    found[f"{table}.{column.name}"] = count
    return found


def stored_files(media_root) -> list[str]:
    """Every file under MEDIA_ROOT, relative to it."""
    root = Path(media_root)
    if not root.exists():
        return []
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
