"""`manage.py seed_leads --count N`: realistic demo leads, fast (COPY on PostgreSQL)."""

import random
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from queue import Queue

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import ATTORNEYS_GROUP, User
from leads.models import SEARCH_CONFIG, SHARED_RESUME_PREFIX, Lead, StatusChange
from leads.resume_text import demo_resume_text
from leads.samples import sample_pdf

# Every seeded lead points at this one file: stored once, shared by reference. Deleting a
# lead never removes a file under SHARED_RESUME_PREFIX while another lead still uses it.
SEED_RESUME_NAME = f"{SHARED_RESUME_PREFIX}resume.pdf"
SEED_RESUME = sample_pdf("Demo resume")
# Reserved domains (RFC 2606): a seeded address can never reach a real person.
DOMAINS = ["example.com", "example.org", "example.net"]
SOURCES = ["", "", "", "google", "linkedin", "newsletter", "referral"]
PENDING_SHARE = 0.70  # of the rest, most were reached out; a few reached out and reopened
REOPENED_SHARE = 0.02
SPAN = timedelta(days=730)
NAME_POOL = 2_000

LEAD_COLUMNS = [
    "id", "first_name", "last_name", "email", "resume", "status", "created_at",
    "updated_at", "reached_out_at", "reached_out_by_id", "source", "referrer", "resume_text",
    "resume_text_state",
]  # fmt: skip
CHANGE_COLUMNS = ["id", "lead_id", "from_status", "to_status", "changed_by_id", "changed_at"]


@dataclass(frozen=True, slots=True)
class SeedRow:
    lead: tuple
    changes: list[tuple]


