"""Deliveries in the admin: every email and webhook call, what became of it, and a retry."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import ngettext

from . import services
from .models import Delivery
from .pagination import OneQueryListAdmin


def status_badge(delivery: Delivery) -> str:
    """The status as a badge, as the lead list shows a lead's."""
    return format_html(
        '<span class="delivery-status delivery-status--{}" data-status="{}">{}</span>',
        delivery.status,
        delivery.status,
        delivery.get_status_display(),
    )


@admin.register(Delivery)
class DeliveryAdmin(OneQueryListAdmin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "recipient_display", "lead_link", "status_display", "attempts",
                    "error_display", "sent_at"]  # fmt: skip
    list_filter = ["status", "channel", "kind"]
    # Newest first (delivery_created_idx; with a status, delivery_status_idx).
    ordering = ["-created_at", "-id"]
    sortable_by = ["created_at"]
    list_select_related = ["lead"]
    list_per_page = 50
    show_full_result_count = False
    # Deliveries grow with the leads: counted and paged as the lead list is, in one query.
    show_facets = admin.ShowFacets.NEVER
    actions = ["retry_selected"]
    fields = ["kind", "channel", "recipient", "lead_link", "status_display", "attempts", "last_error",
              "last_status_code", "created_at", "updated_at", "next_attempt_at", "sent_at"]  # fmt: skip
    readonly_fields = fields

    class Media:
        css = {"all": ["css/admin-leads.css"]}

    @admin.display(description="recipient", ordering="recipient")
    def recipient_display(self, delivery: Delivery) -> str:
        return delivery.recipient or "—"

    @admin.display(description="lead")
    def lead_link(self, delivery: Delivery) -> str:
        if delivery.lead is None:
            return "—"
        url = reverse(f"{self.admin_site.name}:leads_lead_change", args=[delivery.lead.pk])
        return format_html('<a href="{}">{}</a>', url, delivery.lead.full_name)

    @admin.display(description="status")
    def status_display(self, delivery: Delivery) -> str:
        return status_badge(delivery)

    @admin.display(description="last error")
    def error_display(self, delivery: Delivery) -> str:
        return Truncator(delivery.last_error).chars(80) or "—"

    @admin.action(description="Retry selected", permissions=["change"])
    def retry_selected(self, request, queryset):
        retried = services.retry_deliveries(deliveries=queryset)
        skipped = queryset.count() - retried
        done = ngettext("%(n)d failed delivery queued again", "%(n)d failed deliveries queued again", retried)
        note = "" if not skipped else f"; {skipped} not failed, left as they were"
        self.message_user(
            request, f"{done % {'n': retried}}{note}.", messages.SUCCESS if retried else messages.INFO
        )

    def has_add_permission(self, request):
        return False  # deliveries come from the outbox, never by hand

    def has_delete_permission(self, request, obj=None):
        return False  # the record of what was sent; it goes with its lead
