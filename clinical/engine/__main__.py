"""Command line for the clinical engine: ``python -m clinical.engine <command>``.

``validate`` checks the knowledge base and prints what it holds (exit status 1 when it does not
load), so a data change can be checked before any test runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from clinical.engine.errors import KnowledgeBaseError
from clinical.engine.knowledge_base import load_knowledge_base


def _validate(arguments: argparse.Namespace) -> int:
    try:
        knowledge_base = load_knowledge_base(arguments.knowledge)
    except KnowledgeBaseError as error:
        print(f"knowledge base invalid: {error}", file=sys.stderr)
        return 1
    for kind, count in knowledge_base.counts().items():
        print(f"{kind:<15} {count:>5}")
    print(f"engine_version  {knowledge_base.engine_version}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m clinical.engine", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check the knowledge base and print counts")
    validate.add_argument(
        "--knowledge", type=Path, default=None, help="knowledge base folder (default: bundled)"
    )
    validate.set_defaults(run=_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    return arguments.run(arguments)


if __name__ == "__main__":
    sys.exit(main())
