"""`manage.py seed_leads --count N`: realistic demo leads, fast (COPY on PostgreSQL).

A million leads: the rows are generated a chunk at a time as text columns (a thread builds
the next chunk while PostgreSQL loads the last), COPYed in one transaction and, for a load
as large as the table, into tables whose secondary indexes were dropped first and are built
once at the end (maintenance_work_mem raised): one sorted build of each index instead of a
million insertions into each, the trigram (GIN) indexes included. Elsewhere: bulk_create.
"""

import json
import random
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from queue import Queue

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import ATTORNEYS_GROUP, User
from leads import rollup
from leads.demo import demo_resume_text, sample_pdf
from leads.management.database import DirectConnectionCommand
from leads.management.progress import Progress
from leads.models import (
    SEARCH_CONFIG,
    SHARED_RESUME_PREFIX,
    Answer,
    Lead,
    PracticeArea,
    Question,
    StatusChange,
)

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
NULL = r"\N"  # COPY's text format
# Dropping and rebuilding the indexes pays once a load is this large and at least half the
# size of the table (rebuilding also re-reads the rows already there).
REBUILD_AT = 50_000
REBUILD_MEMORY = "1GB"  # maintenance_work_mem while the indexes are built


@dataclass(frozen=True, slots=True)
class SeedChunk:
    """`size` leads and their status history as columns of text (COPY's text format)."""

    size: int
    leads: dict[str, list[str]]
    changes: dict[str, list[str]]
    # Answer rows (issue 25), when the intake form has questions.
    answers: dict[str, list[str]] = field(default_factory=dict)


