"""The attorneys' side: the lead list, the lead page, the resume download, the dashboard, the export.

Every status change, assignment and note goes through leads.services; this module only
translates requests.
"""

import io
import uuid
from dataclasses import replace
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import Action, ActionLocation, IncorrectLookupParameters
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.functional import SimpleLazyObject, lazy
from django.utils.html import format_html
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.models import User
from leads import selectors, services
from leads.downloads import resume_response
from leads.models import (
    NOTE_MAX_CHARS,
    OPEN_STATUSES,
    OUTCOME_REASON_MAX_CHARS,
    REFERRED_TO_MAX_CHARS,
    Delivery,
    Lead,
    PracticeArea,
    ResumeDownload,
)
from leads.selectors import TIMELINE_LIMIT

from .dashboard import NEWEST_PENDING, PENDING_AGES_DAYS, QUARTER_WEEKS, weekly_chart
from .display import compact_time, format_duration, status_css
from .export import csv_response
from .lists import OneQueryListAdmin
from .timeline import timeline_html

# The firm's name heads every admin page and ends its title (read as each page renders).
admin.site.site_header = admin.site.site_title = lazy(lambda: settings.FIRM_NAME, str)()
# The app sidebar repeats the index page's two links and takes a fifth of a laptop screen
# that the lead list needs for its columns; the breadcrumbs lead home.
admin.site.enable_nav_sidebar = False


class PendingOlderThanFilter(admin.SimpleListFilter):
    """Leads still PENDING N days after they came in (the dashboard links here)."""

    title = "still pending after"
    parameter_name = "pending_older_than"
    MAX_DAYS = 3650

    def lookups(self, request, model_admin):
        return [("2", "2 days"), ("7", "7 days")]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit() and 0 < int(value) <= self.MAX_DAYS:
            return queryset.pending_older_than(timedelta(days=int(value)))
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    """PENDING leads past their response_due_at (index lead_overdue_idx)."""

    title = _("response")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("true", _("Overdue"))]

    def queryset(self, request, queryset):
        return queryset.overdue() if self.value() == "true" else queryset


class OpenClosedFilter(admin.SimpleListFilter):
    """Open leads (PENDING, REACHED_OUT) unless asked otherwise: closed ones, or all. A status
    picked in the status filter shows that status whatever this says."""

    title = "open or closed"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("closed", "Closed (any outcome)"), ("all", "All")]

    def choices(self, changelist):
        value = self.value() or "open"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if "status__exact" in request.GET or value == "all":
            return queryset
        return queryset.closed_leads() if value == "closed" else queryset.open_leads()


def attorneys_for(request) -> list[User]:
    """The active attorneys by username, read once per request: the assignee filter and the
    "Assign to …" actions share the list."""
    if not hasattr(request, "_active_attorneys"):
        request._active_attorneys = list(User.objects.attorneys().order_by("username"))
    return request._active_attorneys


def attorney_label(user: User) -> str:
    """'Ada Lovelace (ada)', or just the username when there is no full name."""
    return f"{user.full_name} ({user.username})" if user.full_name else user.username


