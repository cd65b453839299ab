"""`manage.py fold_conversion [--rebuild]`: fold the conversion report's rollup now."""

from django.core.management.base import BaseCommand

from leads import rollup


class Command(BaseCommand):
    help = (
        "Fold the conversion report's stale and new whole days into its rollup now (the worker "
        "does this every FOLLOW_UP_INTERVAL_SECONDS). --rebuild forgets the rollup and folds "
        "every day again: after leads were written around the application (an import, an "
        "UPDATE by hand)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="forget the rollup and fold every day")

    def handle(self, *args, rebuild=False, **options):
        days = rollup.rebuild() if rebuild else rollup.fold()
        self.stdout.write(f"Folded {days} day(s) of the conversion report.")
