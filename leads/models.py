import uuid
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import phonenumbers
from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.db import connections, models, transaction
from django.db.models import Count, Exists, F, Func, OuterRef, Q, StringAgg, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Extract
from django.db.models.lookups import IContains
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from .addresses import AddressQuerySet
from .business_time import add_business_days
from .counting import CountingQuerySet
from .recipients import url_host
from .validators import (
    PHONE_MAX_CHARS,
    REFERRER_MAX_CHARS,
    SOURCE_MAX_CHARS,
    email_key,
    validate_email_address,
    validate_name,
    validate_plain_text,
)

RESUME_EXTENSIONS = {".pdf", ".doc", ".docx"}
OUTCOME_REASON_MAX_CHARS = 500
REFERRED_TO_MAX_CHARS = 200
# Every upload (a lead's, a resubmission's, a trapped submission's) is stored in this folder
# under a random name of its own. Files under SHARED_RESUME_PREFIX (seed_leads' sample
# resume) are shared by many leads and stay while any lead points at them.
RESUME_FOLDER = "resumes"
SHARED_RESUME_PREFIX = "seed/"


def resume_upload_to(instance: "Lead", filename: str) -> str:
    """A random name under RESUME_FOLDER; only a known extension survives from `filename`."""
    suffix = Path(filename).suffix.lower()
    return f"{RESUME_FOLDER}/{uuid.uuid4().hex}{suffix if suffix in RESUME_EXTENSIONS else ''}"


# Resumes are searched with English stemming ("patents" finds "patent", "drafted" finds
# "drafting"); stop words are left out of the index. Why English and not `simple`:
# docs/performance-history.md, "Resume text and search".
SEARCH_CONFIG = "english"
# Ranking reads every matching row's vector: past this many matches, newest first instead.
RANK_LIMIT = 1_000


def search_document():
    """Everything searchable of a lead as one text expression: its first resume's text and
    every resubmission's, so one vector (and SQLite's contains match) covers all its resumes."""
    text = models.TextField()
    resubmitted = (
        Resubmission.objects.filter(lead=OuterRef("pk"))
        .values("lead")
        .annotate(texts=StringAgg("resume_text", delimiter=Value("\n\n"), output_field=text))
        .values("texts")
    )
    # Concat would wrap each part in COALESCE(part, '') typed as a CharField, which Django
    # refuses beside a TextField: the same SQL (||, alike on both databases) by hand.
    return Func(
        F("resume_text"),
        Value("\n\n", output_field=text),
        Coalesce(Subquery(resubmitted, output_field=text), Value("", output_field=text)),
        template="(%(expressions)s)",
        arg_joiner=" || ",
        output_field=text,
    )


def count_per_status() -> dict[str, Count]:
    """One COUNT per status, for an aggregate (count_by_status; the stats, beside their other
    figures in the same pass)."""
    return {status: Count("pk", filter=Q(status=status)) for status in Lead.Status.values}


def is_pending_older_than(age: timedelta) -> Q:
    """Leads still PENDING `age` after they came in (index lead_status_created_idx)."""
    return Q(status=Lead.Status.PENDING, created_at__lt=timezone.now() - age)


def wait_seconds() -> Extract:
    """Seconds from submission to first reach-out."""
    return Extract(F("reached_out_at") - F("created_at"), "epoch")


def stale_reminder_at(moment):
    """When a reached-out lead quiet since `moment` is due for its reminder (None: speed to
    lead is off)."""
    if not settings.LEAD_RESPONSE_TARGET_MINUTES:
        return None
    return add_business_days(moment, settings.LEAD_STALE_DAYS)


def resume_query(query: str) -> SearchQuery:
    """`query` as PostgreSQL's websearch_to_tsquery in SEARCH_CONFIG."""
    return SearchQuery(query, config=SEARCH_CONFIG, search_type="websearch")


def contains_match(query: str) -> Q:
    """The lead's own searched texts containing `query`, any letter case: the names, the
    email and the intake answers' text (trigram indexes lead_*_trgm answer each as a bitmap,
    ORed)."""
    return (
        Q(first_name__icontains=query)
        | Q(last_name__icontains=query)
        | Q(email__icontains=query)
        | Q(answers_text__icontains=query)
    )


def resume_match(query: str, using: str) -> Q:
    """The resume text matching `query`: PostgreSQL full-text search in websearch syntax on
    lead_search_vector_gin; elsewhere the text contains it."""
    if connections[using].vendor == "postgresql":
        return Q(search_vector=resume_query(query))
    return Q(IContains(search_document(), query))


def looks_like_an_address(text: str) -> bool:
    """Whether `text` (stripped) could be a whole email address: one word, something before
    an @ and a dotted domain after it. Only then is the exact probe worth a query part."""
    local, at, domain = text.rpartition("@")
    return bool(at and local and "." in domain.strip(".") and not any(char.isspace() for char in text))


def address_first(query: str, otherwise: Q, *, within: models.QuerySet | None = None) -> Q:
    """`otherwise` (the contains search), or for what looks like a whole address the lead under
    that address, exactly, and `otherwise` only when no lead has it.

    One condition, so a list keeps its one query: `id IN (<the probe> UNION ALL <otherwise,
    behind NOT EXISTS(the probe)>)`. PostgreSQL plans the NOT EXISTS as a one-time filter, so
    when the probe finds the lead the trigram scans never run (at a million leads they read
    the posting lists of an address's common trigrams, "exa", "ple", "com": ~100 ms); the page
    and its bounded count read one row by its key. An address contained in a longer one
    (ann@example.com in joann@example.com) is then found only when nobody has it exactly.
    (`email_key = k OR (NOT EXISTS(...) AND <contains>)` would still run the trigram scans, as
    measured: a bitmap index scan inside an OR is not skipped by a parameter.)"""
    if not looks_like_an_address(query):
        return otherwise
    # The probe looks within the list as filtered so far (`within`): a lead under the address
    # that the list's other filters leave out does not hide the leads the list can show.
    rows = Lead._base_manager.all() if within is None else within.order_by()
    probe = rows.filter(LeadQuerySet.address_match(query))
    exact = probe.values("pk")
    fallback = Lead._base_manager.filter(~models.Exists(probe), otherwise).values("pk")
    return Q(pk__in=exact.union(fallback, all=True))


# Between an address's key and a lead's id in the key of a lead set aside by migration 0022
# (Lead.email_key): no normalised address holds one after its @, so no address matches it.
SET_ASIDE_MARK = "#"
EMAIL_KEY_UNIQUE = "lead_email_key_unique"


class JSONObjectAgg(models.Aggregate):
    """{key: value, ...} of a group's rows: jsonb_object_agg on PostgreSQL, json_group_object
    on SQLite (the value read as JSON there, not as its text)."""

    function = "JSONB_OBJECT_AGG"
    output_field = models.JSONField()

    def as_sqlite(self, compiler, connection, **extra):
        key_expression, value_expression = self.source_expressions
        key, key_params = compiler.compile(key_expression)
        value, value_params = compiler.compile(value_expression)
        return f"JSON_GROUP_OBJECT({key}, JSON({value}))", (*key_params, *value_params)


