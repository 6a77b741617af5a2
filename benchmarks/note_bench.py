"""Free-text note reading: milliseconds per note on one core, and what it adds to a diagnosis.

Workloads, each repeated until ``--seconds`` have passed (after a warm-up pass):

- ``read_note``: extraction alone over the note vignettes (tests/engine/cases/note_vignettes.yaml),
  reported per note and per 400 characters (the budget is 5 ms for a typical ~400-character note);
- ``diagnose(note)`` and ``diagnose(structured)``: the whole diagnosis stream for each vignette as
  a note and as its structured twin; the difference is what reading the note adds;
- ``cold start``: building the note lexicon for a knowledge base (once per process);
- ``worst case``: pathological notes of 10,000 characters, once each.

``--compare`` also measures the libraries docs/free-text.md weighs, where they are installed (they
are not project dependencies; install them in a scratch virtualenv): medspaCy's ConText over the
annotated sentences (milliseconds per sentence and assertion accuracy, with the knowledge base's
names as its target rules) and pint's import and unit conversion. Run with::

    .venv/bin/python -m benchmarks.note_bench [--seconds 3] [--compare]
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import resource
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from benchmarks.engine_bench import pin_to_one_core
from clinical.engine.diagnosis.stream import diagnose
from clinical.engine.knowledge.loader import KnowledgeBase, load_knowledge_base
from clinical.engine.note import extracted as extracted_of
from clinical.engine.note import read_note
from clinical.engine.note.context import CUE_WORDS
from clinical.engine.note.terms import Lexicon

CASES = Path(__file__).resolve().parent.parent / "tests/engine/cases"
TYPICAL_CHARS = 400
BUDGET_MS = 5.0


def vignettes() -> list[dict[str, Any]]:
    return yaml.safe_load((CASES / "note_vignettes.yaml").read_text(encoding="utf-8"))["vignettes"]


def sentences() -> list[dict[str, Any]]:
    return yaml.safe_load((CASES / "note_sentences.yaml").read_text(encoding="utf-8"))["sentences"]


@dataclass(frozen=True)
class Timing:
    """Milliseconds per item over repeated passes: the best pass (the machine's own speed, least
    disturbed by other work) and the median pass."""

    workload: str
    passes: int
    best_ms: float
    median_ms: float


def repeat(
    workload: str, run: Callable[[Any], Any], items: Sequence[Any], seconds: float
) -> Timing:
    """Pass over ``items`` until ``seconds`` have passed (after one warm-up pass)."""
    for item in items:
        run(item)
    gc.collect()
    per_item: list[float] = []
    started = time.perf_counter()
    while time.perf_counter() - started < seconds or len(per_item) < 3:
        began = time.perf_counter()
        for item in items:
            run(item)
        per_item.append((time.perf_counter() - began) / len(items) * 1000)
    return Timing(workload, len(per_item), min(per_item), statistics.median(per_item))


def _consume(data: dict[str, Any]) -> None:
    for _ in diagnose(data):
        pass


def note_request(vignette: dict[str, Any]) -> dict[str, Any]:
    return {"note": vignette["note"], "history": vignette["structured"]["history"]}


def typical_notes(notes: Sequence[str]) -> list[str]:
    """Notes of about ``TYPICAL_CHARS``: consecutive vignette notes joined until that long."""
    joined, current = [], ""
    for note in notes:
        current = f"{current} {note}".strip()
        if len(current) >= TYPICAL_CHARS:
            joined.append(current)
            current = ""
    return joined


def cold_start(kb: KnowledgeBase) -> float:
    started = time.perf_counter()
    Lexicon.of(kb, CUE_WORDS)
    return (time.perf_counter() - started) * 1000


def engine_rows(kb: KnowledgeBase, seconds: float) -> list[str]:
    cases = vignettes()
    notes = [case["note"] for case in cases]
    mean_chars = sum(map(len, notes)) / len(notes)
    typical = typical_notes(notes)
    typical_chars = sum(map(len, typical)) / len(typical)
    reading = repeat("read_note", lambda note: read_note(note, kb), notes, seconds)
    long_reading = repeat("read_note", lambda note: read_note(note, kb), typical, seconds)
    with_note = repeat("diagnose(note)", _consume, [note_request(c) for c in cases], seconds)
    structured = repeat("diagnose(structured)", _consume, [c["structured"] for c in cases], seconds)
    added = with_note.best_ms - structured.best_ms
    return [
        f"{len(notes)} note vignettes, mean {mean_chars:.0f} characters; {len(typical)} typical "
        f"notes (vignettes joined), mean {typical_chars:.0f} characters; ms per item, best pass "
        f"(median pass)",
        f"read_note             {_ms(reading)} per vignette note",
        f"read_note             {_ms(long_reading)} per typical note (budget {BUDGET_MS:.0f} ms)",
        f"diagnose(note)        {_ms(with_note)} per request",
        f"diagnose(structured)  {_ms(structured)} per request",
        f"added by the note     {added:6.2f} ms per request (best passes)",
        f"cold start (lexicon)  {cold_start(kb):6.1f} ms once per process",
    ]


def _ms(timing: Timing) -> str:
    return f"{timing.best_ms:6.2f} ms ({timing.median_ms:.2f} ms, {timing.passes} passes)"


# Pathological notes of the largest size a request allows: long runs of one known word, of
# spaces after a label (regex backtracking), of numbers, of comma-separated names.
WORST_CASES = {
    "one word repeated": "pain " * 2000,
    "spaces after a label": "temp " + " " * 9990 + "x",
    "numbers": "1 " * 5000,
    "comma lists": "red, hot, swollen, " * 600,
    "allergy list": "allergic to " + "a, " * 3300,
    "clinical words": "no chest pain and fever, ?cough or rash; HR 110 for 3 days " * 200,
}


def worst_rows(kb: KnowledgeBase) -> list[str]:
    rows = []
    for name, text in WORST_CASES.items():
        note = text[:10_000]
        started = time.perf_counter()
        read_note(note, kb)
        rows.append(f"worst case: {name:<22} {(time.perf_counter() - started) * 1000:6.1f} ms")
    return rows


# ---------------------------------------------------------------- libraries weighed


def _timed_import(module: str) -> tuple[Any, float]:
    started = time.perf_counter()
    imported = importlib.import_module(module)
    return imported, (time.perf_counter() - started) * 1000


def _medspacy_pipeline(kb: KnowledgeBase) -> Any:
    medspacy = importlib.import_module("medspacy")
    target_rule = importlib.import_module("medspacy.ner").TargetRule
    nlp = medspacy.load(medspacy_enable=["medspacy_target_matcher", "medspacy_context"])
    nlp.add_pipe("sentencizer", first=True)
    rules = []
    for finding in kb.findings.values():
        for name in (finding.label, *finding.synonyms):
            rules.append(target_rule(name.lower(), finding.id))
    nlp.get_pipe("medspacy_target_matcher").add(rules)
    return nlp


def _context_assertion(ent: Any) -> str:
    if ent._.is_family:
        return "family"
    if ent._.is_negated:
        return "negated"
    if ent._.is_uncertain or ent._.is_hypothetical:
        return "uncertain"
    if ent._.is_historical:
        return "past"
    return "present"


def _assertion_accuracy(labelled: dict[str, str], found: dict[str, str]) -> tuple[int, int, int]:
    """Annotated findings found with the right assertion, all annotated, and those found."""
    right = sum(1 for finding, status in labelled.items() if found.get(finding) == status)
    return right, len(labelled), sum(1 for finding in labelled if finding in found)


def _labelled(sentence: dict[str, Any], kb: KnowledgeBase) -> dict[str, str]:
    keys = ("present", "negated", "uncertain", "family", "past")
    return {entry: key for key in keys for entry in sentence.get(key, []) if entry in kb.findings}


def _ours(sentence: dict[str, Any], kb: KnowledgeBase) -> dict[str, str]:
    names = {"findings": "present", "negated": "negated", "uncertain": "uncertain"}
    extracted = extracted_of(read_note(sentence["text"], kb))
    found = {item["id"]: status for key, status in names.items() for item in extracted[key]}
    found |= {item["id"]: "family" for item in extracted["history"]["family"]}
    return found | {item["id"]: "past" for item in extracted["history"]["past"]}


def medspacy_rows(kb: KnowledgeBase, seconds: float) -> list[str]:
    if importlib.util.find_spec("medspacy") is None:
        return ["medspaCy: not installed here (pip install medspacy==1.3.1 in a scratch venv)"]
    loguru = importlib.import_module("loguru")
    loguru.logger.remove()
    resident = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _, import_ms = _timed_import("medspacy")
    rss_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - resident) / 1024
    started = time.perf_counter()
    nlp = _medspacy_pipeline(kb)
    build_ms = (time.perf_counter() - started) * 1000
    cases = sentences()
    texts = [case["text"] for case in cases]
    timing = repeat("medspacy", nlp, texts, seconds)
    ours = repeat("ours", lambda text: read_note(text, kb), texts, seconds)
    their_right = their_found = our_right = total = 0
    for case in cases:
        labelled = _labelled(case, kb)
        doc_found = {ent.label_: _context_assertion(ent) for ent in nlp(case["text"]).ents}
        right, count, found = _assertion_accuracy(labelled, doc_found)
        their_right, their_found, total = their_right + right, their_found + found, total + count
        our_right += _assertion_accuracy(labelled, _ours(case, kb))[0]
    return [
        f"medspaCy import {import_ms:.0f} ms (+{rss_mib:.0f} MiB resident), pipeline with "
        f"{len(kb.findings)} findings' names {build_ms:.0f} ms",
        f"medspaCy ConText {_ms(timing)} per sentence vs read_note {_ms(ours)} "
        f"(everything, not only findings)",
        f"annotated findings found with the annotated assertion over {len(cases)} sentences: "
        f"medspaCy {their_right}/{total} (it found {their_found}, so ConText was right on "
        f"{their_right}/{their_found}), read_note {our_right}/{total} (its development set)",
    ]


def pint_rows() -> list[str]:
    if importlib.util.find_spec("pint") is None:
        return ["pint: not installed here (pip install pint==0.25.3 in a scratch venv)"]
    resident = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    pint, import_ms = _timed_import("pint")
    started = time.perf_counter()
    registry = pint.UnitRegistry()
    registry_ms = (time.perf_counter() - started) * 1000
    rss_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - resident) / 1024
    quantity = registry.Quantity(101.3, registry.degF)
    count = 2000
    started = time.perf_counter()
    for _ in range(count):
        quantity.to(registry.degC)
    convert_us = (time.perf_counter() - started) / count * 1e6
    started = time.perf_counter()
    for _ in range(count):
        registry.Quantity(400, "mg/dL").to("g/L")
    parse_us = (time.perf_counter() - started) / count * 1e6
    return [
        f"pint import {import_ms:.0f} ms, UnitRegistry() {registry_ms:.0f} ms "
        f"(+{rss_mib:.0f} MiB resident)",
        f"pint degF->degC {convert_us:.1f} us per conversion; parse 'mg/dL' and convert "
        f"{parse_us:.1f} us (a factor table: a dict look-up and one multiplication)",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per workload")
    parser.add_argument("--compare", action="store_true", help="also measure medspaCy and pint")
    arguments = parser.parse_args(argv)
    print(pin_to_one_core())
    kb = load_knowledge_base()
    rows = engine_rows(kb, arguments.seconds) + worst_rows(kb)
    if arguments.compare:
        rows += medspacy_rows(kb, arguments.seconds) + pint_rows()
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