class AssigneeFilter(admin.SimpleListFilter):
    """Mine, unassigned, or one attorney's leads (index lead_assigned_idx)."""

    title = "assigned to"
    parameter_name = "assigned_to"

    def lookups(self, request, model_admin):
        return [
            ("mine", "Mine"),
            ("none", "Unassigned"),
            *((str(user.pk), attorney_label(user)) for user in attorneys_for(request)),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "mine":
            return queryset.assigned_to_user(request.user)
        if value == "none":
            return queryset.assigned_to_user(None)
        if value:
            try:
                return queryset.assigned_to_user(uuid.UUID(value))
            except ValueError:
                raise IncorrectLookupParameters(value) from None
        return queryset


class LanguageFilter(admin.SimpleListFilter):
    """The prospect's language: each one there is a catalogue for (no query to list them)."""

    title = "language"
    parameter_name = "language"

    def lookups(self, request, model_admin):
        return [(code, name) for code, name in settings.LANGUAGES]

    def queryset(self, request, queryset):
        if value := self.value():
            return queryset.in_language(value)
        return queryset


class PracticeAreaFilter(admin.SimpleListFilter):
    """One practice area's leads, or those without one (index lead_practice_area_idx)."""

    title = "practice area"
    parameter_name = "practice_area"

    def lookups(self, request, model_admin):
        areas = PracticeArea.objects.order_by("position", "name").values_list("slug", "name")
        return [*areas, ("none", "None")] if areas else []

    def queryset(self, request, queryset):
        return queryset.in_practice_area(self.value()) if self.value() else queryset


class ReadOnceChoiceIterator(forms.models.ModelChoiceIterator):
    """The choices from one plain read of the queryset, kept in its cache. Django's own
    reads them with QuerySet.iterator(): on PostgreSQL a server-side cursor, declared,
    fetched and closed in three round trips, for each time the choices are listed."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class AttorneyChoiceField(forms.ModelChoiceField):
    iterator = ReadOnceChoiceIterator

    def label_from_instance(self, user: User) -> str:
        return attorney_label(user)


class LeadAdminForm(forms.ModelForm):
    """The lead page's details form: names, email and status. The assignee has its own form
    (LeadAssignForm) at the top of the page, so choosing one never rides on another save."""

    class Meta:
        model = Lead
        fields = ["first_name", "last_name", "email", "status"]


class LeadAssignForm(forms.Form):
    """The lead page's "Assign" form: an active attorney or nobody."""

    assigned_to = AttorneyChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="Nobody",
        label="Assigned to",
        help_text="An active attorney, or nobody. A colleague you assign gets an email.",
    )

    def __init__(self, *args, lead: Lead, **kwargs):
        super().__init__(*args, **kwargs)
        current = lead.assigned_to_id
        # The current assignee stays a choice even if no longer an active attorney, so
        # the form shows who has the lead and assigning elsewhere is a choice, not a surprise.
        self.fields["assigned_to"].queryset = User.objects.filter(
            Q(pk__in=User.objects.attorneys().values("pk")) | Q(pk=current)
        ).order_by("username")
        self.initial["assigned_to"] = current
        # Outcomes are set by the page's outcome buttons (which ask for the reason), never
        # by this select: it offers the open statuses, and a closed lead's status is shown only.
        status = self.fields.get("status")
        if status is None:  # a read-only page
            return
        if self.instance.pk and self.instance.is_closed:
            status.disabled = True
            status.help_text = "Closed with this outcome; reopen the lead to change its status."
        else:
            status.choices = [(value, label) for value, label in status.choices if value in OPEN_STATUSES]


class NamedLead:
    """A lead that reads as its prospect's name, for the messages on the page only (never
    the admin log, which keeps str(lead))."""

    def __init__(self, lead: Lead):
        self._lead = lead

    def __getattr__(self, name):
        return getattr(self._lead, name)

    def __str__(self) -> str:
        return self._lead.full_name or str(self._lead)