class LeadQuerySet(AddressQuerySet, CountingQuerySet):
    """The lead repository: every named read and every status and assignment transition."""

    def by_email(self, email: str) -> "Lead | None":
        """The lead with this email however it is spelt (with_address), or None; one probe of
        the unique index lead_email_key_unique."""
        return self.with_address(email).first()

    def set_aside_under(self, email: str) -> "LeadQuerySet":
        """Leads that migration 0022 found under this address beside an older lead: kept whole,
        with the key set aside as "<key>#<their id>" (SET_ASIDE_MARK). A scan, not a probe:
        only erasure asks, since no submission can reach them."""
        if not (key := email_key(email)):
            return self.none()
        return self.filter(email_key__startswith=f"{key}{SET_ASIDE_MARK}")

    def with_status(self, status: str) -> "LeadQuerySet":
        """Leads in this status."""
        return self.filter(status=status)

    def open_leads(self) -> "LeadQuerySet":
        """Leads still open: PENDING or REACHED_OUT (index lead_status_created_idx)."""
        return self.filter(status__in=OPEN_STATUSES)

    def closed_leads(self) -> "LeadQuerySet":
        """Leads closed with an outcome (index lead_status_created_idx)."""
        return self.filter(status__in=CLOSED_STATUSES)

    def search(self, query: str) -> "LeadQuerySet":
        """Leads whose first name, last name or email contains `query`, any letter case.

        What looks like a whole address (looks_like_an_address) is first looked up by its key,
        one probe of lead_email_key_unique, however it is spelt; the contains search runs only
        when that finds no lead, gated in the same statement (see address_first)."""
        query = query.strip()
        if not query:
            return self
        return self.filter(address_first(query, contains_match(query), within=self))

    def search_names_or_resumes(self, words: list[str], *, resume_words: str) -> "LeadQuerySet":
        """The admin's search: leads whose names or email contain every one of `words` (as
        search() reads each), or whose resume matches `resume_words` (search_resumes()). What
        looks like a whole address is looked up by its key first; the rest runs only when
        no lead has it (address_first), the resume's full-text match included."""
        if not resume_words.strip():
            return self
        names = Q()
        for word in words:
            names &= contains_match(word.strip()) if word.strip() else Q()
        if not names:  # only empty words (`""`): every lead's names match them, as search("") does
            return self
        text = resume_words.strip()
        return self.filter(address_first(text, names | resume_match(text, self.db), within=self))

    def refresh_answers_text(self) -> int:
        """Each lead's answers_text from its Answer rows (its own and its resubmissions'):
        one UPDATE."""
        texts = (
            Answer.objects.filter(lead=OuterRef("pk"))
            .order_by()
            .values("lead")
            .annotate(all=StringAgg("text", delimiter=Value("\n")))
            .values("all")
        )
        return self.update(answers_text=Coalesce(Subquery(texts, output_field=models.TextField()), Value("")))

    def in_practice_area(self, slug: str) -> "LeadQuerySet":
        """Leads of the practice area with this slug; "none": leads without one."""
        if slug == "none":
            return self.filter(practice_area__isnull=True)
        return self.filter(practice_area__slug=slug)

    def search_resumes(self, query: str) -> "LeadQuerySet":
        """Leads whose resume text matches `query`: PostgreSQL full-text search in websearch
        syntax (`"machine learning" -intern`) on lead_search_vector_gin; elsewhere contains."""
        query = query.strip()
        if not query:
            return self
        return self.filter(resume_match(query, self.db))

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

    def assigned_to_user(self, user) -> "LeadQuerySet":
        """Leads assigned to `user`; None: leads assigned to nobody (index lead_assigned_idx)."""
        return self.filter(assigned_to=user)

    def newest_first(self) -> "LeadQuerySet":
        """Newest first, id as tiebreaker so pages are stable (index lead_created_idx)."""
        return self.order_by("-created_at", "-id")

    def recent(self, n: int = 10) -> "LeadQuerySet":
        """The n newest leads."""
        return self.newest_first()[:n]

    def count_by_status(self) -> dict[str, int]:
        """Leads per status, every status present (zeros included), in one query."""
        counts = self.aggregate(**count_per_status())
        return {status: counts[status] or 0 for status in Lead.Status.values}

    def created_before(self, moment) -> "LeadQuerySet":
        """Leads submitted before `moment` (index lead_created_idx)."""
        return self.filter(created_at__lt=moment)

    def as_in_the_api(self) -> "LeadQuerySet":
        """Leads with what the API's lead JSON shows (users joined, resubmissions counted),
        without the resume text no list shows."""
        return (
            self.for_lists()
            .select_related("reached_out_by", "assigned_to", "closed_by", "practice_area")
            .with_answers_by_key()
            .with_resubmission_count()
        )

    def with_answers_by_key(self) -> "LeadQuerySet":
        """Each lead with `answers_by_key`, its own answers as one JSON object (null: none), a
        subquery per row returned over answer_lead_idx: no query more for a page."""
        per_lead = (
            Answer.objects.filter(lead=OuterRef("pk"), resubmission__isnull=True)
            .order_by()
            .values("lead")
            .annotate(by_key=JSONObjectAgg("key", "value"))
            .values("by_key")
        )
        return self.annotate(answers_by_key=Subquery(per_lead, output_field=models.JSONField()))

    def with_resubmission_count(self) -> "LeadQuerySet":
        """Each lead with `resubmission_count`: a subquery per row returned (index
        resubmission_lead_idx), so a page costs no GROUP BY over the whole list."""
        per_lead = (
            Resubmission.objects.filter(lead=OuterRef("pk"))
            .order_by()
            .values("lead")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(resubmission_count=Coalesce(Subquery(per_lead), 0))

    def pending_older_than(self, age: timedelta) -> "LeadQuerySet":
        """PENDING leads submitted more than `age` ago (index lead_status_created_idx)."""
        return self.filter(is_pending_older_than(age))

    def assign_all(self, to, *, by) -> list[tuple]:
        """Assign every lead of this queryset not yet assigned to `to` (None: nobody) to it,
        one AssignmentChange row each, in one transaction and O(1) queries; returns
        (id, previous assignee id) of the leads that changed."""
        with transaction.atomic():
            # Locked: of two attorneys assigning at once the second waits, then PostgreSQL
            # re-checks the row and sees the first one's assignee as the previous one.
            changed = list(
                self.model.objects.filter(pk__in=self.values("pk"))
                .exclude(assigned_to=to)
                .select_for_update()
                .values_list("pk", "assigned_to")
            )
            if not changed:
                return []
            now = timezone.now()
            self.model.objects.filter(pk__in=[pk for pk, _ in changed]).update(assigned_to=to, updated_at=now)
            AssignmentChange.objects.bulk_create(
                AssignmentChange(lead_id=pk, from_user_id=previous, to_user=to, changed_by=by, changed_at=now)
                for pk, previous in changed
            )
            return changed

    def mark_all_reached_out(self, *, by) -> int:
        """PENDING -> REACHED_OUT for this queryset, one StatusChange row each; O(1) queries.

        Returns how many leads changed. The first reach-out's time and attorney are kept.
        """
        return len(self.move_to(Lead.Status.REACHED_OUT, by=by))

    def mark_all_pending(self, *, by) -> int:
        """REACHED_OUT -> PENDING (reopen), one StatusChange row each; O(1) queries."""
        return len(self.move_to(Lead.Status.PENDING, by=by))

    def schedule_stale_reminder(self) -> int:
        """The reached-out leads of this queryset: their quiet-lead reminder due
        LEAD_STALE_DAYS business days from now (a note or a status change restarts it)."""
        return self.filter(status=Lead.Status.REACHED_OUT).update(
            next_follow_up_at=stale_reminder_at(timezone.now())
        )

    def overdue(self, now=None) -> "LeadQuerySet":
        """PENDING leads past their response_due_at (partial index lead_overdue_idx)."""
        return self.filter(status=Lead.Status.PENDING, response_due_at__lt=now or timezone.now())

    def move_to(self, status: str, *, by) -> list:
        """Move every lead of this queryset not yet in `status` there, one StatusChange row
        each, in one transaction and O(1) queries; returns the ids that changed.

        Moving to REACHED_OUT sets reached_out_at/by the first time only.
        """
        from_status = {
            Lead.Status.REACHED_OUT: Lead.Status.PENDING,
            Lead.Status.PENDING: Lead.Status.REACHED_OUT,
        }[status]
        with transaction.atomic():
            # Lock the rows still in from_status: of two attorneys racing, the second waits,
            # then PostgreSQL re-checks the status and hands it nothing to change.
            ids = list(
                self.model.objects.filter(pk__in=self.values("pk"), status=from_status)
                .select_for_update()
                .values_list("pk", flat=True)
            )
            if not ids:
                return []
            now = timezone.now()
            changes = {"status": status, "updated_at": now}
            if status == Lead.Status.REACHED_OUT:
                changes["reached_out_at"] = Coalesce("reached_out_at", now)
                changes["reached_out_by"] = Coalesce("reached_out_by", by.pk if by else None)
                # Speed to lead: no escalation any more; a reminder if it goes quiet.
                changes["next_follow_up_at"] = stale_reminder_at(now)
            elif status == Lead.Status.PENDING:
                # Reopened: the worker looks again now (an escalation already sent is not repeated).
                changes["next_follow_up_at"] = now if settings.LEAD_RESPONSE_TARGET_MINUTES else None
            self.model.objects.filter(pk__in=ids, status=from_status).update(**changes)
            StatusChange.objects.bulk_create(
                StatusChange(
                    lead_id=pk, from_status=from_status, to_status=status, changed_by=by, changed_at=now
                )
                for pk in ids
            )
            return ids

    def in_language(self, language: str) -> "LeadQuerySet":
        """Leads whose prospect speaks `language` (index lead_language_idx, newest first)."""
        return self.filter(language=language)

    def close_all(self, outcome: str, *, by, reason: str = "", referred_to: str = "") -> list:
        """Close every open lead of this queryset with `outcome` (a closing status), keeping the
        open status each had for reopening, one StatusChange row each (with the reason), in one
        transaction and O(1) queries; returns the ids that changed. Leads already closed are
        left as they are: of two attorneys closing at once, one wins."""
        with transaction.atomic():
            # Locked while still open: the second of two racing closings waits, then
            # PostgreSQL re-checks the status and hands it nothing to close.
            rows = list(
                self.model.objects.filter(pk__in=self.values("pk"), status__in=OPEN_STATUSES)
                .select_for_update()
                .values_list("pk", "status")
            )
            if not rows:
                return []
            now = timezone.now()
            ids = [pk for pk, _ in rows]
            self.model.objects.filter(pk__in=ids, status__in=OPEN_STATUSES).update(
                status_before_close=F("status"),
                status=outcome,
                closed_at=now,
                closed_by=by,
                outcome_reason=reason,
                referred_to=referred_to,
                updated_at=now,
            )
            StatusChange.objects.bulk_create(
                StatusChange(
                    lead_id=pk,
                    from_status=before,
                    to_status=outcome,
                    changed_by=by,
                    changed_at=now,
                    reason=reason,
                    referred_to=referred_to,
                )
                for pk, before in rows
            )
            return ids

    def reopen_all(self, *, by) -> list:
        """Return every closed lead of this queryset to the open status it had before closing
        (PENDING when unknown), clearing its outcome, one StatusChange row each; O(1) queries;
        returns the ids that changed."""
        with transaction.atomic():
            rows = list(
                self.model.objects.filter(pk__in=self.values("pk"), status__in=CLOSED_STATUSES)
                .select_for_update()
                .values_list("pk", "status", "status_before_close")
            )
            if not rows:
                return []
            now = timezone.now()
            back = {pk: before if before in OPEN_STATUSES else Lead.Status.PENDING for pk, _, before in rows}
            for status in set(back.values()):
                self.model.objects.filter(
                    pk__in=[pk for pk, to in back.items() if to == status], status__in=CLOSED_STATUSES
                ).update(
                    status=status,
                    status_before_close="",
                    closed_at=None,
                    closed_by=None,
                    outcome_reason="",
                    referred_to="",
                    updated_at=now,
                )
            StatusChange.objects.bulk_create(
                StatusChange(lead_id=pk, from_status=was, to_status=back[pk], changed_by=by, changed_at=now)
                for pk, was, _ in rows
            )
            return [pk for pk, _, _ in rows]


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


class KeptLeadManager(LeadManager):
    """Lead.objects: every lead not in the trash. The one default that keeps trashed leads out
    of every list, search, count, report, export and API answer."""

    def get_queryset(self) -> LeadQuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class TrashedLeadManager(LeadManager):
    """Lead.trash: the leads in the trash only."""

    def get_queryset(self) -> LeadQuerySet:
        return super().get_queryset().filter(deleted_at__isnull=False)


class Lead(models.Model):
    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        REACHED_OUT = "REACHED_OUT", "Reached out"
        # The outcomes: a lead in one of these is closed (CLOSED_STATUSES).
        RETAINED = "RETAINED", "Retained"
        DECLINED = "DECLINED", "Declined"
        REFERRED = "REFERRED", "Referred out"
        NO_RESPONSE = "NO_RESPONSE", "No response"

    class TextState(models.TextChoices):
        PENDING = "PENDING", "Text not extracted yet"
        READ = "READ", "Text extracted"
        EMPTY = "EMPTY", "No text could be read"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The one rule for names: the intake form, the API and the admin all take their length
    # and validators from these two fields.
    first_name = models.CharField(max_length=100, validators=[validate_name])
    last_name = models.CharField(max_length=100, validators=[validate_name])
    # The one rule for addresses too (beside Django's EmailValidator): no control or invisible
    # character, and a domain that sending can encode.
    email = models.EmailField(max_length=255, validators=[validate_email_address])
    # `email` as it is compared (validators.email_key), written with it by every path that writes
    # one: lead_email_key_unique makes one mailbox one lead, however its address is spelt.
    email_key = models.TextField(editable=False)
    # Every address the lead had before an attorney corrected it (services.update_lead), oldest
    # first: erasure and deletion clear the queued work that mentions any of them. Kept on the
    # row, so it goes with the lead; a database default too, for bulk loads (COPY).
    former_emails = models.JSONField(default=list, db_default=[], blank=True, editable=False)
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
    source = models.CharField(
        max_length=SOURCE_MAX_CHARS, blank=True, default="", validators=[validate_plain_text]
    )
    referrer = models.CharField(
        max_length=REFERRER_MAX_CHARS, blank=True, default="", validators=[validate_plain_text]
    )
    # One active attorney or nobody; changed only through services.assign_leads.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_leads",
        editable=False,
    )
    # Written by the worker (leads.worker.resume_text), never by a form: the resume's text, bounded
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
    # The prospect's language (one of INTAKE_LANGUAGES): the form's, or the API caller's;
    # every later email to the prospect speaks it. "en" for leads from before languages; a
    # database default too, for bulk loads (COPY).
    language = models.CharField(max_length=10, default="en", db_default="en", editable=False)
    # The integration (API user) that created the lead; null for the public form. The
    # timeline's `submitted` event names it.
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submitted_leads",
        editable=False,
    )
    # Speed to lead (leads.worker.followups): when a response is due, LEAD_RESPONSE_TARGET_MINUTES
    # business minutes after creation (null: no target); kept once reached out, so the
    # dashboard can tell a response in time from a late one (the JSON shows null then).
    response_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the worker next looks at this lead for a step (escalation, reminder); null: never.
    # Only leads with a step ahead are in its partial index, so the look costs one probe.
    next_follow_up_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The outcome (a closing status): when, by whom, why, to whom it was referred; and the
    # open status it had, which reopening returns it to. Written only by close_all/reopen_all.
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    outcome_reason = models.CharField(
        max_length=OUTCOME_REASON_MAX_CHARS, blank=True, default="", db_default="", editable=False
    )
    referred_to = models.CharField(
        max_length=REFERRED_TO_MAX_CHARS, blank=True, default="", db_default="", editable=False
    )
    status_before_close = models.CharField(
        max_length=20, blank=True, default="", db_default="", editable=False
    )
    # In the trash since (null: not trashed), and who put it there; erased LEAD_TRASH_DAYS later.
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # What the prospect needs (issue 25). PROTECT: an area that leads name is deactivated,
    # never deleted, so reports by area (conversion, speed to lead) never lose their leads.
    practice_area = models.ForeignKey(
        "PracticeArea",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
        editable=False,
        db_index=False,  # lead_practice_area_idx leads with it
    )
    # Every intake answer's text of the lead's, its resubmissions' too, one a line: what the
    # admin search and the API's `search` read of the answers (trigram index
    # lead_answers_text_trgm), kept by refresh_answers_text where answers are written.
    answers_text = models.TextField(blank=True, default="", db_default="", editable=False)

    # The default manager leaves the trash out; `trash` is the trash; `all_objects` both, for
    # erasure, retention and the checks that must see every row.
    objects = KeptLeadManager()
    trash = TrashedLeadManager()
    all_objects = LeadManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # What every interface says of a duplicate is this message (Lead.email_taken()).
            models.UniqueConstraint(
                fields=["email_key"],
                name=EMAIL_KEY_UNIQUE,
                violation_error_message="A lead with this email already exists.",
                violation_error_code="duplicate",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["PENDING", "REACHED_OUT", "RETAINED", "DECLINED", "REFERRED", "NO_RESPONSE"]
                ),
                name="lead_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["status"], name="lead_status_idx"),
            # Newest-first lists, filtered by status or not (scanned backwards for DESC).
            models.Index(fields=["created_at", "id"], name="lead_created_idx"),
            models.Index(fields=["status", "created_at", "id"], name="lead_status_created_idx"),
            # The API's ordering=last_name / -last_name (ties by creation time, same direction).
            models.Index(fields=["last_name", "created_at", "id"], name="lead_last_name_idx"),
            # The "mine" / "assigned to" lists, newest first.
            models.Index(fields=["assigned_to", "created_at", "id"], name="lead_assigned_idx"),
            # Round-robin's count of each attorney's PENDING leads (an index-only scan).
            models.Index(
                fields=["assigned_to"],
                name="lead_pending_assigned_idx",
                condition=Q(status="PENDING", assigned_to__isnull=False),
            ),
            # The trash, oldest first (its list, the purge of those past LEAD_TRASH_DAYS).
            models.Index(
                fields=["deleted_at"], name="lead_deleted_idx", condition=Q(deleted_at__isnull=False)
            ),
            # The dashboard's median over leads reached out in the last quarter.
            models.Index(
                fields=["reached_out_at"],
                name="lead_reached_out_idx",
                condition=Q(reached_out_at__isnull=False),
            ),
            # The admin's language filter, newest first.
            models.Index(fields=["language", "created_at", "id"], name="lead_language_idx"),
            # The worker's look for leads due for a step (leads.worker.followups).
            models.Index(
                fields=["next_follow_up_at"],
                name="lead_follow_up_idx",
                condition=Q(next_follow_up_at__isnull=False),
            ),
            # The "overdue" filter of the admin and the API: pending leads past their due time.
            models.Index(
                fields=["response_due_at"],
                name="lead_overdue_idx",
                condition=Q(status="PENDING", response_due_at__isnull=False),
            ),
            # The lists filtered by practice area, newest first (and its foreign key's look-ups).
            models.Index(fields=["practice_area", "created_at", "id"], name="lead_practice_area_idx"),
        ]

    def __str__(self) -> str:
        # Nothing personal: the admin copies this into its log entries (object_repr) and
        # messages, which outlive the lead.
        return f"lead {self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @classmethod
    def email_taken(cls) -> ValidationError:
        """The error on `email` for an address another lead has: lead_email_key_unique's message."""
        constraint = next(c for c in cls._meta.constraints if c.name == EMAIL_KEY_UNIQUE)
        message, code = constraint.get_violation_error_message(), constraint.violation_error_code
        return ValidationError({"email": [ValidationError(message, code=code)]})

    def validate_constraints(self, exclude=None) -> None:
        """Django's checks, with lead_email_key_unique checked for `email`: a form has `email`,
        never `email_key` (which Django would skip), and the key may not follow the address yet."""
        exclude = {*(exclude or ()), "email_key"}
        super().validate_constraints(exclude=exclude)
        if "email" not in exclude and Lead.objects.with_address(self.email).exclude(pk=self.pk).exists():
            raise self.email_taken()

    @property
    def is_reached_out(self) -> bool:
        return self.status == self.Status.REACHED_OUT

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES


