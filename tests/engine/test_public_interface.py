"""The service reaches the engine only through ``clinical.engine`` itself: no module outside the
engine imports one of its submodules, and every name the package offers is in ``__all__``.

Tests and benchmarks may reach inside (they test and time the parts); the product may not, so
that the packages behind the interface can be rearranged without touching the service.
"""

from __future__ import annotations

import ast
from pathlib import Path

import clinical.engine

ROOT = Path(__file__).resolve().parents[2]
SERVICE = [ROOT / "clinical", ROOT / "medstream", ROOT / "devtools", ROOT / "scripts"]
ENGINE_DIR = Path(clinical.engine.__file__).parent


def _service_modules() -> list[Path]:
    return [
        path
        for folder in SERVICE
        for path in sorted(folder.rglob("*.py"))
        if ENGINE_DIR not in path.parents
    ]


def _engine_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            found += [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return [name for name in found if name.startswith("clinical.engine")]


def _reaches_inside(name: str) -> bool:
    parts = name.split(".")
    if len(parts) <= 2:
        return False
    inside = parts[2]
    return inside not in clinical.engine.__all__


def test_there_are_service_modules_to_check() -> None:
    assert len(_service_modules()) > 50


def test_no_service_module_imports_an_engine_submodule() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _service_modules()
        for name in _engine_imports(path)
        if _reaches_inside(name)
    ]
    assert offenders == []


def test_the_check_catches_a_submodule_import(tmp_path: Path) -> None:
    module = tmp_path / "probe.py"
    module.write_text("from clinical.engine.note import read_note\nimport clinical.engine.x\n")
    assert [name for name in _engine_imports(module) if _reaches_inside(name)] == [
        "clinical.engine.note",
        "clinical.engine.note.read_note",
        "clinical.engine.x",
    ]


def test_every_public_name_is_defined() -> None:
    missing = [name for name in clinical.engine.__all__ if not hasattr(clinical.engine, name)]
    assert missing == []
