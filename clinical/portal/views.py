"""Portal pages: one login-protected page that hosts the ES-module front end.

The page itself holds no clinical data: it carries the signed-in user's id (for the socket
path), the request bounds for client-side validation, and an import map that points each module
at its hashed static file, so a deploy never mixes old and new modules from the browser cache.
"""

from __future__ import annotations

import json
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from clinical import patients
from clinical.engine import CONSCIOUSNESS_LEVELS, display_labels, request_bounds
from clinical.streams.access import REVIEW_PERMISSION

MODULES_DIR = Path(__file__).resolve().parent.parent / "static" / "portal" / "js"
# JSON inside <script> must not be able to close the element or open a comment.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def module_import_map() -> dict[str, dict[str, str]]:
    """``{"imports": {plain URL: hashed URL}}`` for every module whose stored name differs."""
    imports = {}
    for module in sorted(MODULES_DIR.glob("*.js")):
        name = f"portal/js/{module.name}"
        plain, stored = f"{staticfiles_storage.base_url}{name}", staticfiles_storage.url(name)
        if plain != stored:
            imports[plain] = stored
    return {"imports": imports} if imports else {}


@lru_cache(maxsize=1)
def import_map_script() -> str:
    """The import map as script text, or "" when no module is renamed (plain storage).

    Computed once per process: the manifest does not change while the process runs.
    """
    imports = module_import_map()
    return json.dumps(imports).translate(_SCRIPT_ESCAPES) if imports else ""


def page_config(request: HttpRequest, session_id: uuid.UUID | None) -> dict[str, Any]:
    user = request.user
    return {
        "user": {
            "id": user.pk,
            "username": user.get_username(),
            "name": user.get_full_name() or user.get_username(),
            "reviewer": user.has_perm(REVIEW_PERMISSION),
        },
        "socketPath": f"/ws/{user.pk}/",
        "loginUrl": "/accounts/login/",
        "sessionId": str(session_id) if session_id else None,
        "bounds": {**request_bounds(), "patient": patients.bounds()},
        "consciousness": list(CONSCIOUSNESS_LEVELS),
        "measures": display_labels(),
    }


@require_GET
@login_required
def portal(request: HttpRequest, session_id: uuid.UUID | None = None) -> HttpResponse:
    """The portal; ``/sessions/<id>/`` opens that session (the page resolves it over the API)."""
    context = {
        "config": page_config(request, session_id),
        # Escaped JSON of static URLs only, so it is safe to place inside a script element.
        "import_map": mark_safe(import_map_script()),
    }
    return render(request, "portal/index.html", context)


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which a browser asks of pages that name no icon (the admin's, the API
    docs'): the portal's icon, instead of a 404 in every console. Not a permanent redirect: the
    icon's hashed name changes with a deploy."""
    return HttpResponseRedirect(static("portal/favicon.svg"))