OPEN_STATUSES = (Lead.Status.PENDING, Lead.Status.REACHED_OUT)
CLOSED_STATUSES = (Lead.Status.RETAINED, Lead.Status.DECLINED, Lead.Status.REFERRED, Lead.Status.NO_RESPONSE)


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
    # A closing's reason and referral, kept with the change: a lead reopened and closed again
    # still shows why each closing happened.
    reason = models.CharField(max_length=OUTCOME_REASON_MAX_CHARS, blank=True, default="", db_default="")
    referred_to = models.CharField(max_length=REFERRED_TO_MAX_CHARS, blank=True, default="", db_default="")

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [models.Index(fields=["lead", "changed_at"], name="statuschange_lead_idx")]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class Resubmission(models.Model):
    """A second application from the public form under an address already on file.

    The form answers it exactly as it answers a new lead (it never reveals whether an
    address applied); the worker records it here, with its own resume beside the first.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="resubmissions")
    resume = models.FileField(upload_to=resume_upload_to, max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=100, blank=True, default="")
    referrer = models.CharField(max_length=500, blank=True, default="")
    # Written by the worker (leads.worker.resume_text): this resume's text, searched with the lead's.
    resume_text = models.TextField(blank=True, default="", db_default="", editable=False)
    # The language of the form it came from (the lead then speaks it: leads.worker.fanout).
    language = models.CharField(max_length=10, default="en", db_default="en", editable=False)
    # The practice area this submission chose (its answers are Answer rows naming it).
    practice_area = models.ForeignKey(
        "PracticeArea", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["lead", "created_at"], name="resubmission_lead_idx")]

    def __str__(self) -> str:
        return f"resubmission of {self.lead_id} at {self.created_at:%Y-%m-%d %H:%M}"


class ResumeDownload(models.Model):
    """One download of one of a lead's resumes: who, when, which file, through what."""

    class Via(models.TextChoices):
        ADMIN = "admin", "Admin"
        API = "api", "API"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="resume_downloads")
    # Null: the lead's first resume; else the resubmission whose resume it was.
    resubmission = models.ForeignKey(
        Resubmission, null=True, blank=True, on_delete=models.CASCADE, related_name="downloads"
    )
    downloaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    downloaded_at = models.DateTimeField(default=timezone.now)
    via = models.CharField(max_length=10, choices=Via.choices)

    class Meta:
        ordering = ["downloaded_at", "id"]
        indexes = [models.Index(fields=["lead", "downloaded_at"], name="resumedownload_lead_idx")]

    def __str__(self) -> str:
        return f"download of {self.lead_id} at {self.downloaded_at:%Y-%m-%d %H:%M}"


