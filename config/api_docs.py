"""The OpenAPI schema and Swagger UI views, answering their errors as JSON like the rest of /api/."""

from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiJsonRenderer2
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.renderers import JSONRenderer


class JSONErrorsMixin:
    """Render an error (405, 429, ...) as JSON whatever the view's own renderer is."""

    def handle_exception(self, exc):
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)


class SchemaView(JSONErrorsMixin, SpectacularAPIView):
    """OpenAPI 3 as JSON (application/json unless vnd.oai.openapi+json is asked for)."""

    renderer_classes = [OpenApiJsonRenderer2, OpenApiJsonRenderer]


class SwaggerView(JSONErrorsMixin, SpectacularSwaggerSplitView):
    """Swagger UI with its init script as a separate file and no inline style (CSP 'self')."""

    url_name = "api:schema"
    template_name = "api/swagger_ui.html"