@admin.register(Lead)
class LeadAdmin(OneQueryListAdmin, admin.ModelAdmin):
    form = LeadAdminForm
    list_display = [
        "name",
        "email",
        "status_badge",
        "assigned_to",
        "created",
        "reached_out",
        "area",
        "lang",
    ]
    list_display_links = ["name"]
    list_filter = [
        OpenClosedFilter,
        "status",
        AssigneeFilter,
        ("created_at", admin.DateFieldListFilter),
        PendingOlderThanFilter,
        PracticeAreaFilter,
        LanguageFilter,
        OverdueFilter,
    ]
    date_hierarchy = "created_at"
    search_fields = ["first_name", "last_name", "email"]
    search_help_text = (
        "First name, last name or email (several words must all match), or words of the resume "
        '("exact phrase", -without).'
    )
    # Newest first, served by lead_created_idx / lead_status_created_idx; only the creation
    # time is sortable, because sorting a million rows by an unindexed column is a full sort.
    ordering = ["-created_at", "-id"]
    sortable_by = ["created"]
    list_select_related = ["reached_out_by", "assigned_to", "practice_area"]
    list_per_page = 50
    show_full_result_count = False
    # Facet counts run one COUNT per filter choice over the list: seconds at a million rows.
    show_facets = admin.ShowFacets.NEVER
    actions = ["mark_reached_out", "close_as_no_response", "assign_to_me", "export_prospect_copy"]
    # What services.update_lead takes from the details form.
    EDITABLE = ("first_name", "last_name", "email", "status")
    exclude = ["assigned_to"]
    # The details form, under the workspace's state, actions and timeline (change_form.html):
    # the read-only facts are drawn by the page's includes, not as form fields.
    fieldsets = [(None, {"fields": ["first_name", "last_name", "email", "status"]})]
    readonly_fields = [
        "resume_link",
        "extracted_text",
        "reached_out_at",
        "reached_out_by",
        "created_at",
        "updated_at",
        "source",
        "referrer",
        "practice_area",
        "language",
    ]

    class Media:
        css = {"all": ["css/admin-leads.css"]}
        # The lead page's guard: submitting one of its forms asks first when another holds
        # typed text that would be lost.
        js = ["js/lead-workspace.js"]

    # --- list columns -------------------------------------------------------------------

    @admin.display(description="name")
    def name(self, lead: Lead) -> str:
        return lead.full_name

    @admin.display(description="created", ordering="created_at")
    def created(self, lead: Lead) -> str:
        return format_html("<time>{}</time>", compact_time(lead.created_at))

    # Short headings: with every column the list still fits a 1280 px screen.
    @admin.display(description="area")
    def area(self, lead: Lead) -> str:
        return lead.practice_area.name if lead.practice_area_id else "—"

    @admin.display(description="lang.")
    def lang(self, lead: Lead) -> str:
        return lead.language

    @admin.display(description="reached out")
    def reached_out(self, lead: Lead) -> str:
        if lead.reached_out_at is None:
            return "—"
        by = f"by {lead.reached_out_by}" if lead.reached_out_by else ""
        return format_html("<time>{}</time> {}", compact_time(lead.reached_out_at), by)

    @admin.display(description="status")
    def status_badge(self, lead: Lead) -> str:
        return format_html(
            '<span class="lead-status lead-status--{}" data-status="{}">{}</span>',
            status_css(lead.status),
            lead.status,
            lead.get_status_display(),
        )

    @admin.display(description="resume")
    def resume_link(self, lead: Lead) -> str:
        if not lead.pk or not lead.resume:
            return "—"
        url = reverse(f"{self.admin_site.name}:leads_lead_resume", args=[lead.pk])
        return format_html('<a class="lead-resume-link" href="{}">Download resume</a>', url)

    @admin.display(description="resume text")
    def extracted_text(self, lead: Lead) -> str:
        if lead.resume_text_state == Lead.TextState.PENDING:
            return format_html('<p class="lead-resume-text-note">{}</p>', "Text not extracted yet.")
        if not lead.resume_text:
            return format_html(
                '<p class="lead-resume-text-note">No text could be read from this resume. {}</p>',
                lead.resume_text_note,
            )
        # Escaped by format_html; line breaks kept by the CSS (white-space: pre-wrap). The lead
        # page reads the text with the lead (get_object); the list defers it (get_queryset).
        return format_html('<div class="lead-resume-text" tabindex="0">{}</div>', lead.resume_text)

    # --- searching: names and email (the named read, once per word) OR resume words ------

    def get_queryset(self, request):
        return super().get_queryset(request).for_lists()

    # What the lead page names of a lead besides its own row: each read on its own would be
    # one query more (the assignee, who reached out, who closed it, its practice area, the
    # integration that submitted it).
    LEAD_PAGE_RELATED = ("assigned_to", "reached_out_by", "closed_by", "practice_area", "submitted_by")

    def get_object(self, request, object_id, from_field=None):
        match = request.resolver_match
        if from_field is not None or match is None or match.url_name != "leads_lead_change":
            return super().get_object(request, object_id, from_field)
        # The lead page: the lead with its resume text (which the lists defer) and the rows it
        # names, in one query.
        leads = self.get_queryset(request).defer(None).defer("search_vector")
        try:
            return leads.select_related(*self.LEAD_PAGE_RELATED).get(pk=Lead._meta.pk.to_python(object_id))
        except (Lead.DoesNotExist, ValidationError, ValueError):
            return None

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        words = [
            unescape_string_literal(word) if word[0] in "\"'" and word[0] == word[-1] else word
            for word in smart_split(search_term)
        ]
        return queryset.search_names_or_resumes(words, resume_words=search_term), False

    # --- the bulk action ----------------------------------------------------------------

    @admin.action(description="Mark selected leads as reached out", permissions=["change"])
    def mark_reached_out(self, request, queryset):
        selected = queryset.count()
        changed = services.change_status(leads=queryset, status=Lead.Status.REACHED_OUT, by=request.user)
        self.tell_outcome(
            request,
            changed=changed,
            already=selected - changed,
            done=("%(n)d lead marked as reached out", "%(n)d leads marked as reached out"),
            skipped=("%(n)d was already reached out.", "%(n)d were already reached out."),
        )

    @admin.action(description="Close as no response", permissions=["change"])
    def close_as_no_response(self, request, queryset):
        selected = queryset.count()
        changed = len(services.close_leads(leads=queryset, outcome=Lead.Status.NO_RESPONSE, by=request.user))
        self.tell_outcome(
            request,
            changed=changed,
            already=selected - changed,
            done=("%(n)d lead closed as no response", "%(n)d leads closed as no response"),
            skipped=("%(n)d was already closed.", "%(n)d were already closed."),
        )

    @admin.action(description="Export the prospect's copy (one lead)", permissions=["export_copy"])
    def export_prospect_copy(self, request, queryset):
        """A data-subject access request: the one selected lead's prospect's copy as a zip."""
        leads = list(queryset[:2])
        if len(leads) != 1:
            self.message_user(
                request, "Select exactly one lead to export its prospect's copy.", messages.ERROR
            )
            return None
        buffer = io.BytesIO()
        services.export_prospect(email=leads[0].email, output=buffer, by=request.user)
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="prospect-{leads[0].pk}.zip"'
        return response

    def has_export_copy_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def tell_outcome(self, request, *, changed: int, already: int, done: tuple, skipped: tuple) -> None:
        """'3 leads …; 1 already …' after a bulk action: `done` and `skipped` are (singular,
        plural) messages with %(n)d."""
        text = f"{ngettext(*done, changed) % {'n': changed}}; {ngettext(*skipped, already) % {'n': already}}"
        self.message_user(request, text, messages.SUCCESS if changed else messages.INFO)

    @admin.action(description="Assign to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        self.assign(request, queryset, request.user)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        """The declared actions, then "Assign to me" and one "Assign to <name>" per active
        attorney, for whoever may change leads."""
        actions = super().get_actions(request, action_location=action_location)
        if action_location != ActionLocation.CHANGE_LIST or not self.has_change_permission(request):
            return actions
        attorneys = attorneys_for(request)
        if request.user not in attorneys:
            actions.pop("assign_to_me", None)
        for attorney in attorneys:
            if attorney != request.user:
                name = f"assign_to_{attorney.pk.hex}"
                description = f"Assign to {attorney_label(attorney)}"
                actions[name] = Action(
                    func=self.assign_action(attorney),
                    name=name,
                    description=description,
                    plural_description=description,
                    locations=[ActionLocation.CHANGE_LIST],
                )
        return actions

    def assign_action(self, attorney: User):
        """The bulk action that assigns the selected leads to `attorney`."""

        def action(modeladmin, request, queryset):
            modeladmin.assign(request, queryset, attorney)

        return action

    def assign(self, request, queryset, to: User) -> None:
        selected = queryset.count()
        try:
            changed = services.assign_leads(leads=queryset, to=to, by=request.user)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return
        self.tell_outcome(
            request,
            changed=changed,
            already=selected - changed,
            done=(f"%(n)d lead assigned to {to.username}", f"%(n)d leads assigned to {to.username}"),
            skipped=("%(n)d already was.", "%(n)d already were."),
        )

    # --- the lead page: changes through the services; no add; delete with the files -------

    def has_add_permission(self, request):
        # Leads come from prospects (the form) and integrations (the API), through submit_lead.
        return False

    def save_model(self, request, obj, form, change):
        # The same service as the API's PATCH: names and email saved, status moved through
        # the recorded transitions (never written here), only what the form changed.
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in self.EDITABLE}
        services.update_lead(lead=obj, by=request.user, **changes)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            # ?timeline=all (the "show all" link) reads the whole history.
            limit = None if request.GET.get("timeline") == "all" else TIMELINE_LIMIT
            can_change = self.has_change_permission(request, obj)
            timeline = selectors.timeline(obj, limit=limit)
            context.update(
                # The page is titled with the prospect's name; str(lead), which the admin log
                # keeps, stays nameless.
                title=obj.full_name or "Unnamed lead",
                subtitle=None,
                timeline=timeline,
                timeline_events=timeline_html(
                    timeline.events,
                    resume_url=self.url_for("resume", obj),
                    viewer=request.user,
                ),
                assignee=attorney_label(obj.assigned_to) if obj.assigned_to else None,
                reached_out_by=attorney_label(obj.reached_out_by) if obj.reached_out_by else None,
                # "Español", or the code of a language no longer offered.
                language_name=dict(settings.LANGUAGES).get(obj.language, obj.language),
                resume_link=self.resume_link(obj),
                resume_text=self.extracted_text(obj),
                note_url=self.url_for("note", obj) if can_change else None,
                note_max_chars=NOTE_MAX_CHARS,
                reach_out_url=self.url_for("reach_out", obj)
                if can_change and obj.status == Lead.Status.PENDING
                else None,
                assign_url=self.url_for("assign", obj) if can_change else None,
                assign_form=LeadAssignForm(lead=obj) if can_change else None,
                # Only for who may open the deliveries list: no link on the page ends in a 403.
                deliveries_url=reverse(f"{self.admin_site.name}:leads_delivery_changelist")
                + f"?lead__id__exact={obj.pk}"
                if request.user.has_perm("leads.view_delivery")
                else None,
                outcome={
                    "close_url": self.url_for("close", obj) if can_change and not obj.is_closed else None,
                    "reopen_url": self.url_for("reopen", obj) if can_change and obj.is_closed else None,
                    "reopens_to": Lead.Status(obj.status_before_close or Lead.Status.PENDING).label.lower(),
                    "reason_max": OUTCOME_REASON_MAX_CHARS,
                    "referred_to_max": REFERRED_TO_MAX_CHARS,
                },
                answers=selectors.answers_of(obj),
            )
            context["response_due"] = selectors.response_due(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def response_change(self, request, obj):
        # 'The lead "Ada Lovelace" was changed': the message names the prospect; the log entry,
        # written before this, keeps str(obj), which names nobody.
        return super().response_change(request, NamedLead(obj))

    def url_for(self, view: str, lead: Lead) -> str:
        """The URL of one of this admin's views of `lead` (change, resume, note, reach_out)."""
        return reverse(f"{self.admin_site.name}:leads_lead_{view}", args=[lead.pk])

    def get_deleted_objects(self, objs, request):
        # Deliveries, history and the rest go with their lead (services.delete_leads). Their
        # own admins refuse deleting them one by one; that must not stop deleting the lead.
        deleted, counts, _, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected

    def delete_model(self, request, obj):
        services.trash_leads(leads=Lead.objects.filter(pk=obj.pk), by=request.user)

    def delete_queryset(self, request, queryset):
        services.trash_leads(leads=queryset, by=request.user)

    # --- the list page: counts per status above it, the date links ------------------------

    def changelist_view(self, request, extra_context=None):
        # One query, run when the page renders (an action's redirect skips it): exact counts on
        # a small table, pg_stats' estimate on a large one, and the first and last lead's dates.
        extra_context = {**(extra_context or {}), "lead_summary": SimpleLazyObject(selectors.lead_summary)}
        return super().changelist_view(request, extra_context=extra_context)

    # --- extra pages --------------------------------------------------------------------

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        extra = [
            path("dashboard/", self.admin_site.admin_view(self.dashboard_view), name=f"{prefix}_dashboard"),
            path("export/", self.admin_site.admin_view(self.export_view), name=f"{prefix}_export"),
            path("<uuid:object_id>/resume/", never_cache(self.resume_view), name=f"{prefix}_resume"),
            path("<uuid:object_id>/note/", self.admin_site.admin_view(self.note_view), name=f"{prefix}_note"),
            path(
                "<uuid:object_id>/assign/",
                self.admin_site.admin_view(self.assign_view),
                name=f"{prefix}_assign",
            ),
            path(
                "<uuid:object_id>/close/", self.admin_site.admin_view(self.close_view), name=f"{prefix}_close"
            ),
            path(
                "<uuid:object_id>/reopen/",
                self.admin_site.admin_view(self.reopen_view),
                name=f"{prefix}_reopen",
            ),
            path(
                "<uuid:object_id>/reach-out/",
                self.admin_site.admin_view(self.reach_out_view),
                name=f"{prefix}_reach_out",
            ),
        ]
        # Before the defaults: their "<path:object_id>/" would swallow "<id>/resume/".
        return extra + super().get_urls()

    def resume_view(self, request, object_id):
        """A resume (`?resubmission=<id>`: that resubmission's) as an attachment, the download
        recorded: anonymous -> login page, no staff `view_lead` -> 403."""
        if not request.user.is_authenticated:
            login_url = reverse(f"{self.admin_site.name}:login")
            return redirect_to_login(request.get_full_path(), login_url)
        if not (request.user.is_active and request.user.is_staff and self.has_view_permission(request)):
            raise PermissionDenied
        lead = self.get_object(request, str(object_id))
        if lead is None:
            raise Http404("No such lead.")
        return resume_response(
            lead,
            resubmission_id=request.GET.get("resubmission"),
            by=request.user,
            via=ResumeDownload.Via.ADMIN,
        )

    @method_decorator(require_POST)
    def note_view(self, request, object_id):
        """POST: the note form under the timeline -> services.add_note, back to the lead page."""
        lead = self.lead_to_change(request, object_id)
        try:
            services.add_note(lead=lead, author=request.user, body=request.POST.get("body", ""))
        except ValidationError as exc:
            self.message_user(request, f"The note was not added: {' '.join(exc.messages)}", messages.ERROR)
        else:
            self.message_user(request, "Note added.", messages.SUCCESS)
        return HttpResponseRedirect(self.url_for("change", lead) + "#timeline")

    @method_decorator(require_POST)
    def reach_out_view(self, request, object_id):
        """POST: the lead page's one "Mark as reached out" button -> services.reach_out."""
        lead = self.lead_to_change(request, object_id)
        already = lead.status == Lead.Status.REACHED_OUT
        services.reach_out(lead=lead, by=request.user)
        if already:
            self.message_user(request, "This lead was already reached out.", messages.INFO)
        else:
            self.message_user(request, "Marked as reached out.", messages.SUCCESS)
        return HttpResponseRedirect(self.url_for("change", lead))

    @method_decorator(require_POST)
    def assign_view(self, request, object_id):
        """POST: the lead page's "Assign" form -> services.assign_leads, back to the lead page."""
        lead = self.lead_to_change(request, object_id)
        form = LeadAssignForm(request.POST, lead=lead)
        if not form.is_valid():
            errors = " ".join(message for messages_ in form.errors.values() for message in messages_)
            self.message_user(request, f"The lead was not assigned: {errors}", messages.ERROR)
            return HttpResponseRedirect(self.url_for("change", lead))
        to = form.cleaned_data["assigned_to"]
        try:
            changed = services.assign_leads(leads=Lead.objects.filter(pk=lead.pk), to=to, by=request.user)
        except ValidationError as exc:
            self.message_user(request, f"The lead was not assigned: {' '.join(exc.messages)}", messages.ERROR)
        else:
            done = (f"Assigned to {to.username}." if to else "Unassigned.") if changed else None
            if done:
                self.message_user(request, done, messages.SUCCESS)
            else:
                self.message_user(
                    request, "Nothing changed: the lead already had that assignee.", messages.INFO
                )
        return HttpResponseRedirect(self.url_for("change", lead))

    @method_decorator(require_POST)
    def close_view(self, request, object_id):
        """POST: one of the lead page's outcome buttons -> services.close_lead."""
        lead = self.lead_to_change(request, object_id)
        try:
            services.close_lead(
                lead=lead,
                outcome=request.POST.get("outcome", ""),
                reason=request.POST.get("reason", ""),
                referred_to=request.POST.get("referred_to", ""),
                send_letter=bool(request.POST.get("send_letter")),
                by=request.user,
            )
        except ValidationError as exc:
            self.message_user(request, f"The lead was not closed: {' '.join(exc.messages)}", messages.ERROR)
        else:
            letter = " The non-engagement letter is queued." if request.POST.get("send_letter") else ""
            self.message_user(
                request, f"Closed as {lead.get_status_display().lower()}.{letter}", messages.SUCCESS
            )
        return HttpResponseRedirect(self.url_for("change", lead))

    @method_decorator(require_POST)
    def reopen_view(self, request, object_id):
        """POST: the lead page's "Reopen" button -> services.reopen_lead."""
        lead = self.lead_to_change(request, object_id)
        try:
            services.reopen_lead(lead=lead, by=request.user)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.INFO)
        else:
            self.message_user(request, f"Reopened: {lead.get_status_display().lower()}.", messages.SUCCESS)
        return HttpResponseRedirect(self.url_for("change", lead))

    def lead_to_change(self, request, object_id) -> Lead:
        """The lead `object_id` if the user may change leads: else 403, or 404 if none."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        lead = self.get_object(request, str(object_id))
        if lead is None:
            raise Http404("No such lead.")
        return lead

    def dashboard_view(self, request):
        """The intake funnel: leads per week, median time to reach out, pending leads, and
        each attorney's leads and reach-outs over the same quarter."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist_url = reverse(f"{self.admin_site.name}:leads_lead_changelist")
        quarter_ago = timezone.now() - timedelta(weeks=QUARTER_WEEKS)
        # From midnight (UTC): whole days, which the conversion report sums from its rollup.
        quarter_start = quarter_ago.replace(hour=0, minute=0, second=0, microsecond=0)
        funnel = selectors.funnel(weeks=QUARTER_WEEKS, pending_days=PENDING_AGES_DAYS, newest=NEWEST_PENDING)
        practice_areas = selectors.practice_area_figures()
        # The conversion report keys areas by slug (as the API does); people read their names.
        area_names = {row["slug"]: row["name"] for row in practice_areas if row["slug"]}
        by_area = selectors.conversion(by="practice_area", created_after=quarter_start)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Intake funnel",
            "funnel": funnel,
            "chart": weekly_chart(funnel.weeks),
            "median_display": format_duration(funnel.median_seconds),
            "attorneys": selectors.figures_per_attorney(since=quarter_ago),
            "within_target": selectors.within_target_per_attorney(),
            "within_target_days": selectors.WITHIN_TARGET_DAYS,
            "conversion": {
                "since": quarter_start,
                "tables": [
                    {
                        "by": "source",
                        "label": "source",
                        "none": "no source",
                        "rows": selectors.conversion(by="source", created_after=quarter_start),
                    },
                    {
                        "by": "practice_area",
                        "label": "practice area",
                        "none": "no practice area",
                        "rows": [replace(row, key=area_names.get(row.key, row.key)) for row in by_area],
                    },
                ],
            },
            "practice_areas": practice_areas,
            "deliveries": {
                **Delivery.objects.outcomes_since(timezone.now() - timedelta(days=7)),
                "oldest_queued": Delivery.objects.oldest_queued(),
                "changelist_url": reverse(f"{self.admin_site.name}:leads_delivery_changelist"),
            },
            "changelist_url": changelist_url,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/leads/lead/dashboard.html", context)

    def export_view(self, request):
        """The list as filtered and searched on screen, as a streamed CSV file."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            changelist_url = reverse(f"{self.admin_site.name}:leads_lead_changelist")
            return HttpResponseRedirect(f"{changelist_url}?e=1")
        return csv_response(changelist.queryset)