# How long a honeypot hit is kept for attorneys to review (purge_leads deletes it after).
TRAPPED_KEEP_DAYS = 7


class TrappedSubmissionQuerySet(AddressQuerySet):
    """The honeypot's catch: by address (with_address: erasure), by age (the 7-day retention)."""

    def created_before(self, moment) -> "TrappedSubmissionQuerySet":
        """Trapped submissions older than `moment` (index trapped_created_idx)."""
        return self.filter(created_at__lt=moment)


class TrappedSubmission(models.Model):
    """A form submission that filled the honeypot: no lead, but kept (TRAPPED_KEEP_DAYS) for review.

    Autofill tools sometimes fill hidden fields, so a real prospect can land here;
    attorneys can restore one as a lead.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    client_address = models.CharField(max_length=64, blank=True, default="")
    first_name = models.CharField(max_length=100, blank=True, default="")
    last_name = models.CharField(max_length=100, blank=True, default="")
    email = models.CharField(max_length=255, blank=True, default="")
    # `email` as it is compared (validators.email_key), whatever was typed.
    email_key = models.TextField(blank=True, default="", editable=False)
    resume = models.FileField(upload_to=resume_upload_to, max_length=255, blank=True)
    source = models.CharField(max_length=100, blank=True, default="")
    referrer = models.CharField(max_length=500, blank=True, default="")
    # The language of the form it came from: a lead restored from it speaks it.
    language = models.CharField(max_length=10, default="en", db_default="en", editable=False)

    objects = TrappedSubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_at"], name="trapped_created_idx"),
            # Erasure's look-up by address (with_address).
            models.Index(fields=["email_key"], name="trapped_email_key_idx"),
        ]

    def __str__(self) -> str:
        return f"trapped submission at {self.created_at:%Y-%m-%d %H:%M}"


class AssignmentChange(models.Model):
    """One change of a lead's assignee: from whom, to whom, by whom, when."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="assignment_changes")
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Null: the system (LEAD_AUTO_ASSIGN on intake).
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [models.Index(fields=["lead", "changed_at"], name="assignment_lead_idx")]

    def __str__(self) -> str:
        return f"assignment of {self.lead_id} at {self.changed_at:%Y-%m-%d %H:%M}"


