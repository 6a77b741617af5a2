"""Extraction measured on annotated sentences (tests/engine/cases/note_sentences.yaml).

Every fact a sentence's annotation lists (a finding present, denied, uncertain, a relative's or
past; a vital sign, lab, age, sex, medication, allergy, duration, ...) is compared with what the
extractor reports. Precision and recall over all sentences, and per construct, are written to the
terminal summary whatever ``-s`` says; the test fails below the floors. A denied finding read as
present fails on its own, whatever the totals.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from clinical.engine.knowledge.loader import KnowledgeBase
from clinical.engine.note import extracted as extracted_of
from clinical.engine.note import read_note

SENTENCES_FILE = Path(__file__).parents[1] / "cases" / "note_sentences.yaml"
SENTENCES: list[dict[str, Any]] = yaml.safe_load(SENTENCES_FILE.read_text(encoding="utf-8"))[
    "sentences"
]
PRECISION_FLOOR = 0.95
RECALL_FLOOR = 0.90
Fact = tuple[str, str, Any]
_MENTION_KEYS = ("present", "negated", "uncertain", "family", "past")
_SCALARS = ("age", "sex", "pregnant", "gestation_weeks", "no_known_allergies")


def _rounded(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return round(float(value), 1)


def expected_facts(sentence: dict[str, Any]) -> set[Fact]:
    facts: set[Fact] = set()
    for key in _MENTION_KEYS:
        facts |= {(key, entry, True) for entry in sentence.get(key, [])}
    for key in ("vitals", "labs"):
        facts |= {(key, name, _rounded(v)) for name, v in sentence.get(key, {}).items()}
    facts |= {(key, key, _rounded(sentence[key])) for key in _SCALARS if key in sentence}
    facts |= {("medications", drug, True) for drug in sentence.get("medications", [])}
    facts |= {("allergies", allergen, True) for allergen in sentence.get("allergies", [])}
    facts |= {("unrecognized", text.lower(), True) for text in sentence.get("unrecognized", [])}
    if "duration_days" in sentence:
        facts.add(("duration_days", "duration_days", _rounded(sentence["duration_days"])))
    if "onset" in sentence:
        facts.add(("onset", "onset", sentence["onset"]))
    return facts


def _mentions(extracted: dict[str, Any]) -> Iterator[Fact]:
    for key, items in (
        ("present", extracted["findings"]),
        ("negated", extracted["negated"]),
        ("uncertain", extracted["uncertain"]),
        ("family", extracted["history"]["family"]),
        ("past", extracted["history"]["past"]),
        ("present", extracted["conditions"]),
    ):
        yield from ((key, item["id"], True) for item in items)


def _allergens(extracted: dict[str, Any]) -> Iterator[Fact]:
    for allergy in extracted["allergies"]:
        if "drug" in allergy:
            yield ("allergies", allergy["drug"], True)
        else:
            yield from (("allergies", group, True) for group in allergy.get("groups", []))


def _timing(extracted: dict[str, Any]) -> Iterator[Fact]:
    durations = [item for item in extracted["timing"] if item["kind"] == "duration"]
    if durations:
        yield ("duration_days", "duration_days", _rounded(durations[0]["value"]))
    for item in extracted["timing"]:
        if item["kind"] == "onset":
            yield ("onset", "onset", item["value"])


def extracted_facts(extracted: dict[str, Any]) -> set[Fact]:
    facts = set(_mentions(extracted))
    for key in ("vitals", "labs"):
        facts |= {(key, name, _rounded(item["value"])) for name, item in extracted[key].items()}
    history = extracted["history"]
    facts |= {(key, key, _rounded(history[key]["value"])) for key in _SCALARS if key in history}
    if "no_known_allergies" in extracted:
        facts.add(("no_known_allergies", "no_known_allergies", True))
    facts |= {
        ("medications", item["id"], True)
        for item in extracted["medications"]
        if item["certainty"] == "present"
    }
    facts |= set(_allergens(extracted))
    facts |= {("unrecognized", item["text"].lower(), True) for item in extracted["unrecognized"]}
    return facts | set(_timing(extracted))


def _construct(fact: Fact) -> str:
    return fact[0]


@pytest.fixture(scope="module")
def scored(
    knowledge_base: KnowledgeBase, request: pytest.FixtureRequest
) -> Iterator[dict[str, Any]]:
    """Expected and extracted facts of every sentence; the figures go to the terminal."""
    rows = []
    for sentence in SENTENCES:
        found = extracted_facts(extracted_of(read_note(sentence["text"], knowledge_base)))
        rows.append({"sentence": sentence, "expected": expected_facts(sentence), "found": found})
    totals = _totals(rows)
    yield {"rows": rows, **totals}
    held_out = _totals([row for row in rows if row["sentence"].get("held_out")])
    _report(request, rows, totals, held_out)


def _totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    hits, expected, found = Counter(), Counter(), Counter()
    for row in rows:
        for fact in row["expected"]:
            expected[_construct(fact)] += 1
        for fact in row["found"]:
            found[_construct(fact)] += 1
        for fact in row["expected"] & row["found"]:
            hits[_construct(fact)] += 1
    total_hits = sum(hits.values())
    return {
        "precision": total_hits / max(1, sum(found.values())),
        "recall": total_hits / max(1, sum(expected.values())),
        "by_kind": {kind: (hits[kind], found[kind], expected[kind]) for kind in sorted(expected)},
    }


def _report(
    request: pytest.FixtureRequest, rows: list[dict[str, Any]], totals: dict, held_out: dict
) -> None:
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_sep(
            "-",
            f"note extraction over {len(rows)} sentences: precision {totals['precision']:.1%}, "
            f"recall {totals['recall']:.1%}",
        )
        count = sum(1 for row in rows if row["sentence"].get("held_out"))
        reporter.write_line(
            f"  of which {count} written after the first tuning round: precision "
            f"{held_out['precision']:.1%}, recall {held_out['recall']:.1%}"
        )
        for kind, (hits, found, expected) in totals["by_kind"].items():
            reporter.write_line(f"  {kind:<20} {hits}/{found} found right, {hits}/{expected} found")
        for row in rows:
            missed, extra = row["expected"] - row["found"], row["found"] - row["expected"]
            if missed or extra:
                reporter.write_line(
                    f"  {row['sentence']['text'][:60]!r}: missed {sorted(missed, key=str)}, "
                    f"extra {sorted(extra, key=str)}"
                )


def test_there_are_enough_sentences_for_every_construct() -> None:
    assert len(SENTENCES) >= 80
    constructs = {sentence["construct"].split()[0] for sentence in SENTENCES}
    assert constructs >= {
        "synonyms", "lay", "typos", "negation", "uncertainty", "family", "past", "resolved",
        "vitals", "consciousness", "age", "duration", "onset", "medications", "allergies",
        "pregnancy", "labs",
    }  # fmt: skip


def test_precision_and_recall_reach_their_floors(scored: dict[str, Any]) -> None:
    assert scored["precision"] >= PRECISION_FLOOR
    assert scored["recall"] >= RECALL_FLOOR


@pytest.mark.parametrize("sentence", SENTENCES, ids=[s["text"][:40] for s in SENTENCES])
def test_a_denied_finding_is_never_read_as_present(
    sentence: dict[str, Any], knowledge_base: KnowledgeBase
) -> None:
    extracted = extracted_of(read_note(sentence["text"], knowledge_base))
    present = {item["id"] for item in extracted["findings"]}
    assert not present & set(sentence.get("negated", []))
