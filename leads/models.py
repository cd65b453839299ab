import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Extract, Lower, TruncWeek
from django.utils import timezone

from .validators import REFERRER_MAX_CHARS, SOURCE_MAX_CHARS, validate_name, validate_plain_text

RESUME_EXTENSIONS = {".pdf", ".doc", ".docx"}
# Every upload (a lead's, a resubmission's, a trapped submission's) is stored in this folder
# under a random name of its own. Files under SHARED_RESUME_PREFIX (seed_leads' sample
# resume) are shared by many leads and stay while any lead points at them.
RESUME_FOLDER = "resumes"
SHARED_RESUME_PREFIX = "seed/"


def resume_upload_to(instance: "Lead", filename: str) -> str:
    """A random name under RESUME_FOLDER; only a known extension survives from `filename`."""
    suffix = Path(filename).suffix.lower()
    return f"{RESUME_FOLDER}/{uuid.uuid4().hex}{suffix if suffix in RESUME_EXTENSIONS else ''}"


class Median(models.Aggregate):
    """PostgreSQL's exact median (percentile_cont) of a numeric expression."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = models.FloatField()


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
        return len(self.move_to(Lead.Status.REACHED_OUT, by=by))

    def mark_all_pending(self, *, by) -> int:
        """REACHED_OUT -> PENDING (reopen), one StatusChange row each; O(1) queries."""
        return len(self.move_to(Lead.Status.PENDING, by=by))

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
            self.model.objects.filter(pk__in=ids, status=from_status).update(**changes)
            StatusChange.objects.bulk_create(
                StatusChange(
                    lead_id=pk, from_status=from_status, to_status=status, changed_by=by, changed_at=now
                )
                for pk in ids
            )
            return ids


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

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The one rule for names: the intake form, the API and the admin all take their length
    # and validators from these two fields.
    first_name = models.CharField(max_length=100, validators=[validate_name])
    last_name = models.CharField(max_length=100, validators=[validate_name])
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
            # The "mine" / "assigned to" lists, newest first.
            models.Index(fields=["assigned_to", "created_at", "id"], name="lead_assigned_idx"),
            # The dashboard's median over leads reached out in the last quarter.
            models.Index(
                fields=["reached_out_at"],
                name="lead_reached_out_idx",
                condition=Q(reached_out_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        # Nothing personal: the admin copies this into its log entries (object_repr) and
        # messages, which outlive the lead.
        return f"lead {self.pk}"

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


class TrappedSubmissionQuerySet(models.QuerySet):
    """The honeypot's catch: by address (erasure), by age (the 7-day retention)."""

    def with_email(self, email: str) -> "TrappedSubmissionQuerySet":
        """Trapped submissions typed with this email address, in any letter case."""
        return self.alias(email_lower=Lower("email")).filter(
            email_lower=Lower(Value(email.strip(), output_field=models.CharField()))
        )

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
    resume = models.FileField(upload_to=resume_upload_to, max_length=255, blank=True)
    source = models.CharField(max_length=100, blank=True, default="")
    referrer = models.CharField(max_length=500, blank=True, default="")

    objects = TrappedSubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at"], name="trapped_created_idx")]

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


class WebhookEndpoint(models.Model):
    """A subscription: the worker POSTs each named event, signed with `secret`, to `url`."""

    class Event(models.TextChoices):
        LEAD_CREATED = "lead.created", "lead.created"
        LEAD_RESUBMITTED = "lead.resubmitted", "lead.resubmitted"
        LEAD_REACHED_OUT = "lead.reached_out", "lead.reached_out"
        LEAD_ASSIGNED = "lead.assigned", "lead.assigned"
        LEAD_DELETED = "lead.deleted", "lead.deleted"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=100, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.url


class DeliveryQuerySet(models.QuerySet):
    """The delivery repository: what is waiting, what failed, what one lead was sent."""

    def with_status(self, status: str) -> "DeliveryQuerySet":
        """Deliveries in this status."""
        return self.filter(status=status)

    def failed_since(self, moment) -> "DeliveryQuerySet":
        """Deliveries that failed and were last tried at or after `moment` (delivery_status_idx)."""
        return self.with_status(Delivery.Status.FAILED).filter(updated_at__gte=moment)

    def oldest_queued(self) -> "Delivery | None":
        """The delivery that has waited longest for its first or next attempt, or None."""
        return self.with_status(Delivery.Status.QUEUED).order_by("created_at", "id").first()

    def emails_to(self, address: str, *, since) -> "DeliveryQuerySet":
        """Emails queued or sent to `address` (any letter case) since `moment`
        (index delivery_email_recipient_idx)."""
        return (
            self.filter(channel=Delivery.Channel.EMAIL, created_at__gte=since)
            .exclude(status=Delivery.Status.FAILED)
            .alias(recipient_lower=Lower("recipient"))
            .filter(recipient_lower=Lower(Value(address, output_field=models.CharField())))
        )

    def about_prospect(self, *, email: str, lead_ids: list) -> "DeliveryQuerySet":
        """Deliveries to this address (any letter case) or about these leads, those whose
        payload names a lead's id included (a lead.deleted call outlives its lead)."""
        about = Q(lead_id__in=lead_ids) | Q(
            recipient_lower=Lower(Value(email, output_field=models.CharField()))
        )
        for pk in lead_ids:
            about |= Q(payload_text__contains=str(pk))
        return self.alias(
            recipient_lower=Lower("recipient"), payload_text=Cast("payload", models.TextField())
        ).filter(about)

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
        return self.select_related("lead", "endpoint").filter(pk=pk).first() if taken else None


class Delivery(models.Model):
    """One email or webhook call and what became of it, for people to see."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        WEBHOOK = "webhook", "Webhook"

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", "Confirmation to the prospect"
        RESUBMISSION_CONFIRMATION = "resubmission_confirmation", "Received-again email to the prospect"
        NOTIFICATION = "notification", "New-lead notification"
        RESUBMISSION_NOTIFICATION = "resubmission_notification", "Resubmission notification"
        ASSIGNMENT = "assignment", "Assignment email"
        LEAD_CREATED = "lead.created", "Webhook lead.created"
        LEAD_RESUBMITTED = "lead.resubmitted", "Webhook lead.resubmitted"
        LEAD_REACHED_OUT = "lead.reached_out", "Webhook lead.reached_out"
        LEAD_ASSIGNED = "lead.assigned", "Webhook lead.assigned"
        LEAD_DELETED = "lead.deleted", "Webhook lead.deleted"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=40, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # An email address or a webhook URL; empty when there was nobody to send to.
    recipient = models.CharField(max_length=2000, blank=True, default="")
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
                Lower("recipient"),
                "created_at",
                name="delivery_email_recipient_idx",
                condition=Q(channel="email"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient or 'nobody'}"