NOTE_MAX_CHARS = 5000


class Note(models.Model):
    """An attorney's plain-text note on a lead; only its author could ever change it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=NOTE_MAX_CHARS)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["lead", "created_at"], name="note_lead_idx")]

    def __str__(self) -> str:
        return f"note on {self.lead_id} at {self.created_at:%Y-%m-%d %H:%M}"


class WebhookEndpointQuerySet(CountingQuerySet):
    """The subscriptions repository."""

    def subscribed_to(self, event: str) -> list["WebhookEndpoint"]:
        """The active subscriptions that name `event`, oldest first.

        Filtered in Python: SQLite's JSON has no `contains`, and a firm has a handful.
        """
        active = self.filter(is_active=True).order_by("created_at", "id")
        return [endpoint for endpoint in active if event in endpoint.events]


class WebhookEndpoint(models.Model):
    """A subscription: the worker POSTs each named event, signed with `secret`, to `url`."""

    class Event(models.TextChoices):
        LEAD_CREATED = "lead.created", "lead.created"
        LEAD_RESUBMITTED = "lead.resubmitted", "lead.resubmitted"
        LEAD_REACHED_OUT = "lead.reached_out", "lead.reached_out"
        LEAD_ASSIGNED = "lead.assigned", "lead.assigned"
        LEAD_DELETED = "lead.deleted", "lead.deleted"
        LEAD_CLOSED = "lead.closed", "lead.closed"
        LEAD_REOPENED = "lead.reopened", "lead.reopened"
        LEAD_RESTORED = "lead.restored", "lead.restored"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=100, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.url


class DeliveryQuerySet(AddressQuerySet, CountingQuerySet):
    """The delivery repository: what is waiting, what failed, what one lead was sent, and what
    went to one address (with_address, on recipient_key)."""

    ADDRESS_KEY = "recipient_key"

    def with_status(self, status: str) -> "DeliveryQuerySet":
        """Deliveries in this status."""
        return self.filter(status=status)

    def outside_trash(self) -> "DeliveryQuerySet":
        """Deliveries about no lead or a lead not in the trash: a condition on the lead the
        list already joins for its column, not another query."""
        return self.filter(Q(lead__isnull=True) | Q(lead__deleted_at__isnull=True))

    def outcomes_since(self, moment) -> dict[str, int]:
        """How many deliveries failed, and how many were only printed, last tried at or after
        `moment`: one query over delivery_status_updated_idx."""
        failed, printed = Delivery.Status.FAILED, Delivery.Status.PRINTED
        return self.filter(status__in=[failed, printed], updated_at__gte=moment).aggregate(
            failed=Count("pk", filter=Q(status=failed)), printed=Count("pk", filter=Q(status=printed))
        )

    def oldest_queued(self) -> "Delivery | None":
        """The delivery that has waited longest for its first or next attempt, or None."""
        return self.with_status(Delivery.Status.QUEUED).order_by("created_at", "id").first()

    def emails_to(self, address: str, *, since) -> "DeliveryQuerySet":
        """Emails queued or sent to `address`, however it is spelt, since `since`
        (index delivery_recipient_key_idx)."""
        return (
            self.with_address(address)
            .filter(channel=Delivery.Channel.EMAIL, created_at__gte=since)
            .exclude(status=Delivery.Status.FAILED)
        )

    def about_prospect(self, *, emails: list[str], lead_ids: list) -> "DeliveryQuerySet":
        """Deliveries to these addresses (however spelt) or about these leads, those whose
        payload names a lead's id included (a lead.deleted call outlives its lead)."""
        about = Q(lead_id__in=lead_ids) | self.address_match(*emails)
        for pk in lead_ids:
            about |= Q(payload_text__contains=str(pk))
        return self.alias(payload_text=Cast("payload", models.TextField())).filter(about)

    def claim(self, pk, *, stale_after: timedelta) -> "Delivery | None":
        """Take the queued delivery `pk` for one attempt, or None when another worker holds
        it (a claim older than `stale_after` belongs to a worker that died) or it is done.

        One UPDATE decides, so of two racing workers exactly one sends.
        """
        now = timezone.now()
        taken = (
            self.filter(pk=pk, status=Delivery.Status.QUEUED)
            .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - stale_after))
            .update(claimed_at=now)
        )
        return self.select_related("lead__assigned_to", "endpoint").filter(pk=pk).first() if taken else None