class Command(DirectConnectionCommand, BaseCommand):
    help = "Create N realistic demo leads (shared sample resume, status history)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="how many leads to create")
        parser.add_argument("--batch-size", type=int, default=50_000, help="rows per chunk")
        parser.add_argument("--seed", type=int, default=None, help="random seed (repeatable data)")
        parser.add_argument(
            "--indexes",
            choices=["auto", "keep", "rebuild"],
            default="auto",
            help="PostgreSQL: drop the secondary indexes and build them after the load "
            f"(auto: for {REBUILD_AT:,}+ leads and at least half the table)",
        )

    def handle(self, *args, count: int, batch_size: int, seed: int | None, indexes: str, **options):
        """Generate and load the leads (over DATABASE_DIRECT_URL when set: it may rebuild indexes)."""
        if count < 0 or batch_size < 1:
            raise CommandError("--count must be ≥ 0 and --batch-size ≥ 1.")
        try:
            from faker import Faker
        except ImportError as exc:  # pinned in requirements.txt; a slimmer image may leave it out
            raise CommandError("seed_leads needs Faker: pip install -r requirements.txt") from exc
        rng = random.Random(seed)
        fake = Faker()
        fake.seed_instance(rng.randrange(2**32))
        progress = Progress(count, self.stderr if options["verbosity"] else None)
        rows = generate_rows(
            count,
            rng=rng,
            names=name_pools(fake),
            resume=self.seed_resume(),
            attorneys=self.attorney_ids(),
            chunk_size=batch_size,
            intake=IntakeForm.read(),
        )
        if connection.vendor == "postgresql":
            self.load_with_copy(rows, progress, rebuild=self.rebuilds(indexes, count))
        else:
            for chunk in rows:
                self.bulk_create_chunk(chunk)
                progress.advance(chunk.size)
        progress.finish()
        self.stdout.write(f"Created {progress.done} leads in {progress.elapsed():.1f}s.")
        # Written around the services (no marks): the conversion report's rollup again.
        days = rollup.rebuild()
        self.stdout.write(f"Folded {days} day(s) of the conversion report in {progress.elapsed():.1f}s.")

    def seed_resume(self) -> str:
        """The shared sample resume's storage name; stored on the first run only."""
        if not default_storage.exists(SEED_RESUME_NAME):
            return default_storage.save(SEED_RESUME_NAME, ContentFile(SEED_RESUME))
        return SEED_RESUME_NAME

    def attorney_ids(self) -> list[str]:
        """Who reached out: three demo attorneys, never a real one (whose dashboard figures the
        demo would inflate). Inactive, in the Attorneys group: the dashboard lists them, and
        like any inactive attorney they are never notified nor offered as an assignee."""
        group = Group.objects.get(name=ATTORNEYS_GROUP)
        ids = []
        for n in range(1, 4):
            user = User.objects.filter(username=f"demo-attorney-{n}").first()
            if user is None:
                user = User.objects.create_user(
                    username=f"demo-attorney-{n}",
                    email=f"demo-attorney-{n}@example.com",
                    password=None,  # unusable: demo data, not an account
                    full_name=f"Demo attorney {n}",
                    is_staff=False,
                    is_active=False,
                )
            elif user.is_active or user.is_staff:  # made by an earlier version, active
                User.objects.filter(pk=user.pk).update(is_active=False, is_staff=False)
            user.groups.add(group)
            ids.append(str(user.pk))
        return ids

    def rebuilds(self, indexes: str, count: int) -> bool:
        """Whether to drop the secondary indexes for this load and build them after it."""
        if indexes != "auto":
            return indexes == "rebuild"
        have, _ = Lead.objects.estimated_count()
        return count >= REBUILD_AT and 2 * count >= have

    def load_with_copy(self, rows: Iterator[SeedChunk], progress: "Progress", *, rebuild: bool) -> None:
        """COPY every chunk in one transaction; with `rebuild`, into tables without their
        secondary indexes and foreign keys, made again at the end. A failure leaves the
        tables as they were."""
        tables = [Lead._meta.db_table, StatusChange._meta.db_table, Answer._meta.db_table]
        with transaction.atomic(), connection.cursor() as cursor:
            indexes = set_aside(cursor, tables, progress) if rebuild else nullcontext()
            with indexes, search_vectors_on_insert(cursor):
                # A thread builds the next chunk while this one waits for the database to take
                # the last: generating is CPU in Python, loading is CPU in PostgreSQL, two cores.
                for chunk in prefetch(rows):
                    copy_columns(cursor, Lead._meta.db_table, chunk.leads)
                    copy_columns(cursor, StatusChange._meta.db_table, chunk.changes)
                    if chunk.answers:
                        copy_columns(cursor, Answer._meta.db_table, chunk.answers)
                    progress.advance(chunk.size)
            # Fresh statistics now: the lists' estimated counts and the planner rely on them.
            cursor.execute(f"ANALYZE {', '.join(tables)}")

    def bulk_create_chunk(self, chunk: SeedChunk) -> None:
        """Elsewhere (SQLite): bulk_create the chunk in batches."""
        for model, columns in ((Lead, chunk.leads), (StatusChange, chunk.changes), (Answer, chunk.answers)):
            if not columns:
                continue
            model.objects.bulk_create(
                (
                    model(
                        **{
                            name: None if value == NULL else from_copy_value(name, value)
                            for name, value in zip(columns, row, strict=True)
                        }
                    )
                    for row in zip(*columns.values(), strict=True)
                ),
                batch_size=500,
            )


@contextmanager
def set_aside(cursor, tables: list[str], progress: "Progress") -> Iterator[None]:
    """Without the foreign keys of `tables` and the indexes that back no constraint for the
    block, then each made again in one pass over the rows instead of kept up row by row (the
    trigram indexes cost most). The primary keys stay. Inside the caller's transaction."""
    cursor.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
        " JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = ANY(%s::regclass[])"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)"
        " ORDER BY c.relname",
        [tables],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY conname",
        [tables],
    )
    foreign_keys = cursor.fetchall()
    for table, name, _ in foreign_keys:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    cursor.execute(f"SET LOCAL maintenance_work_mem = '{REBUILD_MEMORY}'")
    steps = len(indexes) + len(foreign_keys)
    for step, (name, definition) in enumerate(indexes, start=1):
        progress.phase(f"Building index {name}", step, steps)
        cursor.execute(definition)
    # One check of all the rows per key (a join), where the per-row triggers made a million.
    for step, (table, name, definition) in enumerate(foreign_keys, start=len(indexes) + 1):
        progress.phase(f"Checking foreign key {name}", step, steps)
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


