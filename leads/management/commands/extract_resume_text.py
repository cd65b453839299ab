"""`manage.py extract_resume_text [--missing]`: (re)read resume text for existing leads."""

from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from leads.management.progress import Progress
from leads.models import Lead
from leads.worker.resume_text import extract_for_lead


class Command(BaseCommand):
    help = (
        "Read the text of every lead's resume (or, with --missing, of those never read) into "
        "the lead and its search vector, as the worker does, one resume at a time."
    )

    def add_arguments(self, parser):
        parser.add_argument("--missing", action="store_true", help="only leads whose text was never read")
        parser.add_argument("--batch-size", type=int, default=500, help="lead ids fetched per query")

    def handle(self, *args, missing: bool, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        leads = Lead.objects.text_not_extracted() if missing else Lead.objects.all()
        total = leads.count()
        progress = Progress(total, self.stderr if options["verbosity"] else None, label="Reading resumes")
        states = Counter()
        done, last = 0, None
        while done < total:
            # Keyset pages by primary key: rows already read leave a --missing run's filter,
            # so an OFFSET would skip some; a key never does.
            page = leads.order_by("pk") if last is None else leads.filter(pk__gt=last).order_by("pk")
            ids = list(page.values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            for pk in ids:
                states[extract_for_lead(str(pk))] += 1
                done += 1
                progress.advance(1)
            last = ids[-1]
        progress.finish()
        summary = ", ".join(f"{states[s]} {s.label.lower()}" for s in Lead.TextState if states[s])
        self.stdout.write(f"Read {done} resumes in {progress.elapsed():.1f}s ({summary or 'none'}).")
