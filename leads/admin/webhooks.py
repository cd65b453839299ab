"""Webhook subscriptions in the admin: list, add (the secret shown once), change, delete.

Superusers, or staff with the `leads.*_webhookendpoint` model permissions. Every change goes
through leads.services.
"""

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import reverse

from leads import services
from leads.models import WebhookEndpoint
from leads.worker import webhooks


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(
        label="URL",
        max_length=2000,
        validators=[webhooks.validate_url],
        help_text="https:// only, and its host must resolve to public addresses.",
    )
    events = forms.MultipleChoiceField(
        choices=WebhookEndpoint.Event.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "events", "is_active"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "events_display", "is_active", "created_at", "created_by"]
    list_filter = ["is_active"]
    list_select_related = ["created_by"]
    ordering = ["created_at", "id"]

    @admin.display(description="events")
    def events_display(self, endpoint: WebhookEndpoint) -> str:
        return ", ".join(endpoint.events)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["url", "events"]
        return ["url", "events", "is_active", "created_at", "created_by"]

    def get_readonly_fields(self, request, obj=None):
        # The URL is what the secret was handed out for: subscribe a new one instead.
        return [] if obj is None else ["url", "created_at", "created_by"]

    def save_model(self, request, obj, form, change):
        if change:
            services.update_webhook_endpoint(
                endpoint=obj, events=form.cleaned_data["events"], is_active=form.cleaned_data["is_active"]
            )
            return
        created = services.create_webhook_endpoint(
            url=form.cleaned_data["url"], events=form.cleaned_data["events"], by=request.user
        )
        # The admin logs the addition and answers with `obj`: make it the row just written.
        obj.pk = created.pk
        obj.refresh_from_db()

    def response_add(self, request, obj, post_url_continue=None):
        """The new secret, shown on this page only: it is kept nowhere a page could show it
        again (no message cookie, no session)."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Webhook subscription added",
            "endpoint": obj,
            "changelist_url": reverse(f"{self.admin_site.name}:leads_webhookendpoint_changelist"),
        }
        return TemplateResponse(request, "admin/leads/webhookendpoint/secret.html", context)

    def delete_model(self, request, obj):
        services.delete_webhook_endpoints(endpoints=WebhookEndpoint.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.delete_webhook_endpoints(endpoints=queryset)
