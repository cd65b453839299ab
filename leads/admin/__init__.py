"""The attorneys' side in the Django admin, one module per admin: the leads (list, lead page,
their dashboard and CSV export), deliveries, trapped submissions, webhook subscriptions,
non-engagement letters, the trash.
Importing this package registers them (Django's autodiscovery imports `leads.admin`)."""

from . import deliveries, intake_form, leads, letters, trapped, trash, webhooks  # noqa: F401 (each registers its ModelAdmin)
