"""Lead.answers_text: every intake answer's text of a lead, one a line, so the admin search and
the API's `search` read answers as they read names (a trigram bitmap ORed with theirs) instead of
a union with the answers' ids (issue 26: a common word cost ~1 s at a million leads that way).

Filled from the existing answers; on PostgreSQL its trigram index is built CONCURRENTLY (hence a
non-atomic migration, as 0004) and the answers' own trigram index (0031), which nothing reads
any more, is dropped. Reversible: the reverse rebuilds answer_text_trgm and drops the column.
"""

from django.db import migrations, models
from django.db.models import OuterRef, StringAgg, Subquery, Value
from django.db.models.functions import Coalesce

INDEX = "lead_answers_text_trgm"
OLD_INDEX = "answer_text_trgm"


def fill(apps, schema_editor):
    Lead, Answer = apps.get_model("leads", "Lead"), apps.get_model("leads", "Answer")
    texts = (
        Answer.objects.filter(lead=OuterRef("pk"))
        .order_by()
        .values("lead")
        .annotate(all=StringAgg("text", delimiter=Value("\n")))
        .values("all")
    )
    Lead._base_manager.filter(pk__in=Answer.objects.values("lead")).update(
        answers_text=Coalesce(Subquery(texts, output_field=models.TextField()), Value(""))
    )


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} "
        "ON leads_lead USING gin ((UPPER(answers_text::text)) gin_trgm_ops)"
    )
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {OLD_INDEX}")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {OLD_INDEX} "
        "ON leads_answer USING gin ((UPPER(text::text)) gin_trgm_ops)"
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("leads", "0031_answer_search_and_permissions")]

    operations = [
        migrations.AddField(
            model_name="lead",
            name="answers_text",
            field=models.TextField(blank=True, db_default="", default="", editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
