"""A bare admin for the lead list: Django's stock ModelAdmin over the same columns, search
fields (so the same trigram indexes) and ordering as LeadAdmin, and nothing else: Django's
paginator with its COUNT(*), the full result count, no counts per status, no dashboard.
The floor for the product's changelist and admin search (bench/run.py)."""

from django.contrib import admin

from leads.models import Lead


class BareLeadAdmin(admin.ModelAdmin):
    list_display = ["first_name", "last_name", "email", "status", "created_at", "reached_out_at"]
    search_fields = ["first_name", "last_name", "email"]
    ordering = ["-created_at", "-id"]
    list_select_related = ["reached_out_by"]
    list_per_page = 50
    # Django's own template, not the product's override for this model (its counts and links).
    change_list_template = "admin/change_list.html"


site = admin.AdminSite(name="bench_admin")
site.register(Lead, BareLeadAdmin)