@contextmanager
def search_vectors_on_insert(cursor) -> Iterator[None]:
    """For the block, PostgreSQL computes each lead's search vector as its row is COPYed in,
    with its own C trigger function: one write of each row (a temporary table and an INSERT …
    SELECT wrote them twice, and the worker's refresh would rewrite them). The trigger lives
    only inside the caller's transaction: the product itself has none."""
    table = Lead._meta.db_table
    cursor.execute(
        f"CREATE TRIGGER seed_search_vector BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION"
        f" tsvector_update_trigger(search_vector, 'pg_catalog.{SEARCH_CONFIG}', resume_text)"
    )
    yield
    cursor.execute(f"DROP TRIGGER seed_search_vector ON {table}")


def copy_columns(cursor, table: str, columns: dict[str, list[str]]) -> None:
    """COPY text columns into `table` through psycopg 3 (the cursor under Django's wrapper)."""
    names = ", ".join(columns)
    with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        copy.write(copy_text(columns))


def copy_text(columns: dict[str, list[str]]) -> str:
    """Columns as COPY's text format: a tab between values, a line per row (values hold no tabs)."""
    if not columns or not next(iter(columns.values())):
        return ""
    return "\n".join(map("\t".join, zip(*columns.values(), strict=True))) + "\n"


@dataclass(frozen=True, slots=True)
class NamePools:
    firsts: list[str]
    lasts: list[str]
    # The same names as parts of an email address: lower-case letters only.
    first_locals: list[str]
    last_locals: list[str]


def name_pools(fake) -> NamePools:
    """Real-looking first and last names (Faker is slow per call; names combined at random are not)."""
    firsts = [clean(fake.first_name()) for _ in range(NAME_POOL)]
    lasts = [clean(fake.last_name()) for _ in range(NAME_POOL)]
    return NamePools(firsts, lasts, [local(name) for name in firsts], [local(name) for name in lasts])


@dataclass(slots=True)
class IntakeForm:
    """The active practice areas and questions seeded leads answer (issue 25)."""

    areas: list[PracticeArea]
    questions: dict[int | None, list[Question]]

    @classmethod
    def read(cls) -> "IntakeForm":
        questions = {}
        for question in Question.objects.filter(is_active=True).select_related("show_if_question"):
            questions.setdefault(question.practice_area_id, []).append(question)
        for asked in questions.values():
            asked.sort(key=lambda q: (q.position, q.pk))
        return cls(areas=list(PracticeArea.objects.active()), questions=questions)

    def answer(self, rng: random.Random, lead_id: str, answers: dict[str, list[str]]) -> tuple[str, str]:
        """Pick the lead's practice area (its id, or NULL) and add its answers' rows; returns
        the area and the lead's answers_text (as COPY text)."""
        area = rng.choice(self.areas) if self.areas else None
        given, texts = {}, []
        asked = [*self.questions.get(None, []), *(self.questions.get(area.pk, []) if area else [])]
        for question in asked:
            if not question.applies(given) or (not question.required and rng.random() < 0.3):
                continue
            value = demo_answer(rng, question)
            given[question.key] = value
            row = {
                "lead_id": lead_id,
                "question_id": str(question.pk),
                "key": question.key,
                "label": to_copy_text(question.label),
                "value": to_copy_text(json.dumps(value)),
                "text": to_copy_text(Answer.as_text(value)),
                "position": str(len(given) - 1),
            }
            for column, text in row.items():
                answers.setdefault(column, []).append(text)
            texts.append(Answer.as_text(value))
        return (str(area.pk) if area else NULL), to_copy_text("\n".join(texts))


DEMO_TEXTS = ["Looking for advice", "Need help soon", "Second opinion", "Referred by a friend"]


