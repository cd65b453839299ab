"""A bare admin for the lead list: Django's stock ModelAdmin over the same columns, searched
columns (so the same trigram and full-text indexes) and ordering as LeadAdmin, and nothing
else: Django's paginator with its COUNT(*), the full result count, no counts per status, no
dashboard. The floor for the product's changelist and admin search (bench/run.py)."""

from django.contrib import admin

from leads.models import Lead


class BareLeadAdmin(admin.ModelAdmin):
    list_display = ["first_name", "last_name", "email", "status", "created_at", "reached_out_at"]
    # The same four columns LeadAdmin searches: the names and the email (trigram indexes) and
    # the resume's words (lead_search_vector_gin; Django's `exact` on a SearchVectorField is
    # `@@ plainto_tsquery`). Without the last, the floor would search less than the product.
    search_fields = ["first_name", "last_name", "email", "search_vector__exact"]
    ordering = ["-created_at", "-id"]
    list_select_related = ["reached_out_by"]
    list_per_page = 50
    # Django's own template, not the product's override for this model (its counts and links).
    change_list_template = "admin/change_list.html"


site = admin.AdminSite(name="bench_admin")
site.register(Lead, BareLeadAdmin)
