"""ASGI entry point: HTTP through Django, WebSockets through Channels with cookie sessions."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medstream.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from clinical import engine  # noqa: E402
from clinical.layer_guard import ChannelLayerGuard  # noqa: E402
from clinical.routing import websocket_urlpatterns  # noqa: E402

# Load and validate the knowledge base now, so a broken one stops the worker at start, not
# the first clinician's stream.
engine.engine_version()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": ChannelLayerGuard(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