def demo_answer(rng: random.Random, question: Question):
    """A plausible answer to `question`, as stored."""
    kind = Question.Kind
    options = question.option_values()
    match question.kind:
        case kind.CHOICE:
            return rng.choice(options)
        case kind.CHOICES:
            picked = set(rng.sample(options, k=rng.randint(1, len(options))))
            return [value for value in options if value in picked]
        case kind.YES_NO:
            return rng.random() < 0.5
        case kind.DATE:
            return (timezone.now().date() + timedelta(days=rng.randint(1, 120))).isoformat()
        case kind.NUMBER:
            return rng.randint(1, 50)
        case kind.PHONE:
            return f"+1202555{rng.randint(100, 199):04d}"  # 555-01xx: fictional, and valid
    return rng.choice(DEMO_TEXTS)


def from_copy_value(name: str, value: str):
    """A COPY text value as the model field takes it (an answer's value is JSON)."""
    text = from_copy_text(value)
    return json.loads(text) if name == "value" else text


def generate_rows(
    count: int,
    *,
    rng: random.Random,
    names: NamePools,
    resume: str,
    attorneys: list[str],
    chunk_size: int,
    intake: IntakeForm | None = None,
) -> Iterator[SeedChunk]:
    """`count` leads created over the last two years in time order, 70% PENDING, with their
    status history, `chunk_size` at a time. Add a lead column with one more entry in `leads`
    (COPY's text format: free text must have its backslashes, tabs and newlines escaped)."""
    now = timezone.now().timestamp()
    # The run tag keeps emails unique across runs; the counter keeps them unique within one.
    tag = base36(int(time.time() * 1000) % 36**7)
    mean_gap = SPAN.total_seconds() / max(count, 1)
    ids = random.Random()  # ids differ on every run, even with --seed
    stamp = TimeText()
    created_at = now - SPAN.total_seconds()
    for start in range(0, count, chunk_size):
        n = min(chunk_size, count - start)
        # Leads arrive in time order, as in production: the created_at indexes grow at one end.
        gaps = (rng.expovariate(1 / mean_gap) for _ in range(n))
        created = [min(moment, now) for moment in accumulate(gaps, initial=created_at)][1:]
        created_at = created[-1]
        first = rng.choices(range(NAME_POOL), k=n)
        last = rng.choices(range(NAME_POOL), k=n)
        lead_ids = [uuid4_hex(ids) for _ in range(n)]
        history = status_history(rng, lead_ids, created, attorneys, now, ids)
        emails = [
            f"{names.first_locals[f]}.{names.last_locals[la]}.{tag}{start + k:x}@{domain}"
            for k, (f, la, domain) in enumerate(zip(first, last, rng.choices(DOMAINS, k=n), strict=True))
        ]
        leads = {
            "id": lead_ids,
            "first_name": [names.firsts[i] for i in first],
            "last_name": [names.lasts[i] for i in last],
            "email": emails,
            # Lower-case ASCII letters, digits and dots at a reserved ASCII domain: each address
            # is already its own normalised form (validators.email_key), so no work per row.
            "email_key": emails,
            "resume": [resume] * n,
            "status": history.statuses,
            "created_at": stamp.many(created),
            "updated_at": stamp.many(history.updated),
            "reached_out_at": stamp.many(history.reached_at),
            "reached_out_by_id": history.reached_by,
            "source": rng.choices(SOURCES, k=n),
            "referrer": [""] * n,
            # Resume-like text to search, as the worker would have read it.
            "resume_text": [to_copy_text(demo_resume_text(rng)) for _ in range(n)],
            "resume_text_state": [Lead.TextState.READ] * n,
        }
        answers = {}
        if intake is not None and (intake.areas or intake.questions):
            picked = [intake.answer(rng, lead_id, answers) for lead_id in lead_ids]
            leads["practice_area_id"] = [area for area, _ in picked]
            leads["answers_text"] = [text for _, text in picked]
        yield SeedChunk(size=n, leads=leads, changes=history.changes(stamp), answers=answers)


