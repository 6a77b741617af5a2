"""The engine imports nothing from Django, Channels, asyncio or the network (docs/design.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import clinical.engine

ENGINE_DIR = Path(clinical.engine.__file__).parent
FORBIDDEN = ("django", "channels", "asyncio", "socket", "rest_framework", "redis", "http", "urllib")


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    modules: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.append(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__":
            modules.extend(arg.value for arg in node.args[:1] if isinstance(arg, ast.Constant))
    return modules


def test_the_engine_has_python_modules_to_check() -> None:
    assert len(list(ENGINE_DIR.rglob("*.py"))) >= 5


def test_no_engine_module_imports_django_channels_asyncio_or_the_network() -> None:
    offenders = [
        f"{path.relative_to(ENGINE_DIR)} imports {module}"
        for path in sorted(ENGINE_DIR.rglob("*.py"))
        for module in _imported_modules(path)
        if module.split(".")[0] in FORBIDDEN
    ]
    assert offenders == []
