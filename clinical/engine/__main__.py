"""Command line for the clinical engine: ``python -m clinical.engine <command>``.

``validate`` checks the knowledge base and prints what it holds (exit status 1 when it does not
load), so a data change can be checked before any test runs. ``diagnose`` and ``prescribe`` run
one request from a JSON file (or ``-`` for standard input) and print its events as JSON lines,
exactly as the service would stream them minus session, sequence and timestamp; an invalid request
prints the validation error and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from clinical.engine.contract.errors import EngineValidationError, KnowledgeBaseError
from clinical.engine.knowledge.loader import load_knowledge_base


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


def _read_request(path: str) -> Any:
    """The request's ``data``: the file may hold the data itself or a whole protocol message."""
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    document = json.loads(text)
    if isinstance(document, dict) and "type" in document and "data" in document:
        return document["data"]
    return document


def _print_events(run: Callable[[Any], Iterator[dict[str, Any]]], path: str) -> int:
    try:
        data = _read_request(path)
    except (OSError, ValueError) as error:
        print(f"cannot read {path}: {error}", file=sys.stderr)
        return 1
    try:
        stream = run(data)
    except EngineValidationError as error:
        report = {"error": error.message, "code": "validation_error", "details": error.details}
        print(json.dumps(report, ensure_ascii=False), file=sys.stderr)
        return 2
    for event in stream:
        print(json.dumps(event, ensure_ascii=False))
    return 0


def _diagnose(arguments: argparse.Namespace) -> int:
    from clinical.engine.diagnosis.stream import diagnose

    knowledge_base = load_knowledge_base(arguments.knowledge)
    return _print_events(lambda data: diagnose(data, knowledge_base), arguments.request)


def _prescribe(arguments: argparse.Namespace) -> int:
    from clinical.engine import prescribe

    return _print_events(prescribe, arguments.request)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m clinical.engine",
        description="medstream's clinical engine: check the knowledge base, run one request.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check the knowledge base and print counts")
    validate.set_defaults(run=_validate)
    diagnose = commands.add_parser("diagnose", help="print a diagnosis stream as JSON lines")
    diagnose.set_defaults(run=_diagnose)
    prescribe = commands.add_parser("prescribe", help="print a prescription stream as JSON lines")
    prescribe.set_defaults(run=_prescribe)
    for command in (diagnose, prescribe):
        command.add_argument("request", help="JSON file with the request data ('-' for stdin)")
    for command in (validate, diagnose):
        command.add_argument(
            "--knowledge", type=Path, default=None, help="knowledge base folder (default: bundled)"
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    return arguments.run(arguments)


if __name__ == "__main__":
    sys.exit(main())
