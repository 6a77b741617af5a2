"""With DEBUG off the page loads every module by its hashed name (the import map at work), so
a browser never mixes modules from two deploys."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ROOT

pytestmark = pytest.mark.browser

HASHED = re.compile(r"/static/portal/js/[\w-]+\.[0-9a-f]{12}\.js$")
MODULES = {path.stem for path in (ROOT / "clinical" / "static" / "portal" / "js").glob("*.js")}


def test_every_module_is_loaded_by_its_hashed_name(open_portal):
    page = open_portal()
    loaded = page.evaluate(
        "performance.getEntriesByType('resource').map(entry => entry.name)"
        ".filter(name => name.includes('/static/portal/js/'))"
    )

    assert [name for name in loaded if not HASHED.search(name)] == []
    assert {name.rsplit("/", 1)[1].split(".")[0] for name in loaded} == MODULES
