"""The page's static files exist, the modules' imports resolve, and hashed names are mapped."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

from clinical.portal import views

pytestmark = pytest.mark.django_db

MODULES = sorted(views.MODULES_DIR.glob("*.js"))
IMPORT = re.compile(r'^\s*import\s[^;]*?from\s+"(\./[\w-]+\.js)";', re.M | re.S)


def test_every_static_file_the_page_names_is_found(browser_as, clinician):
    page = browser_as(clinician).get("/").content.decode()

    names = re.findall(r'(?:href|src)="/static/([^"]+)"', page)

    assert "portal/portal.css" in names
    assert "portal/js/main.js" in names
    assert all(finders.find(name) for name in names)


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_each_module_imports_only_modules_that_exist(module: Path):
    imports = IMPORT.findall(module.read_text())

    missing = [name for name in imports if not (module.parent / name).is_file()]

    assert missing == []


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_no_module_assigns_html(module: Path):
    """Every server string is rendered as text: no innerHTML, outerHTML or insertAdjacentHTML."""
    source = module.read_text()

    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", source)


def test_the_import_map_points_each_module_at_its_hashed_file(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)

    imports = views.module_import_map()["imports"]

    assert set(imports) == {f"/static/portal/js/{module.name}" for module in MODULES}
    for plain, hashed in imports.items():
        assert re.fullmatch(re.escape(plain[:-3]) + r"\.[0-9a-f]{12}\.js", hashed)
        assert (tmp_path / hashed.removeprefix("/static/")).is_file()


def test_the_import_map_is_escaped_for_a_script_element():
    text = json.dumps({"imports": {"/a</script>": "/b"}}).translate(views._SCRIPT_ESCAPES)

    assert "</script>" not in text
    assert json.loads(text) == {"imports": {"/a</script>": "/b"}}
