import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, SearchVectorField
from django.db import connection, connections, models, transaction
from django.db.models import Count, F, Q, Value
from django.db.models.functions import Coalesce, Extract, Lower, TruncWeek
from django.utils import timezone

from .validators import validate_plain_text

RESUME_EXTENSIONS = {".pdf", ".doc", ".docx"}


def resume_upload_to(instance: "Lead", filename: str) -> str:
    """A random name under resumes/; only a known extension survives from `filename`."""
    suffix = Path(filename).suffix.lower()
    return f"resumes/{uuid.uuid4().hex}{suffix if suffix in RESUME_EXTENSIONS else ''}"


# Resumes are searched with English stemming ("patents" finds "patent", "drafted" finds
# "drafting"); stop words are left out of the index. See docs/performance.md.
SEARCH_CONFIG = "english"
# Ranking reads every matching row's vector: past this many matches, newest first instead.
RANK_LIMIT = 1_000


def search_document():
    """Everything searchable of a lead as one text expression: its resume's text (the place
    to add its resubmissions' texts, so one vector covers every resume of the lead)."""
    return F("resume_text")


class Median(models.Aggregate):
    """PostgreSQL's exact median (percentile_cont) of a numeric expression."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = models.FloatField()


def resume_query(query: str) -> SearchQuery:
    """`query` as PostgreSQL's websearch_to_tsquery in SEARCH_CONFIG."""
    return SearchQuery(query, config=SEARCH_CONFIG, search_type="websearch")