class Delivery(models.Model):
    """One email or webhook call and what became of it, for people to see."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        WEBHOOK = "webhook", "Webhook"

    # The emails, then one kind of webhook call per subscription event (WebhookEndpoint.Event).
    Kind = models.TextChoices(
        "Kind",
        [
            ("CONFIRMATION", ("confirmation", "Confirmation to the prospect")),
            (
                "RESUBMISSION_CONFIRMATION",
                ("resubmission_confirmation", "Received-again email to the prospect"),
            ),
            ("NOTIFICATION", ("notification", "New-lead notification")),
            ("RESUBMISSION_NOTIFICATION", ("resubmission_notification", "Resubmission notification")),
            ("ASSIGNMENT", ("assignment", "Assignment email")),
            ("LETTER", ("letter", "Non-engagement letter to the prospect")),
            *((event.name, (event.value, f"Webhook {event.value}")) for event in WebhookEndpoint.Event),
            # Speed to lead (leads.worker.followups).
            ("ESCALATION", ("escalation", "Overdue lead escalation")),
            ("SECOND_ESCALATION", ("second_escalation", "Overdue lead second escalation")),
            ("STALE_REMINDER", ("stale_reminder", "Quiet lead reminder")),
            ("OVERDUE_SUMMARY", ("overdue_summary", "Overdue leads summary")),
            ("DIGEST", ("digest", "Daily digest")),
        ],
    )

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        # Written to the log by the console mailer (DEBUG, no EMAIL_URL): nobody received it.
        PRINTED = "printed", "Printed, not sent"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=40, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # An email address or a webhook URL; empty when there was nobody to send to.
    recipient = models.CharField(max_length=2000, blank=True, default="")
    # An email's recipient as it is compared (validators.email_key): PROSPECT_EMAILS_PER_DAY
    # counts one mailbox however its address is spelt. Empty for webhook calls.
    recipient_key = models.TextField(blank=True, default="", editable=False)
    # Deliveries go with their lead (a prospect's erasure leaves none behind), except
    # lead.deleted webhook calls, which outlive it and carry only its id.
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    # The answer's status: an HTTP status for webhooks, the SMTP reply code for emails.
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    # What the attempt needs beyond the lead: ids for emails, the signed body for webhooks.
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set by the worker that is attempting it now (see DeliveryQuerySet.claim).
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            # The admin's list, newest first.
            models.Index(fields=["created_at", "id"], name="delivery_created_idx"),
            # The admin's status filter, check_deliveries and the dashboard figures.
            models.Index(fields=["status", "created_at"], name="delivery_status_idx"),
            models.Index(fields=["status", "updated_at"], name="delivery_status_updated_idx"),
            # A lead's own deliveries (lead page, timeline, API ?lead=).
            models.Index(fields=["lead", "created_at"], name="delivery_lead_idx"),
            # PROSPECT_EMAILS_PER_DAY: emails to one address in the last day.
            models.Index(
                fields=["recipient_key", "created_at"],
                name="delivery_recipient_key_idx",
                condition=Q(channel="email"),
            ),
        ]

    def __str__(self) -> str:
        # Shown to anyone who sees deliveries (titles, the list's checkboxes): a webhook URL
        # by its host only (leads.recipients).
        to = url_host(self.recipient) if self.channel == Delivery.Channel.WEBHOOK else self.recipient
        return f"{self.get_kind_display()} to {to or 'nobody'}"


class RateLimitBucketQuerySet(models.QuerySet):
    """The database rate-limit store's windows, one per key (leads.intake.ratelimit counts
    attempts into them, one atomic upsert each)."""

    def expired(self, *, now: float) -> "RateLimitBucketQuerySet":
        """Buckets whose window has ended (index ratelimit_expires_idx)."""
        return self.filter(expires_at__lte=now)


class RateLimitBucket(models.Model):
    """Attempts counted in one key's current window (`scope:address`), shared by every process."""

    key = models.CharField(max_length=200, primary_key=True)
    # Unix time at which the window ends: a float, so the raw upsert needs no date adapter.
    expires_at = models.FloatField()
    count = models.PositiveIntegerField()

    objects = RateLimitBucketQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="ratelimit_expires_idx")]

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"


class SharedCacheEntry(models.Model):
    """A row of the cache every web process shares (CACHES["shared"] without Redis): Django's
    DatabaseCache reads and writes it with its own SQL; the model gives the table a migration.
    It holds figures (counts, medians), never anything of a prospect."""

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "leads_shared_cache"
        default_permissions = ()

    def __str__(self) -> str:
        return self.cache_key


class FollowUpQuerySet(models.QuerySet):
    """The ledger of speed-to-lead steps taken."""

    def of_lead(self, lead_id) -> "FollowUpQuerySet":
        """The steps taken for one lead (index followup_lead_idx)."""
        return self.filter(lead_id=lead_id)


class FollowUp(models.Model):
    """One speed-to-lead step taken: its key is claimed in the transaction that queues its
    delivery, so a step is queued once whatever the number of workers (the unique key
    decides between two), and a step whose lead was in a backlog summary counts as done."""

    class Step(models.TextChoices):
        ESCALATION = "escalation", "Escalation at the target"
        SECOND_ESCALATION = "second_escalation", "Escalation at twice the target"
        STALE_REMINDER = "stale_reminder", "Reminder of a quiet lead"
        DIGEST = "digest", "Daily digest"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # "<step>:<lead id>" (escalations), "<step>:<lead id>:<quiet since>" (reminders),
    # "digest:<user id>:<date>" (digests).
    key = models.CharField(max_length=200, unique=True)
    step = models.CharField(max_length=20, choices=Step.choices)
    # Goes with its lead (erasure leaves no row); null for a digest.
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="follow_ups")
    # The email sent for it (a summary's when the lead was in a backlog); null when there
    # was nobody to send to.
    delivery = models.ForeignKey(Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["lead", "created_at"], name="followup_lead_idx")]

    def __str__(self) -> str:
        return f"{self.get_step_display()} at {self.created_at:%Y-%m-%d %H:%M}"


class LetterTemplate(models.Model):
    """The firm's non-engagement letter for one outcome (DECLINED or REFERRED), edited in the
    admin: a subject and body with {first_name}, {firm_name}, {referred_to}, {practice_area}.
    Without one, leads.letters' default text is sent. Other languages in `translations`
    (leads.translations)."""

    class Outcome(models.TextChoices):
        DECLINED = "DECLINED", "Declined"
        REFERRED = "REFERRED", "Referred out"

    # The texts with a version per intake language (leads.admin.translations).
    TRANSLATED_FIELDS = ("subject", "body")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, unique=True)
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=10_000)
    translations = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["outcome"]
        verbose_name = "non-engagement letter"

    def __str__(self) -> str:
        return f"letter for {self.get_outcome_display().lower()} leads"


class TrashedLead(Lead):
    """The admin's Trash: the same rows, seen through Lead.trash."""

    objects = TrashedLeadManager()

    class Meta:
        proxy = True
        verbose_name = "lead in the trash"
        verbose_name_plural = "trash"
        default_permissions = ()


class LeadEvent(models.Model):
    """What happened to a lead beyond its status, assignee and notes: put in the trash,
    restored, its data exported for the prospect. Shown on the timeline."""

    class Type(models.TextChoices):
        DELETED = "deleted", "Moved to the trash"
        RESTORED = "restored", "Restored from the trash"
        EXPORTED = "exported", "Prospect's copy exported"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=20, choices=Type.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["lead", "at"], name="leadevent_lead_idx")]

    def __str__(self) -> str:
        return f"{self.type} of {self.lead_id} at {self.at:%Y-%m-%d %H:%M}"


# --- Intake questions and practice areas (issue 25) ---------------------------------------


