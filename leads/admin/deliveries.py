"""Deliveries in the admin: every email and webhook call, what became of it, and a retry."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import ngettext

from leads import services
from leads.models import Delivery
from leads.recipients import shown_recipient

from .display import compact_time
from .lists import OneQueryListAdmin

ERROR_CHARS = 48


def recipient_shown_to(viewer):
    """A column and page field: the recipient as `viewer` may see it (leads.recipients)."""

    @admin.display(description="recipient")
    def recipient(delivery: Delivery) -> str:
        is_webhook = delivery.channel == Delivery.Channel.WEBHOOK
        return shown_recipient(delivery.recipient, is_webhook=is_webhook, viewer=viewer) or "—"

    return recipient


def status_badge(delivery: Delivery) -> str:
    """The status as a badge, as the lead list shows a lead's."""
    return format_html(
        '<span class="delivery-status delivery-status--{}" data-status="{}">{}</span>',
        delivery.status,
        delivery.status,
        delivery.get_status_display(),
    )


def with_viewer_s_recipient(names: list[str], request) -> list:
    """`names` with recipient_display replaced by recipient_shown_to(request.user), made once
    per request: the admin wants the same object in a page's fields and read-only fields."""
    if not hasattr(request, "_delivery_recipient"):
        request._delivery_recipient = recipient_shown_to(request.user)
    return [request._delivery_recipient if name == "recipient_display" else name for name in names]


@admin.register(Delivery)
class DeliveryAdmin(OneQueryListAdmin, admin.ModelAdmin):
    # recipient_display stands for the viewer's own view of the recipient (get_list_display,
    # get_fields): a webhook's URL is a secret from who may not view subscriptions.
    # Compact dates, a short error (the whole one on hover and on the delivery's page) and a
    # recipient that may wrap: the list fits a 1280 px screen beside its filters.
    list_display = ["created", "kind", "recipient_display", "lead_link", "status_display", "attempts",
                    "error_display", "sent"]  # fmt: skip
    list_filter = ["status", "channel", "kind"]
    # Newest first (delivery_created_idx; with a status, delivery_status_idx).
    ordering = ["-created_at", "-id"]
    sortable_by = ["created"]
    list_select_related = ["lead"]
    list_per_page = 50
    show_full_result_count = False
    # Deliveries grow with the leads: counted and paged as the lead list is, in one query.
    show_facets = admin.ShowFacets.NEVER
    actions = ["retry_selected"]
    fields = ["kind", "channel", "recipient_display", "lead_link", "status_display", "attempts", "last_error",
              "last_status_code", "created_at", "updated_at", "next_attempt_at", "sent_at"]  # fmt: skip
    readonly_fields = fields
    # What anyone who may see deliveries may see of a recipient; the viewer's own view takes
    # its place in each request's lists.
    recipient_display = staticmethod(recipient_shown_to(None))

    class Media:
        css = {"all": ["css/admin-leads.css"]}

    def get_queryset(self, request):
        # A trashed lead is in no list: its deliveries leave this one, and their pages, with it.
        return super().get_queryset(request).outside_trash()

    def get_list_display(self, request):
        return with_viewer_s_recipient(self.list_display, request)

    def get_fields(self, request, obj=None):
        return with_viewer_s_recipient(self.fields, request)

    def get_readonly_fields(self, request, obj=None):
        return with_viewer_s_recipient(self.readonly_fields, request)

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
        if not delivery.last_error:
            return "—"
        short = Truncator(delivery.last_error).chars(ERROR_CHARS)
        return format_html('<span title="{}">{}</span>', delivery.last_error, short)

    @admin.display(description="created", ordering="created_at")
    def created(self, delivery: Delivery) -> str:
        return format_html("<time>{}</time>", compact_time(delivery.created_at))

    @admin.display(description="sent")
    def sent(self, delivery: Delivery) -> str:
        return format_html("<time>{}</time>", compact_time(delivery.sent_at)) if delivery.sent_at else "—"

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
