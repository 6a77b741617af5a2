"""Shared fixtures for the engine tests: the bundled knowledge base and writable copies of it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from clinical.engine.knowledge.loader import KNOWLEDGE_DIR, KnowledgeBase, load_knowledge_base


class KnowledgeCopy:
    """A private copy of the bundled knowledge base that a test may edit or break."""

    def __init__(self, root: Path) -> None:
        self.root = root
        shutil.copytree(KNOWLEDGE_DIR, root)

    def read(self, relative: str) -> Any:
        return yaml.safe_load((self.root / relative).read_text(encoding="utf-8"))

    def write(self, relative: str, document: Any) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
        path.write_text(text, encoding="utf-8")

    def write_text(self, relative: str, text: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def edit(self, relative: str, change: Callable[[Any], None]) -> None:
        """Load a file, let ``change`` alter the document in place, write it back."""
        document = self.read(relative)
        change(document)
        self.write(relative, document)


@pytest.fixture(scope="session")
def knowledge_base() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture
def kb_copy(tmp_path: Path) -> KnowledgeCopy:
    return KnowledgeCopy(tmp_path / "knowledge")