class PracticeAreaQuerySet(models.QuerySet):
    def active(self) -> "PracticeAreaQuerySet":
        """The areas the form offers, in their order."""
        return self.filter(is_active=True).order_by("position", "name")


class PracticeArea(models.Model):
    """A kind of matter the firm takes (immigration, employment, ...): the form asks which,
    its own questions follow, and its attorneys (none: everyone) take its leads."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True, help_text="In links: /?practice_area=<slug>.")
    description = models.CharField(max_length=500, blank=True, help_text="Shown on the form under its name.")
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    attorneys = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="practice_areas",
        help_text="Who takes its leads (LEAD_AUTO_ASSIGN=round_robin); none: every attorney.",
    )
    # The texts with a version per intake language (leads.admin.translations).
    TRANSLATED_FIELDS = ("name", "description")
    # Other languages' texts (leads.translations): {"es": {"name": ..., "description": ...}}.
    translations = models.JSONField(default=dict, blank=True)

    objects = PracticeAreaQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


TEXT_MAX_CHARS = 200
LONG_TEXT_MAX_CHARS = 5000
YES_WORDS = {"yes", "true", "on", "1"}
NO_WORDS = {"no", "false", "off", "0"}


class QuestionQuerySet(models.QuerySet):
    def for_form(self, area: "PracticeArea | None" = None) -> list["Question"]:
        """The active questions a prospect of `area` sees: the general ones, then the area's."""
        questions = self.filter(is_active=True).filter(
            Q(practice_area__isnull=True) | Q(practice_area=area) if area else Q(practice_area__isnull=True)
        )
        return sorted(
            questions.select_related("show_if_question"),
            key=lambda q: (q.practice_area_id is not None, q.position, q.pk),
        )

    def with_answers(self) -> "QuestionQuerySet":
        return self.filter(Exists(Answer.objects.filter(question=OuterRef("pk"))))


class Question(models.Model):
    """One question of the intake form, asked of everyone or of one practice area's prospects.

    Once answered, its `key` and `kind` no longer change and it is never deleted (Answer
    protects it): it is made inactive instead, so every answer keeps meaning what it meant.
    """

    class Kind(models.TextChoices):
        TEXT = "text", "Text (one line)"
        LONG_TEXT = "long_text", "Long text"
        CHOICE = "choice", "One of the options"
        CHOICES = "choices", "Several of the options"
        YES_NO = "yes_no", "Yes or no"
        DATE = "date", "Date"
        NUMBER = "number", "Number"
        PHONE = "phone", "Phone number"

    CHOICE_KINDS = {Kind.CHOICE, Kind.CHOICES}

    practice_area = models.ForeignKey(
        PracticeArea,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="questions",
        help_text="Empty: asked of everyone.",
    )
    key = models.SlugField(
        max_length=50,
        help_text="Names the answer in the API, the export and webhooks. Fixed once answered.",
    )
    label = models.CharField(max_length=200)
    help_text = models.CharField(max_length=500, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TEXT)
    # For the choice kinds: [{"value": "asylum", "label": "Asylum"}, ...]; values are stable.
    options = models.JSONField(default=list, blank=True, help_text='[{"value": "...", "label": "..."}, ...]')
    required = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    show_if_question = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="show if the question",
    )
    show_if_values = models.JSONField(
        default=list,
        blank=True,
        verbose_name="has one of the answers",
        help_text='e.g. ["yes"] or ["asylum"]',
    )
    # Other languages' texts (leads.translations), options' labels under "options":
    # {"es": {"label": ..., "help_text": ..., "options": {"asylum": "Asilo"}}}.
    translations = models.JSONField(default=dict, blank=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["practice_area__position", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=Q(practice_area__isnull=True), name="question_general_key_unique"
            ),
            models.UniqueConstraint(fields=["practice_area", "key"], name="question_area_key_unique"),
        ]

    def __str__(self) -> str:
        return self.key

    def clean(self) -> None:
        errors = {}
        if self.pk and self.has_answers():
            key, kind = Question.objects.filter(pk=self.pk).values_list("key", "kind").get()
            if (key, kind) != (self.key, self.kind):
                message = "This question has answers: its key and kind stay as they are."
                errors["key" if key != self.key else "kind"] = message
        if self.kind in self.CHOICE_KINDS:
            if not self.option_values():
                errors["options"] = 'Give the options as [{"value": "...", "label": "..."}, ...].'
        elif self.options:
            errors["options"] = "Only the choice kinds have options."
        if not isinstance(self.options, list) or not all(
            isinstance(o, dict)
            and isinstance(o.get("value"), str)
            and o["value"]
            and isinstance(o.get("label"), str)
            for o in self.options or []
        ):
            errors["options"] = 'Give the options as [{"value": "...", "label": "..."}, ...].'
        if self.key and self.practice_area_id is not None:
            general = Question.objects.filter(practice_area__isnull=True, key=self.key)
            if general.exists():
                errors["key"] = "A question asked of everyone already has this key."
        elif self.key and Question.objects.filter(key=self.key).exclude(pk=self.pk).exists():
            errors["key"] = "A practice area's question already has this key."
        if self.show_if_question_id:
            other = self.show_if_question
            if other.pk == self.pk or other.practice_area_id not in (None, self.practice_area_id):
                errors["show_if_question"] = "Choose another question of the same form."
            elif not isinstance(self.show_if_values, list) or not self.show_if_values:
                errors["show_if_values"] = 'Give the answers that make this question apply, e.g. ["yes"].'
        if errors:
            raise ValidationError(errors)

    def has_answers(self) -> bool:
        return self.pk is not None and Answer.objects.filter(question=self).exists()

    def option_values(self) -> list[str]:
        return [o["value"] for o in self.options if isinstance(o, dict) and "value" in o]

    def option_label(self, value: str, language: str | None = None) -> str:
        """An option's label in `language` (default: the active one), else as written."""
        language = (language or translation.get_language() or "").split("-")[0]
        translated = ((self.translations or {}).get(language) or {}).get("options") or {}
        label = next((o.get("label", value) for o in self.options if o.get("value") == value), value)
        return translated.get(value) or label

    def applies(self, answers: dict) -> bool:
        """Whether this question applies given the (clean) `answers` by key: always, or when
        its show_if question applies and was answered with one of show_if_values."""
        if not self.show_if_question_id:
            return True
        other = self.show_if_question
        given = answers.get(other.key)
        if isinstance(given, bool):
            given = ["yes" if given else "no"]
        elif not isinstance(given, list):
            given = [] if given is None else [str(given)]
        return bool(set(map(str, given)) & set(self.show_if_words()))

    def show_if_words(self) -> list[str]:
        """show_if_values as the form sends them (a boolean as "yes"/"no")."""
        return [
            {True: "yes", False: "no"}.get(v, str(v)) if isinstance(v, bool) else str(v)
            for v in self.show_if_values or []
        ]

    def clean_answer(self, raw):
        """The answer in its stored form (string, list of strings, boolean, ISO date, number),
        None when empty; ValidationError with the prospect's message when it is not valid."""
        if raw is None or raw == "" or raw == []:
            return None
        kind = self.Kind
        if self.kind == kind.CHOICES:
            values = raw if isinstance(raw, list) else [raw]
            if not all(isinstance(v, str) for v in values) or set(values) - set(self.option_values()):
                raise ValidationError(_("Choose among the options given."), code="invalid_choice")
            return [v for v in self.option_values() if v in values]
        if self.kind == kind.YES_NO:
            if isinstance(raw, bool):
                return raw
            word = str(raw).strip().lower()
            if word in YES_WORDS | NO_WORDS:
                return word in YES_WORDS
            raise ValidationError(_("Answer yes or no."), code="invalid")
        if self.kind == kind.NUMBER and isinstance(raw, int | float) and not isinstance(raw, bool):
            raw = str(raw)
        if not isinstance(raw, str):
            raise ValidationError(_("Enter text here."), code="invalid")
        value = raw.replace("\r\n", "\n").strip()
        if not value:
            return None
        if self.kind == kind.CHOICE:
            if value not in self.option_values():
                raise ValidationError(_("Choose one of the options given."), code="invalid_choice")
            return value
        if self.kind == kind.DATE:
            try:
                return date.fromisoformat(value).isoformat()
            except ValueError:
                raise ValidationError(_("Enter a date such as 2024-03-31."), code="invalid") from None
        if self.kind == kind.NUMBER:
            try:
                number = Decimal(value)
            except InvalidOperation:
                raise ValidationError(_("Enter a number such as 12 or 3.5."), code="invalid") from None
            if not number.is_finite() or abs(number) >= Decimal(10) ** 15:
                raise ValidationError(_("Enter a number such as 12 or 3.5."), code="invalid")
            return int(number) if number == number.to_integral_value() else float(number)
        if self.kind == kind.PHONE:
            return clean_phone(value)
        limit = LONG_TEXT_MAX_CHARS if self.kind == kind.LONG_TEXT else TEXT_MAX_CHARS
        if len(value) > limit:
            message = _("Use at most %(limit)s characters (this has %(count)s).")
            raise ValidationError(message, code="max_length", params={"limit": limit, "count": len(value)})
        try:
            validate_plain_text(value.replace("\n", " ") if self.kind == kind.LONG_TEXT else value)
        except ValidationError:
            raise ValidationError(
                _("Use letters, digits, spaces and punctuation only."), code="invalid"
            ) from None
        return value


