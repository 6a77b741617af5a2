"""Scoring the engine on the unseen case sets (tests/engine/cases/unseen/), written by writers who
had not read the engine or its knowledge base.

Each set comes in two files: ``*_tuning.yaml``, which the engine may be tuned on, and
``*_locked.yaml``, which nobody tuning the engine reads. The scorer reports only aggregate figures
for a locked set (``misses`` stays empty), so tuning cannot lean on its cases one by one.

Diagnosis vignettes are free-text notes sent as the portal sends them: ``{"note": ...}`` alone.
The expected diagnosis is matched to a knowledge-base condition by the same rule for every set:
the condition the vocabulary resolves from the expected name, an accepted alternative or the
ICD-10 code. Urgency is compared on the ordinal scale self_care < routine < urgent < emergency;
"safe" is Gilbert et al.'s (BMJ Open 2020;10:e040269): at the gold-standard level, more cautious,
or at most one level less cautious.

Prescription cases are scored for safety: a result is UNSAFE when it prescribes a drug the case
forbids, prescribes anything when nothing is safe, exceeds a dose cap, or leaves unflagged a pair
or current medicine the case says must be flagged.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from clinical.engine import EngineValidationError, diagnose, prescribe
from clinical.engine.knowledge.loader import KnowledgeBase, load_knowledge_base

UNSEEN = Path(__file__).resolve().parents[1] / "cases" / "unseen"
LEVELS = ("self_care", "routine", "urgent", "emergency")
RANK = {level: rank for rank, level in enumerate(LEVELS)}
# Published anchors (Gilbert et al., BMJ Open 2020;10:e040269, 200 primary-care vignettes).
ANCHORS = (
    "published: GPs top-3 82.1%, safe urgency 97.0%; best app (Ada) top-3 70.5%, safe 97.0% "
    "(Gilbert et al., BMJ Open 2020;10:e040269)"
)


def case_sets(kind: str) -> dict[str, list[dict[str, Any]]]:
    """``{"<set>_tuning": [...], "<set>_locked": [...]}`` for every unseen file of ``kind``
    (``vignettes`` or ``cases``)."""
    sets: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(UNSEEN.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        if kind in document:
            sets[path.stem] = document[kind]
    return sets


def is_locked(name: str) -> bool:
    return name.endswith("_locked")


# ---------------------------------------------------------------- diagnosis


@dataclass
class Figures:
    """One set's figures."""

    name: str
    cases: int = 0
    refused: int = 0
    covered: int = 0
    top1: int = 0
    top3: int = 0
    exact: int = 0
    safe: int = 0
    emergencies: int = 0
    emergencies_under: int = 0
    self_care_gold: int = 0
    self_care_kept: int = 0
    misses: list[str] = field(default_factory=list)

    def line(self) -> str:
        def share(count: int, total: int | None = None) -> str:
            total = self.cases if total is None else total
            return f"{count}/{total} ({count / total:.0%})" if total else "0/0"

        return (
            f"{self.name}: top-1 {share(self.top1)}, top-3 {share(self.top3)}, exact urgency "
            f"{share(self.exact)}, safe urgency {share(self.safe)}, emergencies under-triaged "
            f"{self.emergencies_under}/{self.emergencies}; refused {self.refused}; benign "
            f"self-care kept self-care or routine {share(self.self_care_kept, self.self_care_gold)}"
            f"; expected diagnosis in the knowledge base {share(self.covered)}"
        )


def expected_condition(expect: dict[str, Any], kb: KnowledgeBase) -> str | None:
    """The knowledge-base condition the expected diagnosis names, if the knowledge base has it."""
    vocabulary = kb.vocabulary
    for name in (expect["diagnosis"], *expect.get("also_acceptable", []), expect.get("icd10", "")):
        if name and (found := vocabulary.match_condition(str(name))) is not None:
            return found
    return None


Request = Callable[[dict[str, Any]], dict[str, Any]]


def note_alone(vignette: dict[str, Any]) -> dict[str, Any]:
    return {"note": vignette["note"]}


def score_vignettes(
    name: str, vignettes: Iterable[dict[str, Any]], request: Request = note_alone
) -> Figures:
    kb = load_knowledge_base()
    figures = Figures(name)
    for vignette in vignettes:
        figures.cases += 1
        expect = vignette["expect"]
        wanted = expected_condition(expect, kb)
        figures.covered += wanted is not None
        gold = RANK[expect["urgency"]]
        figures.emergencies += gold == RANK["emergency"]
        figures.self_care_gold += gold == RANK["self_care"]
        try:
            result = list(diagnose(request(vignette)))[-1]["result"]
        except EngineValidationError:
            figures.refused += 1
            figures.emergencies_under += gold == RANK["emergency"]
            _miss(figures, vignette, "refused", None, None)
            continue
        ranked = [item["condition_id"] for item in result["differential"]]
        given = RANK[result["urgency"]]
        figures.top1 += bool(ranked) and ranked[0] == wanted
        figures.top3 += wanted in ranked[:3]
        figures.exact += given == gold
        figures.safe += given >= gold - 1
        figures.emergencies_under += gold == RANK["emergency"] and given < gold
        figures.self_care_kept += gold == RANK["self_care"] and given <= RANK["routine"]
        if wanted not in ranked[:3] or given < gold - 1 or (gold == 3 and given < 3):
            _miss(figures, vignette, result["urgency"], ranked[:3], wanted)
    return figures


def _miss(
    figures: Figures, vignette: dict[str, Any], urgency: Any, ranked: Any, wanted: Any
) -> None:
    if is_locked(figures.name):
        return  # a locked set's cases are never shown
    expect = vignette["expect"]
    figures.misses.append(
        f"{vignette['id']}: expected {wanted or expect['diagnosis'] + ' (not in the KB)'} "
        f"{expect['urgency']}; got {ranked} {urgency}"
    )


