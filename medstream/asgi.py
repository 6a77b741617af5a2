"""ASGI entry point: HTTP through Django, WebSockets through Channels with cookie sessions.

Served by daphne, started either way (``python -m medstream.serve`` or ``daphne
medstream.asgi:application``): loading this module adapts the daphne that imports it
(``medstream.launch``). Another ASGI server cannot send the close codes, reasons and frame
limits the protocol promises, so starting under one fails at once, naming the right command.
"""

from __future__ import annotations

import os
import sys

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medstream.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from clinical import engine  # noqa: E402
from clinical.layer_guard import ChannelLayerGuard  # noqa: E402
from clinical.routing import websocket_urlpatterns  # noqa: E402
from medstream.launch import adapt_daphne, refuse_other_servers  # noqa: E402

refuse_other_servers(sys.modules)
if "daphne.server" in sys.modules:
    adapt_daphne()

# Load and validate the knowledge base now, so a broken one stops the worker at start, not
# the first clinician's stream.
engine.engine_version()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": ChannelLayerGuard(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
