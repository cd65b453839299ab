"""The Trash in the admin: deleted leads (who deleted them, when, when they will be erased),
Restore for staff with `leads.delete_lead`, and Delete permanently for superusers. Every
change goes through leads.services."""

from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.utils.translation import ngettext

from leads import services
from leads.models import TrashedLead

from .display import compact_time


@admin.register(TrashedLead)
class TrashAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "status", "deleted", "deleted_by", "erased_on"]
    list_display_links = None
    # Oldest in the trash first: the next to be erased (lead_deleted_idx).
    ordering = ["deleted_at", "id"]
    sortable_by = []
    list_select_related = ["deleted_by"]
    list_per_page = 50
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    search_fields = ["first_name", "last_name", "email"]
    actions = ["restore_selected", "delete_permanently"]

    def get_queryset(self, request):
        return super().get_queryset(request).for_lists()

    def changelist_view(self, request, extra_context=None):
        days = settings.LEAD_TRASH_DAYS
        extra_context = {
            **(extra_context or {}),
            "subtitle": f"Deleted leads, restorable for {days} days after deletion; then erased for good.",
        }
        return super().changelist_view(request, extra_context=extra_context)

    @admin.display(description="name")
    def name(self, lead: TrashedLead) -> str:
        return lead.full_name

    @admin.display(description="deleted")
    def deleted(self, lead: TrashedLead) -> str:
        return compact_time(lead.deleted_at)

    @admin.display(description="erased on")
    def erased_on(self, lead: TrashedLead) -> str:
        return compact_time(lead.deleted_at + timedelta(days=settings.LEAD_TRASH_DAYS))

    @admin.action(description="Restore selected leads", permissions=["restore"])
    def restore_selected(self, request, queryset):
        restored = services.restore_leads(leads=queryset, by=request.user)
        self.message_user(
            request, ngettext("%(n)d lead restored.", "%(n)d leads restored.", restored) % {"n": restored}
        )

    @admin.action(description="Delete permanently", permissions=["purge"])
    def delete_permanently(self, request, queryset):
        erased = services.delete_leads(leads=queryset, announce=False)
        self.message_user(
            request,
            ngettext("%(n)d lead erased for good.", "%(n)d leads erased for good.", erased) % {"n": erased},
        )

    # Staff with delete_lead see the trash and restore from it; only superusers erase at once.
    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.has_perm("leads.delete_lead")

    def has_module_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def has_restore_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def has_purge_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