@dataclass(slots=True)
class History:
    """The status columns of a chunk of leads, and the StatusChange rows behind them."""

    statuses: list[str]
    reached_at: list[float | None]
    reached_by: list[str]
    updated: list[float]
    # StatusChange columns: id, lead_id, from_status, to_status, changed_by_id, changed_at.
    change_columns: tuple[list, list, list, list, list, list]

    def add_change(self, ids: random.Random, lead_id: str, move: tuple[str, str], by: str, at: float) -> None:
        for column, value in zip(self.change_columns, (uuid4_hex(ids), lead_id, *move, by, at), strict=True):
            column.append(value)

    def changes(self, stamp: "TimeText") -> dict[str, list[str]]:
        """The StatusChange rows as text columns."""
        *columns, moments = self.change_columns
        names = ["id", "lead_id", "from_status", "to_status", "changed_by_id"]
        return {**dict(zip(names, columns, strict=True)), "changed_at": stamp.many(moments)}


def status_history(
    rng: random.Random, lead_ids: list[str], created: list[float], attorneys: list[str], now: float, ids
) -> History:
    """Who reached out to which lead and when: most within two days, a long tail over weeks;
    a few reached out and reopened. The rest (70%) never reached, no history."""
    pending, reached = Lead.Status.PENDING, Lead.Status.REACHED_OUT
    history = History([], [], [], [], ([], [], [], [], [], []))
    never_reached = PENDING_SHARE - REOPENED_SHARE
    for lead_id, created_at, roll in zip(lead_ids, created, (rng.random() for _ in lead_ids), strict=True):
        if roll < never_reached:
            history.statuses.append(pending)
            history.reached_at.append(None)
            history.reached_by.append(NULL)
            history.updated.append(created_at)
            continue
        by = rng.choice(attorneys)
        reached_at = updated = min(created_at + rng.expovariate(1 / 30) * 3600, now)
        history.add_change(ids, lead_id, (pending, reached), by, reached_at)
        if roll < PENDING_SHARE:  # reopened
            updated = min(reached_at + rng.uniform(1, 14) * 86400, now)
            history.add_change(ids, lead_id, (reached, pending), by, updated)
        history.statuses.append(pending if roll < PENDING_SHARE else reached)
        history.reached_at.append(reached_at)
        history.reached_by.append(by)
        history.updated.append(updated)
    return history


UUID4_MASK = ~((0xF000 << 64) | (0xC000 << 48)) & (2**128 - 1)
UUID4_BITS = (0x4000 << 64) | (0x8000 << 48)


def uuid4_hex(source: random.Random) -> str:
    """A random (version 4) UUID as 32 hex digits, which PostgreSQL and Django both read."""
    return f"{source.getrandbits(128) & UUID4_MASK | UUID4_BITS:032x}"


class TimeText:
    """Epoch seconds as timestamptz text ("2025-03-01 09:30:12+00"), a table look-up each."""

    def __init__(self):
        self.days: dict[int, str] = {}
        self.clock = [f"{h:02d}:{m:02d}:{s:02d}+00" for h in range(24) for m in range(60) for s in range(60)]

    def many(self, moments) -> list[str]:
        """Each moment as text; None as NULL."""
        days, clock = self.days, self.clock
        texts = []
        for moment in moments:
            if moment is None:
                texts.append(NULL)
                continue
            day, second = divmod(int(moment), 86400)
            texts.append(f"{days.get(day) or self.day(day)}{clock[second]}")
        return texts

    def day(self, number: int) -> str:
        text = self.days[number] = datetime.fromtimestamp(number * 86400, UTC).strftime("%Y-%m-%d ")
        return text


def to_copy_text(text: str) -> str:
    """Free text in COPY's text format: backslashes, tabs and line breaks escaped."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


COPY_ESCAPES = re.compile(r"\\(.)")
UNESCAPED = {"n": "\n", "t": "\t", "\\": "\\"}


def from_copy_text(value: str) -> str:
    """A value of COPY's text format as the text itself (for bulk_create, elsewhere)."""
    return COPY_ESCAPES.sub(lambda match: UNESCAPED.get(match[1], match[1]), value)


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
