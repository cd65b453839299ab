"""The GIN index behind resume search (`search_vector @@ websearch_to_tsquery(...)`) on
PostgreSQL; nothing on other databases, which search the text with a plain contains.

Built CONCURRENTLY, as 0004_trigram_search does, so a live table keeps taking writes while
it builds: hence a non-atomic migration outside the model's Meta (a GinIndex there would
be created inside a transaction, and on SQLite at all).
"""

from django.db import migrations

INDEX = "lead_search_vector_gin"


def create_search_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON leads_lead USING gin (search_vector)")


def drop_search_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("leads", "0013_lead_resume_text")]

    operations = [migrations.RunPython(create_search_index, drop_search_index, elidable=False)]