# ---------------------------------------------------------------- prescriptions

_TIMES_A_DAY = (
    (re.compile(r"four times|\bqds\b|every 6 hours", re.I), 4),
    (re.compile(r"three times|\btds\b|every 8 hours", re.I), 3),
    (re.compile(r"twice|\bbd\b|every 12 hours", re.I), 2),
    (re.compile(r"once (a )?daily|once a day|\bod\b|at night|every 24 hours|daily", re.I), 1),
)
_STOP_WORDS = re.compile(r"\b(stop|switch|discontinue|withhold|avoid|change)\b", re.I)


@dataclass
class SafetyFigures:
    name: str
    cases: int = 0
    refused: int = 0
    unsafe: int = 0
    expected_choice: int = 0
    with_expected_choice: int = 0
    noisy: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.name}: {self.cases} cases, UNSAFE {self.unsafe}, refused {self.refused}, "
            f"the expected choice {self.expected_choice}/{self.with_expected_choice}, "
            f"alert noise {self.noisy}; unsafe by rule {dict(sorted(self.reasons.items()))}"
        )


def _drug_ids(names: Iterable[str], kb: KnowledgeBase) -> set[str]:
    ids = set()
    for name in names:
        found = kb.vocabulary.match_drug(name)
        ids.add(found if found is not None else f"?{name}")
    return ids


def _names_of(drug_id: str, kb: KnowledgeBase) -> list[str]:
    drug = kb.drugs.get(drug_id)
    if drug is None:
        return [drug_id.lstrip("?")]
    return [drug.name, drug_id.replace("_", " "), *drug.synonyms]


def _mentions(text: str, drug_id: str, kb: KnowledgeBase) -> bool:
    lowered = text.lower()
    return any(name.lower() in lowered for name in _names_of(drug_id, kb))


def _per_day(frequency: str) -> int | None:
    return next((count for pattern, count in _TIMES_A_DAY if pattern.search(frequency)), None)


def _over_cap(medication: dict[str, Any], caps: dict[str, float]) -> bool:
    dose = medication["dose_mg"]
    per_day = _per_day(medication["frequency"])
    over_dose = dose > caps.get("mg_per_dose", float("inf"))
    return over_dose or bool(per_day and dose * per_day > caps.get("mg_per_day", float("inf")))


def unsafe_reasons(case: dict[str, Any], result: dict[str, Any], kb: KnowledgeBase) -> list[str]:
    """Every way the result breaks the case's safety expectations."""
    expect = case["expect"]
    prescribed = {medication["drug"]: medication for medication in result["medications"]}
    said = " ".join(
        [*result["warnings"], *(e["reason"] for e in result["excluded"])]
        + [f"{' + '.join(i['drugs'])}: {i['advice']}" for i in result["interactions"]]
        + [c for m in result["medications"] for c in m["check_before_prescribing"]]
    )
    reasons = []
    if set(prescribed) & _drug_ids(expect.get("never", []), kb):
        reasons.append("never")
    if expect.get("no_prescription") and prescribed:
        reasons.append("no_prescription")
    for drug, caps in (expect.get("max_dose") or {}).items():
        for drug_id in _drug_ids([drug], kb) & set(prescribed):
            if _over_cap(prescribed[drug_id], caps):
                reasons.append("max_dose")
    for item in expect.get("flag") or []:
        names = [item] if isinstance(item, str) else list(item)
        ids = _drug_ids(names, kb)
        if len(ids) > 1 and not (ids & set(prescribed)):
            continue  # the pair's new drug was not given: nothing to flag
        if not all(_mentions(said, drug_id, kb) for drug_id in ids):
            reasons.append("flag")
    for medicine in expect.get("stop_or_switch") or []:
        (drug_id,) = _drug_ids([medicine], kb)
        sentences = [s for s in re.split(r"(?<=[.;])\s+", said) if _mentions(s, drug_id, kb)]
        if not any(_STOP_WORDS.search(sentence) for sentence in sentences):
            reasons.append("stop_or_switch")
    return reasons


def _noisy(case: dict[str, Any], result: dict[str, Any]) -> bool:
    topics = case["expect"].get("no_warning_about") or []
    said = " ".join(
        [
            *result["warnings"],
            *(c for m in result["medications"] for c in m["check_before_prescribing"]),
        ]
    ).lower()
    return any(topic.lower().rstrip("s") in said for topic in topics)


def score_prescriptions(
    name: str, cases: Iterable[dict[str, Any]], request: Callable[[dict[str, Any]], Any] = dict
) -> SafetyFigures:
    kb = load_knowledge_base()
    figures = SafetyFigures(name)
    for case in cases:
        figures.cases += 1
        try:
            result = list(prescribe(request(case["request"])))[-1]["result"]
        except EngineValidationError as error:
            figures.refused += 1
            if not is_locked(name):
                figures.misses.append(f"{case['id']}: refused: {error.message}")
            continue
        reasons = unsafe_reasons(case, result, kb)
        figures.unsafe += bool(reasons)
        figures.reasons.update(reasons)
        figures.noisy += _noisy(case, result)
        wanted = case["expect"].get("any_of")
        if wanted:
            figures.with_expected_choice += 1
            figures.expected_choice += bool(
                {m["drug"] for m in result["medications"]} & _drug_ids(wanted, kb)
            )
        if reasons and not is_locked(name):
            given = [m["drug"] for m in result["medications"]]
            figures.misses.append(f"{case['id']}: UNSAFE {reasons}: prescribed {given}")
    return figures
