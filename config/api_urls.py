"""Routes under /api/v1/."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from accounts.api import MeView, ObtainTokenView
from leads.api.views import LeadViewSet

app_name = "api"

router = SimpleRouter()
router.register("leads", LeadViewSet, basename="lead")


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI with its script in a separate file and no inline style (CSP 'self')."""

    url_name = "api:schema"
    template_name = "api/swagger_ui.html"


urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="token"),
    path("users/me/", MeView.as_view(), name="me"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(), name="docs"),
    *router.urls,
]
