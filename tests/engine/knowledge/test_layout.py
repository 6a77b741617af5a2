"""The knowledge base is filed by what entries are, not by when they were added: a condition in
the file of its body system, a regimen beside its condition's, and no catch-all file."""

from __future__ import annotations

from pathlib import Path

import yaml

from clinical.engine.knowledge.loader import KNOWLEDGE_DIR, KnowledgeBase

CATCH_ALL = ("coverage", "extra", "misc", "other", "new", "more")


def _entries(kind: str) -> dict[str, list[dict]]:
    return {
        path.stem: yaml.safe_load(path.read_text(encoding="utf-8"))[kind] or []
        for path in sorted((KNOWLEDGE_DIR / kind).glob("*.yaml"))
    }


def test_each_condition_is_in_the_file_of_its_body_system() -> None:
    misfiled = [
        f"{condition['id']} ({condition['system']}) in conditions/{stem}.yaml"
        for stem, conditions in _entries("conditions").items()
        for condition in conditions
        if condition["system"] != stem
    ]
    assert misfiled == []


def test_each_regimen_is_beside_its_condition(knowledge_base: KnowledgeBase) -> None:
    misfiled = [
        f"{regimen['condition']} in regimens/{stem}.yaml"
        for stem, regimens in _entries("regimens").items()
        for regimen in regimens
        if knowledge_base.conditions[regimen["condition"]].system != stem
    ]
    assert misfiled == []


def test_no_file_is_a_catch_all() -> None:
    names = [path.stem for path in Path(KNOWLEDGE_DIR).rglob("*.yaml")]
    assert [name for name in names if any(word in name.split("_") for word in CATCH_ALL)] == []