def clean_phone(value: str) -> str:
    """A real phone number in E.164 (+12025550143), read in PHONE_DEFAULT_REGION unless it
    starts with +."""
    if len(value) > PHONE_MAX_CHARS:
        raise ValidationError(_("Enter a phone number such as +1 202 555 0143."), code="invalid")
    try:
        number = phonenumbers.parse(value, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(_("Enter a phone number such as +1 202 555 0143."), code="invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_answers(
    *, area: "PracticeArea | None", raw: dict, questions: list["Question"] | None = None
) -> tuple[list[tuple["Question", object]], dict]:
    """Check what a prospect answered (`raw`: key -> value as sent) for `area`'s form.

    Only the questions that apply are kept and validated (show_if evaluated here, on the
    server, in the form's order: a condition names an earlier question); an answer that does
    not apply is dropped. Returns ([(question, clean value)], {key: [messages]}). `questions`:
    Question.objects.for_form(area) when the caller read them already.
    """
    kept, clean, errors = [], {}, {}
    for question in Question.objects.for_form(area) if questions is None else questions:
        if not question.applies(clean):
            continue
        try:
            value = question.clean_answer(raw.get(question.key))
        except ValidationError as exc:
            errors[question.key] = exc.messages
            continue
        if value is None:
            if question.required:
                errors[question.key] = [str(_("Answer this question."))]
            continue
        clean[question.key] = value
        kept.append((question, value))
    return kept, errors


class AnswerQuerySet(models.QuerySet):
    def of_leads(self) -> "AnswerQuerySet":
        """The lead's own answers (its first submission), not its resubmissions'."""
        return self.filter(resubmission__isnull=True)


class Answer(models.Model):
    """One answer of a submission: the lead's first (resubmission null) or a resubmission's,
    kept with the label it was asked under, so a label changed later rewrites nothing."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="answers")
    resubmission = models.ForeignKey(
        Resubmission, null=True, blank=True, on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    key = models.SlugField(max_length=50)
    label = models.CharField(max_length=200)
    # string, list of strings, boolean, ISO date (string) or number
    value = models.JSONField()
    # The value as text, for the admin search and the API's `search`.
    text = models.TextField(blank=True, default="")
    position = models.PositiveIntegerField(default=0)

    objects = AnswerQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["lead", "resubmission"], name="answer_lead_idx"),
            models.Index(fields=["question"], name="answer_question_idx"),
        ]

    def __str__(self) -> str:
        return self.key

    @staticmethod
    def by_key(lead: Lead) -> dict:
        """The lead's own answers {key: value}: as annotated by as_in_the_api, else read."""
        if hasattr(lead, "answers_by_key"):
            return lead.answers_by_key or {}
        return dict(lead.answers.of_leads().values_list("key", "value"))

    def for_people(self) -> str:
        """The value as an attorney reads it: the options' labels, yes or no, the text."""
        if self.question.kind in Question.CHOICE_KINDS:
            values = self.value if isinstance(self.value, list) else [self.value]
            return ", ".join(self.question.option_label(str(v), "en") for v in values)
        return self.as_text(self.value)

    @staticmethod
    def as_text(value) -> str:
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, list):
            return ", ".join(map(str, value))
        return str(value)

    @classmethod
    def build(
        cls, *, lead_id, questions: list[tuple["Question", object]], resubmission=None
    ) -> list["Answer"]:
        """Unsaved rows for these (question, clean value) pairs, labels as asked now."""
        return [
            cls(
                lead_id=lead_id,
                resubmission=resubmission,
                question=question,
                key=question.key,
                label=question.label,
                value=value,
                text=cls.as_text(value),
                position=position,
            )
            for position, (question, value) in enumerate(questions)
        ]


# The conversion report's rollup (issue 27, leads.rollup): what the report sums instead of
# reading every lead of its window. Days before ConversionFold.folded_until are folded
# (a day with no row there had no kept lead in that group); a ConversionStaleDay is a folded
# day an attorney's action has changed since, read live until the worker folds it again.
class ConversionRollup(models.Model):
    """One group's figures for one UTC day of creation: `figures` that day's, `through` the
    sum of every day of the group up to and including it (so a window of any length costs two
    rows a group). Figures: {"n": [leads, open, reached_out, retained, declined, referred,
    no_response], "r": histogram of seconds to reach out, "c": of seconds to close}; a
    histogram is [first bucket, count, count, …] on buckets of leads.rollup.bucket_of."""

    dimension = models.CharField(max_length=20)  # source, assigned_to or practice_area
    # The source, or the assignee's / practice area's primary key as text; "" for none.
    key = models.CharField(max_length=SOURCE_MAX_CHARS, blank=True)
    day = models.DateField()
    figures = models.JSONField()
    through = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dimension", "key", "day"], name="conversion_rollup_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.dimension} {self.key!r} on {self.day}"


class ConversionFold(models.Model):
    """The rollup's one state row: every UTC day before `folded_until` is folded (None: none),
    and with `cut` the day `folded_until` too, its leads created before `cut` (the day under
    way, folded as it goes)."""

    folded_until = models.DateField(null=True, blank=True)
    cut = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"folded until {self.folded_until}"


class ConversionStaleDay(models.Model):
    """A folded day whose leads changed since it was folded (marked in the changing
    transaction, leads.rollup.mark_changed); `version` grows with each mark, so the fold removes
    only the marks it has read and folded."""

    day = models.DateField(primary_key=True)
    version = models.PositiveIntegerField(default=1)
    marked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.day} stale since {self.marked_at:%Y-%m-%d %H:%M}"
