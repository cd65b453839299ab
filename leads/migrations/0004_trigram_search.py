"""Trigram indexes for the admin's search on PostgreSQL; nothing on other databases.

Django's `icontains` compiles to `UPPER(col::text) LIKE UPPER('%q%')`, which only a GIN
index on that very expression with `gin_trgm_ops` can serve (a plain `gin (col
gin_trgm_ops)` is not used). Built CONCURRENTLY so a live table keeps taking writes, hence
a non-atomic migration. The reverse drops the indexes and leaves the pg_trgm extension,
which other schemas in the database may use.
"""

from django.db import migrations

COLUMNS = {"lead_first_name_trgm": "first_name", "lead_last_name_trgm": "last_name", "lead_email_trgm": "email"}


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in COLUMNS.items():
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} "
            f"ON leads_lead USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in COLUMNS:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("leads", "0003_lead_last_name_idx")]

    operations = [migrations.RunPython(create_trigram_indexes, drop_trigram_indexes, elidable=False)]