class Command(BaseCommand):
    help = "Create N realistic demo leads (shared sample resume, status history)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="how many leads to create")
        parser.add_argument("--batch-size", type=int, default=20_000, help="rows per chunk")
        parser.add_argument("--seed", type=int, default=None, help="random seed (repeatable data)")

    def handle(self, *args, count: int, batch_size: int, seed: int | None, **options):
        if count < 0 or batch_size < 1:
            raise CommandError("--count must be ≥ 0 and --batch-size ≥ 1.")
        try:
            from faker import Faker
        except ImportError as exc:  # a development dependency: seeding is for demos and benchmarks
            raise CommandError("seed_leads needs Faker: pip install -r requirements-dev.txt") from exc
        rng = random.Random(seed)
        fake = Faker()
        fake.seed_instance(rng.randrange(2**32))
        resume = self.seed_resume()
        attorneys = self.attorney_ids()
        rows = generate_rows(count, fake=fake, rng=rng, resume=resume, attorneys=attorneys)
        postgres = connection.vendor == "postgresql"
        prepare, write = (to_copy_text, self.copy_chunk) if postgres else (list, self.bulk_create_chunk)
        progress = Progress(count, self.stderr if options["verbosity"] else None)
        done = 0
        # A thread builds the next chunk while this one waits for the database to take the
        # last: generating is CPU in Python, loading is CPU in PostgreSQL, two cores.
        for size, chunk in prefetch(chunks(rows, count, batch_size, prepare)):
            with transaction.atomic():
                write(chunk)
            done += size
            progress.update(done)
        if postgres:
            self.merge_gin_pending_lists()
        progress.finish()
        self.stdout.write(f"Created {done} leads in {progress.elapsed():.1f}s.")

    def seed_resume(self) -> str:
        """The shared sample resume's storage name; stored on the first run only."""
        if not default_storage.exists(SEED_RESUME_NAME):
            return default_storage.save(SEED_RESUME_NAME, ContentFile(SEED_RESUME))
        return SEED_RESUME_NAME

    def attorney_ids(self) -> list[str]:
        """Who reached out: the active attorneys, or three demo attorneys who cannot log in."""
        ids = list(User.objects.attorneys().values_list("pk", flat=True)[:20])
        if ids:
            return [str(pk) for pk in ids]
        group = Group.objects.get(name=ATTORNEYS_GROUP)
        for n in range(1, 4):
            user = User.objects.filter(username=f"demo-attorney-{n}").first()
            if user is None:
                user = User.objects.create_user(
                    username=f"demo-attorney-{n}",
                    email=f"demo-attorney-{n}@example.com",
                    password=None,  # unusable: demo data, not an account
                    is_staff=True,
                )
            user.groups.add(group)
            ids.append(str(user.pk))
        return ids

    def copy_chunk(self, chunk: tuple[str, str]) -> None:
        """COPY one chunk of leads, then their history, through psycopg 3."""
        leads, changes = chunk
        with connection.cursor() as cursor:
            # Trigram (GIN) indexes take new rows into a pending list and merge it into the
            # index when it is full: a bigger list means fewer, larger, cheaper merges.
            cursor.execute("SET LOCAL gin_pending_list_limit = '256MB'")
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            # The leads go through a temporary table so PostgreSQL computes each search vector
            # as the row goes in (the task's refresh_search_vectors would write every row twice).
            table, columns = Lead._meta.db_table, ", ".join(LEAD_COLUMNS)
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS seed_lead (LIKE {table} INCLUDING DEFAULTS)")
            with raw.copy(f"COPY seed_lead ({columns}) FROM STDIN") as copy:
                copy.write(leads)
            cursor.execute(
                f"INSERT INTO {table} ({columns}, search_vector) "  # noqa: S608 (our own names)
                f"SELECT {columns}, to_tsvector(%s::regconfig, resume_text) FROM seed_lead",
                [SEARCH_CONFIG],
            )
            # Emptied here, not at commit: inside an outer transaction there is no commit.
            cursor.execute("TRUNCATE seed_lead")
            change_table = StatusChange._meta.db_table
            with raw.copy(f"COPY {change_table} ({', '.join(CHANGE_COLUMNS)}) FROM STDIN") as copy:
                copy.write(changes)

    def merge_gin_pending_lists(self) -> None:
        """Fold the rows still waiting in the GIN pending lists into the trigram indexes, so
        searches are fast at once rather than after the next autovacuum."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i"
                " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam"
                " WHERE i.indrelid = %s::regclass AND a.amname = 'gin'",
                [Lead._meta.db_table],
            )

    def bulk_create_chunk(self, chunk: list[SeedRow]) -> None:
        """Elsewhere (SQLite): bulk_create the chunk in batches."""
        Lead.objects.bulk_create(
            (Lead(**dict(zip(LEAD_COLUMNS, row.lead, strict=True))) for row in chunk), batch_size=500
        )
        StatusChange.objects.bulk_create(
            (
                StatusChange(**dict(zip(CHANGE_COLUMNS, change, strict=True)))
                for row in chunk
                for change in row.changes
            ),
            batch_size=500,
        )


def generate_rows(
    count: int, *, fake, rng: random.Random, resume: str, attorneys: list[str]
) -> Iterator[SeedRow]:
    """Leads (as tuples in LEAD_COLUMNS order) with their history, one at a time."""
    # Faker is slow per call; a pool of real-looking names, combined at random, is not.
    firsts = [clean(fake.first_name()) for _ in range(NAME_POOL)]
    lasts = [clean(fake.last_name()) for _ in range(NAME_POOL)]
    # The run tag keeps emails unique across runs; the counter keeps them unique within one.
    tag = base36(int(time.time() * 1000) % 36**7)
    now = timezone.now()
    # Leads arrive in time order over the two years, as in production: the created_at
    # indexes then grow at their end instead of being split all over.
    created = now - SPAN
    mean_gap = SPAN.total_seconds() / max(count, 1)
    pending, reached, reopened = Lead.Status.PENDING, Lead.Status.REACHED_OUT, REOPENED_SHARE
    read = Lead.TextState.READ
    for n in range(count):
        first, last = rng.choice(firsts), rng.choice(lasts)
        email = f"{local(first)}.{local(last)}.{tag}{base36(n)}@{rng.choice(DOMAINS)}"
        created = min(created + timedelta(seconds=rng.expovariate(1 / mean_gap)), now)
        lead_id = str(uuid.uuid4())
        roll = rng.random()
        status, reached_at, by, changes = pending, None, None, []
        if roll >= PENDING_SHARE - reopened:
            by = rng.choice(attorneys)
            # Most leads are called within two days; a long tail waits for weeks.
            wait = timedelta(hours=rng.expovariate(1 / 30))
            reached_at = min(created + wait, now)
            changes.append((str(uuid.uuid4()), lead_id, pending, reached, by, reached_at))
            if roll < PENDING_SHARE:
                reopened_at = min(reached_at + timedelta(days=rng.uniform(1, 14)), now)
                changes.append((str(uuid.uuid4()), lead_id, reached, pending, by, reopened_at))
            else:
                status = reached
        updated = changes[-1][-1] if changes else created
        source = rng.choice(SOURCES)
        text = demo_resume_text(rng)
        lead = (
            lead_id,
            first,
            last,
            email,
            resume,
            status,
            created,
            updated,
            reached_at,
            by,
            source,
            "",
            text,
            read,
        )
        yield SeedRow(lead=lead, changes=changes)


def chunks(rows: Iterator[SeedRow], count: int, size: int, prepare) -> Iterator[tuple[int, object]]:
    """(rows in chunk, prepare(chunk)) for successive chunks of at most `size` rows."""
    done = 0
    while done < count:
        chunk = [next(rows) for _ in range(min(size, count - done))]
        done += len(chunk)
        yield len(chunk), prepare(chunk)


def prefetch(items: Iterator, depth: int = 2) -> Iterator:
    """`items`, produced by a background thread at most `depth` ahead (bounded memory)."""
    queue: Queue = Queue(maxsize=depth)
    end = object()
    stop = threading.Event()

    def produce():
        try:
            for item in items:
                if stop.is_set():
                    return
                queue.put(item)
        except BaseException as exc:  # handed to the consumer, raised there
            queue.put(exc)
        queue.put(end)

    thread = threading.Thread(target=produce, daemon=True, name="seed-generator")
    thread.start()
    try:
        while (item := queue.get()) is not end:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()


def to_copy_text(chunk: list[SeedRow]) -> tuple[str, str]:
    """A chunk as two COPY text payloads: the leads, then their history rows."""
    leads = "".join(copy_line(row.lead) for row in chunk)
    changes = "".join(copy_line(change) for row in chunk for change in row.changes)
    return leads, changes


def clean(name: str) -> str:
    """A name safe for an email's local part and COPY's text format."""
    return "".join(ch for ch in name if ch.isalpha() or ch in "-'") or "Sam"


def local(name: str) -> str:
    """A name as part of an email address: lower-case letters only."""
    return "".join(ch for ch in name.lower() if "a" <= ch <= "z") or "x"


def base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def copy_line(values: tuple) -> str:
    """One row in COPY's text format: tab-separated, \\N for NULL, line breaks as \\n (values
    hold no tabs or backslashes)."""
    fields = (
        r"\N" if v is None else v.isoformat() if isinstance(v, datetime) else v.replace("\n", r"\n")
        for v in values
    )
    return "\t".join(fields) + "\n"


class Progress:
    """A progress bar on stderr: redrawn in place on a terminal, a line per 10% otherwise."""

    def __init__(self, total: int, stream, label: str = "Seeding leads"):
        self.total, self.stream, self.label, self.started = total, stream, label, time.monotonic()
        self.tty = bool(stream) and getattr(sys.stderr, "isatty", lambda: False)()
        self.last_tenth = -1

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def update(self, done: int) -> None:
        if not self.stream or not self.total:
            return
        share = done / self.total
        bar = "#" * int(share * 30)
        line = f"{self.label} [{bar:<30}] {done:>{len(str(self.total))}}/{self.total} {self.elapsed():.1f}s"
        if self.tty:
            self.stream.write("\r" + line, ending="")
            self.stream.flush()
        elif int(share * 10) != self.last_tenth:
            self.last_tenth = int(share * 10)
            self.stream.write(line)

    def finish(self) -> None:
        if self.stream and self.tty:
            self.stream.write("")
