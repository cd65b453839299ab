"""Routes under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from config.api_docs import SchemaView, SwaggerView
from leads.api.accounts import MeView, ObtainTokenView
from leads.api.intake_form import IntakeFormView
from leads.api.reports import ConversionReportView
from leads.api.views import DeliveryViewSet, LeadViewSet, WebhookEndpointViewSet

app_name = "api"

router = SimpleRouter()
router.register("leads", LeadViewSet, basename="lead")
router.register("deliveries", DeliveryViewSet, basename="delivery")
router.register("webhooks", WebhookEndpointViewSet, basename="webhook")

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="token"),
    path("users/me/", MeView.as_view(), name="me"),
    path("reports/conversion/", ConversionReportView.as_view(), name="conversion-report"),
    path("intake-form/", IntakeFormView.as_view(), name="intake-form"),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(), name="docs"),
    *router.urls,
]
