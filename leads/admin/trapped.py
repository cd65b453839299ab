"""Honeypot hits in the admin: attorneys review what was typed and restore a real prospect."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext

from leads import services
from leads.models import TRAPPED_KEEP_DAYS, TrappedSubmission


@admin.register(TrappedSubmission)
class TrappedSubmissionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "name", "email", "has_resume", "source", "client_address"]
    # Newest first (trapped_created_idx); the table holds at most TRAPPED_KEEP_DAYS of hits.
    ordering = ["-created_at", "-id"]
    sortable_by = ["created_at"]
    list_per_page = 50
    show_facets = admin.ShowFacets.NEVER
    search_fields = ["first_name", "last_name", "email"]
    actions = ["restore_selected"]
    fields = ["created_at", "first_name", "last_name", "email", "has_resume", "source", "referrer",
              "client_address"]  # fmt: skip
    readonly_fields = fields

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "subtitle": f"Form submissions that filled the hidden field; kept {TRAPPED_KEEP_DAYS} days.",
        }
        return super().changelist_view(request, extra_context=extra_context)

    @admin.display(description="name")
    def name(self, trapped: TrappedSubmission) -> str:
        return f"{trapped.first_name} {trapped.last_name}".strip() or "—"

    @admin.display(description="resume", boolean=True)
    def has_resume(self, trapped: TrappedSubmission) -> bool:
        return bool(trapped.resume)

    @admin.action(description="Restore selected as leads", permissions=["restore"])
    def restore_selected(self, request, queryset):
        restored, refused = 0, []
        for trapped in queryset:
            try:
                services.restore_trapped_submission(trapped=trapped)
            except ValidationError as exc:
                refused.append(f"{trapped.email or 'no email'}: {' '.join(exc.messages)}")
            else:
                restored += 1
        if restored:
            done = ngettext(
                "%(n)d submission restored as a lead", "%(n)d submissions restored as leads", restored
            )
            self.message_user(
                request, f"{done % {'n': restored}} (an address on file became a resubmission)."
            )
        for reason in refused:
            self.message_user(request, f"Not restored, {reason}", messages.ERROR)

    def has_restore_permission(self, request) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")

    def has_add_permission(self, request):
        return False  # they come from the form's honeypot only

    def has_change_permission(self, request, obj=None):
        return False  # a record of what was typed; restoring makes a lead of it

    def has_delete_permission(self, request, obj=None):
        return False  # they go after TRAPPED_KEEP_DAYS (purge_leads), or when restored or erased
