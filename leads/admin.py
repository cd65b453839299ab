"""The attorneys' side: the lead list, the lead page, the resume download, the dashboard, the export.

Every status change goes through leads.services; this module only translates requests.
"""

from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import InvalidPage
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache

from . import services
from .dashboard import NEWEST_PENDING, PENDING_AGES_DAYS, QUARTER_WEEKS, format_duration, weekly_chart
from .downloads import resume_response
from .export import csv_response
from .models import Lead, StatusChange
from .pagination import LeadPaginator
from .templatetags.lead_admin import status_css


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


class StatusChangeInline(admin.TabularInline):
    """The lead's status history, oldest first; nobody edits history."""

    model = StatusChange
    fields = ["changed_at", "from_status", "to_status", "changed_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "status change"
    verbose_name_plural = "status history"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LeadChangeList(ChangeList):
    """The lead list takes its page and the page's count from one query (LeadPaginator).

    Django's own asks the paginator for the count first, then for the rows (two queries),
    and lists the whole queryset when it fits on a page; "show all" is not offered here.
    """

    def get_results(self, request):
        paginator = self.model_admin.get_paginator(request, self.queryset, self.list_per_page)
        try:
            page = paginator.page(self.page_num)
        except InvalidPage:
            raise IncorrectLookupParameters from None
        self.paginator, self.result_list, self.result_count = paginator, page.object_list, paginator.count
        self.full_result_count, self.show_full_result_count = None, False
        # Uncounted lists still offer the actions, as Django's do with show_full_result_count off.
        self.show_admin_actions = True
        self.can_show_all, self.multi_page = False, paginator.num_pages > 1


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "status_badge", "created_at", "reached_out_at", "reached_out_by"]
    list_display_links = ["name"]
    list_filter = ["status", ("created_at", admin.DateFieldListFilter), PendingOlderThanFilter]
    date_hierarchy = "created_at"
    search_fields = ["first_name", "last_name", "email"]
    search_help_text = "First name, last name or email; several words must all match."
    # Newest first, served by lead_created_idx / lead_status_created_idx; only the creation
    # time is sortable, because sorting a million rows by an unindexed column is a full sort.
    ordering = ["-created_at", "-id"]
    sortable_by = ["created_at"]
    list_select_related = ["reached_out_by"]
    list_per_page = 50
    show_full_result_count = False
    # Facet counts run one COUNT per filter choice over the list: seconds at a million rows.
    show_facets = admin.ShowFacets.NEVER
    paginator = LeadPaginator
    actions = ["mark_reached_out"]
    inlines = [StatusChangeInline]
    EDITABLE = ("first_name", "last_name", "email", "status")  # what services.update_lead takes
    fieldsets = [
        (None, {"fields": ["first_name", "last_name", "email", "status", "resume_link"]}),
        ("Reach-out", {"fields": ["reached_out_at", "reached_out_by"]}),
        ("Origin", {"fields": ["created_at", "updated_at", "source", "referrer"]}),
    ]
    readonly_fields = [
        "resume_link",
        "reached_out_at",
        "reached_out_by",
        "created_at",
        "updated_at",
        "source",
        "referrer",
    ]

    class Media:
        css = {"all": ["css/admin-leads.css"]}

    # --- list columns -------------------------------------------------------------------

    @admin.display(description="name")
    def name(self, lead: Lead) -> str:
        return lead.full_name

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

    # --- searching: the named read, once per word ---------------------------------------

    def get_search_results(self, request, queryset, search_term):
        for word in smart_split(search_term):
            if word[0] in "\"'" and word[0] == word[-1]:
                word = unescape_string_literal(word)
            queryset = queryset.search(word)
        return queryset, False

    # --- the bulk action ----------------------------------------------------------------

    @admin.action(description="Mark selected leads as reached out", permissions=["change"])
    def mark_reached_out(self, request, queryset):
        selected = queryset.count()
        changed = services.reach_out_many(leads=queryset, by=request.user)
        already = selected - changed
        done = ngettext("%(n)d lead marked as reached out", "%(n)d leads marked as reached out", changed)
        skipped = ngettext("%(n)d was already reached out.", "%(n)d were already reached out.", already)
        self.message_user(
            request,
            f"{done % {'n': changed}}; {skipped % {'n': already}}",
            messages.SUCCESS if changed else messages.INFO,
        )

    # --- the lead page: status through the service; no add; delete with the files ---------

    def has_add_permission(self, request):
        # Leads come from prospects (the form) and integrations (the API), through submit_lead.
        return False

    def save_model(self, request, obj, form, change):
        # The same service as the API's PATCH: names and email saved, status moved through
        # the recorded transitions (never written here), only what the form changed.
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in self.EDITABLE}
        services.update_lead(lead=obj, by=request.user, **changes)

    def delete_model(self, request, obj):
        services.delete_leads(leads=Lead.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.delete_leads(leads=queryset)

    # --- the list page: counts per status above it, the date links ------------------------

    def get_changelist(self, request, **kwargs):
        return LeadChangeList

    def changelist_view(self, request, extra_context=None):
        # One query, run when the page renders (an action's redirect skips it): exact counts on
        # a small table, pg_stats' estimate on a large one, and the first and last lead's dates.
        extra_context = {**(extra_context or {}), "lead_summary": SimpleLazyObject(Lead.objects.summary)}
        return super().changelist_view(request, extra_context=extra_context)

    # --- extra pages --------------------------------------------------------------------

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        extra = [
            path("dashboard/", self.admin_site.admin_view(self.dashboard_view), name=f"{prefix}_dashboard"),
            path("export/", self.admin_site.admin_view(self.export_view), name=f"{prefix}_export"),
            path("<uuid:object_id>/resume/", never_cache(self.resume_view), name=f"{prefix}_resume"),
        ]
        # Before the defaults: their "<path:object_id>/" would swallow "<id>/resume/".
        return extra + super().get_urls()

    def resume_view(self, request, object_id):
        """The resume as an attachment: anonymous -> login page, no staff `view_lead` -> 403."""
        if not request.user.is_authenticated:
            login_url = reverse(f"{self.admin_site.name}:login")
            return redirect_to_login(request.get_full_path(), login_url)
        if not (request.user.is_active and request.user.is_staff and self.has_view_permission(request)):
            raise PermissionDenied
        lead = self.get_object(request, str(object_id))
        if lead is None:
            raise Http404("No such lead.")
        return resume_response(lead)

    def dashboard_view(self, request):
        """The intake funnel: leads per week, median time to reach out, pending leads."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist_url = reverse(f"{self.admin_site.name}:leads_lead_changelist")
        funnel = Lead.objects.funnel(
            weeks=QUARTER_WEEKS, pending_days=PENDING_AGES_DAYS, newest=NEWEST_PENDING
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Intake funnel",
            "funnel": funnel,
            "chart": weekly_chart(funnel.weeks),
            "median_display": format_duration(funnel.median_seconds),
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
