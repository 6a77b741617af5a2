from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from clinical import health, metrics
from clinical.api.errors import UNKNOWN_ENDPOINT, unknown_endpoint

# A request Django refuses itself (a body over DATA_UPLOAD_MAX_MEMORY_SIZE read outside a DRF
# view, a bad Host) answers JSON in the protocol's shape under /api/, HTML elsewhere.
handler400 = "clinical.api.errors.bad_request"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/", include("clinical.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="clinical/api_docs.html"
        ),
        name="api-docs",
    ),
    # Last under /api/: a path naming no endpoint is a JSON 404 (no APPEND_SLASH redirect).
    re_path(r"^api/", unknown_endpoint, name=UNKNOWN_ENDPOINT),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("clinical.portal.urls")),
]