class LeadQuerySet(models.QuerySet):
    """The lead repository: every named read and every status transition."""

    def by_email(self, email: str) -> "Lead | None":
        """The lead with this email in any letter case, or None."""
        # lower(email) = lower(%s) is served by the unique index lead_email_ci_unique;
        # email__iexact would compile to UPPER(…) and scan the table on PostgreSQL. Both
        # sides are lowered by the database, as the index is: Python's str.lower() differs
        # from SQLite's ASCII-only lower() for "jane@Éxample.com", and a duplicate that
        # this check misses would reach the constraint as an unexplained IntegrityError.
        return (
            self.alias(email_lower=Lower("email"))
            .filter(email_lower=Lower(Value(email.strip(), output_field=models.CharField())))
            .first()
        )

    def with_status(self, status: str) -> "LeadQuerySet":
        """Leads in this status."""
        return self.filter(status=status)

    def search(self, query: str) -> "LeadQuerySet":
        """Leads whose first name, last name or email contains `query`, any letter case."""
        query = query.strip()
        if not query:
            return self
        return self.filter(
            Q(first_name__icontains=query) | Q(last_name__icontains=query) | Q(email__icontains=query)
        )

    def search_resumes(self, query: str) -> "LeadQuerySet":
        """Leads whose resume text matches `query`: PostgreSQL full-text search in websearch
        syntax (`"machine learning" -intern`) on lead_search_vector_gin; elsewhere contains."""
        query = query.strip()
        if not query:
            return self
        if connections[self.db].vendor == "postgresql":
            return self.filter(search_vector=resume_query(query))
        return self.alias(document=search_document()).filter(document__icontains=query)

    def order_by_resume_rank(self, query: str) -> "LeadQuerySet":
        """This queryset (already `search_resumes(query)`), best match first (ts_rank, then
        newest) when at most RANK_LIMIT leads match; newest first past that, and elsewhere."""
        if connections[self.db].vendor != "postgresql" or not query.strip():
            return self.newest_first()
        # One bounded query: ranking reads every match's vector, this reads RANK_LIMIT + 1 at most.
        if self.order_by()[: RANK_LIMIT + 1].count() > RANK_LIMIT:
            return self.newest_first()
        # alias, not annotate: the paginator's count then leaves the rank out.
        return self.alias(rank=SearchRank(F("search_vector"), resume_query(query))).order_by(
            "-rank", "-created_at", "-id"
        )

    def for_lists(self) -> "LeadQuerySet":
        """Without the resume text and search vector, which no list shows (kilobytes a row)."""
        return self.defer("resume_text", "search_vector")

    def text_not_extracted(self) -> "LeadQuerySet":
        """Leads whose resume text the worker has not read yet."""
        return self.filter(resume_text_state=Lead.TextState.PENDING)

    def store_resume_text(self, *, text: str, note: str = "") -> str:
        """Save the extracted text (EMPTY when blank) and rebuild the search vector; returns
        the state written."""
        state = Lead.TextState.READ if text.strip() else Lead.TextState.EMPTY
        with transaction.atomic(using=self.db):
            self.update(resume_text=text, resume_text_state=state, resume_text_note=note[:100])
            self.refresh_search_vectors()
        return state

    def refresh_search_vectors(self) -> int:
        """Rebuild search_vector from search_document() (PostgreSQL; elsewhere nothing to do)."""
        if connections[self.db].vendor != "postgresql":
            return 0
        return self.update(search_vector=SearchVector(search_document(), config=SEARCH_CONFIG))

    def newest_first(self) -> "LeadQuerySet":
        """Newest first, id as tiebreaker so pages are stable (index lead_created_idx)."""
        return self.order_by("-created_at", "-id")

    def recent(self, n: int = 10) -> "LeadQuerySet":
        """The n newest leads."""
        return self.newest_first()[:n]

    def count_by_status(self) -> dict[str, int]:
        """Leads per status, every status present (zeros included), in one query."""
        counts = self.aggregate(
            **{status: Count("pk", filter=Q(status=status)) for status in Lead.Status.values}
        )
        return {status: counts[status] or 0 for status in Lead.Status.values}

    def created_before(self, moment) -> "LeadQuerySet":
        """Leads submitted before `moment` (index lead_created_idx)."""
        return self.filter(created_at__lt=moment)

    def pending_older_than(self, age: timedelta) -> "LeadQuerySet":
        """PENDING leads submitted more than `age` ago (index lead_status_created_idx)."""
        return self.with_status(Lead.Status.PENDING).filter(created_at__lt=timezone.now() - age)

    def count_per_week(self, weeks: int) -> list[tuple[date, int]]:
        """Leads created in each of the last `weeks` weeks (Monday first, local time, this
        week included), oldest first, empty weeks as 0; one query over lead_created_idx."""
        today = timezone.localdate()
        first = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
        since = timezone.make_aware(datetime.combine(first, datetime.min.time()))
        rows = (
            self.filter(created_at__gte=since)
            .annotate(week=TruncWeek("created_at"))
            .values("week")
            .annotate(n=Count("pk"))
            .order_by("week")
        )
        counts = {timezone.localtime(row["week"]).date(): row["n"] for row in rows}
        return [(first + timedelta(weeks=i), counts.get(first + timedelta(weeks=i), 0)) for i in range(weeks)]

    def median_seconds_to_reach_out(self) -> float | None:
        """Median seconds from submission to first reach-out, None when nobody was reached."""
        reached = self.filter(reached_out_at__isnull=False)
        if connection.vendor == "postgresql":
            seconds = reached.aggregate(
                median=Median(Extract(F("reached_out_at") - F("created_at"), "epoch"))
            )["median"]
            return None if seconds is None else float(seconds)
        # Elsewhere: the middle one or two durations, in two queries.
        total = reached.count()
        if total == 0:
            return None
        middle = (
            reached.annotate(waited=F("reached_out_at") - F("created_at"))
            .order_by("waited")
            .values_list("waited", flat=True)[(total - 1) // 2 : total // 2 + 1]
        )
        waits = [w.total_seconds() for w in middle]
        return sum(waits) / len(waits)

    def page(self, number: int = 1, size: int = 20) -> tuple[list["Lead"], int]:
        """One page (1-based) of this queryset, newest first unless ordered, and the total."""
        number, size = max(int(number), 1), max(int(size), 1)
        ordered = self if self.query.order_by else self.newest_first()
        start = (number - 1) * size
        return list(ordered.select_related("reached_out_by")[start : start + size]), self.count()

    def mark_all_reached_out(self, *, by) -> int:
        """PENDING -> REACHED_OUT for this queryset, one StatusChange row each; O(1) queries.

        Returns how many leads changed. The first reach-out's time and attorney are kept.
        """
        return self._move_all(from_status=Lead.Status.PENDING, to_status=Lead.Status.REACHED_OUT, by=by)

    def mark_all_pending(self, *, by) -> int:
        """REACHED_OUT -> PENDING (reopen), one StatusChange row each; O(1) queries."""
        return self._move_all(from_status=Lead.Status.REACHED_OUT, to_status=Lead.Status.PENDING, by=by)

    def _move_all(self, *, from_status: str, to_status: str, by) -> int:
        with transaction.atomic():
            # Lock the rows still in from_status: of two attorneys racing, the second waits,
            # then PostgreSQL re-checks the status and hands it nothing to change.
            ids = list(
                self.model.objects.filter(pk__in=self.values("pk"), status=from_status)
                .select_for_update()
                .values_list("pk", flat=True)
            )
            if not ids:
                return 0
            now = timezone.now()
            changes = {"status": to_status, "updated_at": now}
            if to_status == Lead.Status.REACHED_OUT:
                changes["reached_out_at"] = Coalesce("reached_out_at", now)
                changes["reached_out_by"] = Coalesce("reached_out_by", by.pk if by else None)
            changed = self.model.objects.filter(pk__in=ids, status=from_status).update(**changes)
            StatusChange.objects.bulk_create(
                StatusChange(
                    lead_id=pk, from_status=from_status, to_status=to_status, changed_by=by, changed_at=now
                )
                for pk in ids
            )
            return changed


class LeadManager(models.Manager.from_queryset(LeadQuerySet)):
    def mark_reached_out(self, lead: "Lead", *, by) -> "Lead":
        """Reach out to one lead (idempotent); refreshes `lead` from the row."""
        self.filter(pk=lead.pk).mark_all_reached_out(by=by)
        lead.refresh_from_db(fields=["status", "reached_out_at", "reached_out_by", "updated_at"])
        return lead

    def mark_pending(self, lead: "Lead", *, by) -> "Lead":
        """Put one lead back to PENDING (idempotent); its first reach-out stays recorded."""
        self.filter(pk=lead.pk).mark_all_pending(by=by)
        lead.refresh_from_db(fields=["status", "updated_at"])
        return lead


class Lead(models.Model):
    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        REACHED_OUT = "REACHED_OUT", "Reached out"

    class TextState(models.TextChoices):
        PENDING = "PENDING", "Text not extracted yet"
        READ = "READ", "Text extracted"
        EMPTY = "EMPTY", "No text could be read"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    first_name = models.CharField(max_length=100, validators=[validate_plain_text])
    last_name = models.CharField(max_length=100, validators=[validate_plain_text])
    email = models.EmailField(max_length=255)
    resume = models.FileField(upload_to=resume_upload_to, max_length=255)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    reached_out_at = models.DateTimeField(null=True, blank=True, editable=False)
    reached_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    source = models.CharField(max_length=100, blank=True, default="")
    referrer = models.CharField(max_length=500, blank=True, default="")
    # Written by the worker (leads.resume_text), never by a form: the resume's text, bounded
    # in pages and characters; whether it was read; why not, in a few words of our own.
    # Database defaults too, so a bulk load (COPY) that leaves them out still works.
    resume_text = models.TextField(blank=True, default="", db_default="", editable=False)
    resume_text_state = models.CharField(
        max_length=10,
        choices=TextState.choices,
        default=TextState.PENDING,
        db_default=TextState.PENDING,
        editable=False,
    )
    resume_text_note = models.CharField(max_length=100, blank=True, default="", db_default="", editable=False)
    # PostgreSQL full-text search over search_document(); GIN index lead_search_vector_gin.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = LeadManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="lead_email_ci_unique",
                violation_error_message="A lead with this email already exists.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["PENDING", "REACHED_OUT"]), name="lead_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["status"], name="lead_status_idx"),
            # Newest-first lists, filtered by status or not (scanned backwards for DESC).
            models.Index(fields=["created_at", "id"], name="lead_created_idx"),
            models.Index(fields=["status", "created_at", "id"], name="lead_status_created_idx"),
            # The API's ordering=last_name / -last_name (ties by creation time, same direction).
            models.Index(fields=["last_name", "created_at", "id"], name="lead_last_name_idx"),
            # The dashboard's median over leads reached out in the last quarter.
            models.Index(
                fields=["reached_out_at"],
                name="lead_reached_out_idx",
                condition=Q(reached_out_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} <{self.email}>"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_reached_out(self) -> bool:
        return self.status == self.Status.REACHED_OUT


class StatusChange(models.Model):
    """One status change of a lead: who moved it, when, from what, to what."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=Lead.Status.choices)
    to_status = models.CharField(max_length=20, choices=Lead.Status.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [models.Index(fields=["lead", "changed_at"], name="statuschange_lead_idx")]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"
