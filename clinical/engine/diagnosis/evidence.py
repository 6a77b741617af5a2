"""What a diagnosis request tells us: each finding present, absent or (by omission) unknown.

Findings come from symptom names, history (conditions, medications, smoker, pregnant) and the
knowledge base's ``derived`` rules over measured vital signs, labs, age and scores. Absence is only
ever what the request says: a symptom named with a negation ("no cough"), ``smoker: false``, or a
measurement on the normal side of a threshold. Anything else stays unknown, so it moves no
probability. A name the vocabulary does not know is kept and reported back, never dropped.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError

from clinical.engine.contract import results
from clinical.engine.contract.fields import LAB_NAMES, VITAL_INPUTS, VITAL_NAMES
from clinical.engine.contract.requests import DiagnosisRequest, Labs, Vitals
from clinical.engine.contract.results import FindingCategory, Severity, Via
from clinical.engine.contract.results import FindingStatus as Status
from clinical.engine.knowledge.loader import KnowledgeBase
from clinical.engine.knowledge.schema import SCORE_INPUTS, Derived, Finding
from clinical.engine.note import NoteReading, Used


class FindingReport(NamedTuple):
    """One finding as the request established it, with what established it."""

    finding: str
    label: str
    category: FindingCategory
    status: Status
    via: Via
    name: str
    value: float | str | None = None
    severity: Severity | None = None
    duration: str | None = None

    def as_dict(self) -> results.FindingReport:
        """The report as wire data (a fresh dict: it appears in several events)."""
        item: results.FindingReport = {
            "finding": self.finding,
            "label": self.label,
            "category": self.category,
            "status": self.status,
            "via": self.via,
            "name": self.name,
        }
        if self.value is not None:
            item["value"] = self.value
        if self.severity is not None:
            item["severity"] = self.severity
        if self.duration is not None:
            item["duration"] = self.duration
        return item


@dataclass
class Evidence:
    """The findings of one request. Present wins over absent: a fever the patient reports is not
    undone by a normal temperature now, and a measured fever overrides "no fever"."""

    reports: dict[str, FindingReport] = field(default_factory=dict)
    set_aside: set[str] = field(default_factory=set)
    unrecognized_symptoms: list[str] = field(default_factory=list)
    unrecognized_history: list[str] = field(default_factory=list)

    _sets: tuple[frozenset[str], frozenset[str]] | None = field(default=None, repr=False)

    def add(self, report: FindingReport) -> None:
        current = self.reports.get(report.finding)
        if current is None or (current.status == "absent" and report.status == "present"):
            self.reports[report.finding] = report
            self._sets = None

    def _present_absent(self) -> tuple[frozenset[str], frozenset[str]]:
        if self._sets is None:
            reports = self.reports.items()
            self._sets = (
                frozenset(f for f, report in reports if report.status == "present"),
                frozenset(f for f, report in reports if report.status == "absent"),
            )
        return self._sets

    @property
    def present(self) -> frozenset[str]:
        return self._present_absent()[0]

    @property
    def absent(self) -> frozenset[str]:
        return self._present_absent()[1]

    def of_via(self, *vias: Via) -> list[FindingReport]:
        return [report for report in self.reports.values() if report.via in vias]


@dataclass(frozen=True)
class DerivedRules:
    """The knowledge base's ``derived`` findings, grouped by input once per knowledge base."""

    measured: tuple[tuple[str, Finding, Derived], ...]
    scored: tuple[tuple[str, Finding, Derived], ...]

    @classmethod
    def of(cls, knowledge_base: KnowledgeBase) -> DerivedRules:
        rules = sorted(
            (
                (derived.input, finding, derived)
                for finding in knowledge_base.findings.values()
                if (derived := finding.derived) is not None
            ),
            key=lambda rule: (rule[0], rule[1].id),
        )
        return cls(
            measured=tuple(rule for rule in rules if rule[0] not in SCORE_INPUTS),
            scored=tuple(rule for rule in rules if rule[0] in SCORE_INPUTS),
        )


def _report(finding: Finding, status: Status, via: Via, name: str, **extra: Any) -> FindingReport:
    return FindingReport(finding.id, finding.label, finding.category, status, via, name, **extra)


def add_symptoms(evidence: Evidence, request: DiagnosisRequest, kb: KnowledgeBase) -> None:
    for symptom in request.symptoms:
        match = kb.vocabulary.match_statement(symptom.name)
        if match is None:
            evidence.unrecognized_symptoms.append(symptom.name)
            continue
        finding_id, present = match
        if symptom.status == "unknown":
            evidence.set_aside.add(finding_id)
            continue
        if symptom.status is not None:
            present = symptom.status == "present"
        evidence.add(
            _report(
                kb.findings[finding_id],
                "present" if present else "absent",
                "symptom",
                symptom.name,
                severity=symptom.severity,
                duration=symptom.duration,
            )
        )


@functools.cache
def drug_history_findings(kb: KnowledgeBase) -> dict[str, tuple[str, ...]]:
    """For each drug, the history findings its class or tags name ("nsaid" is the finding
    "Takes NSAIDs", "anticoagulant" is "Takes an anticoagulant"), so a medication named by any of
    the drug's names counts, not only the names the finding lists."""
    links: dict[str, tuple[str, ...]] = {}
    for drug_id, drug in sorted(kb.drugs.items()):
        found = []
        for name in (*drug.tags, drug.drug_class):
            finding = kb.vocabulary.match_finding(name.replace("_", " "))
            if finding is not None and kb.findings[finding].category == "history":
                found.append(finding)
        links[drug_id] = tuple(dict.fromkeys(found))
    return links


def _add_medication(evidence: Evidence, name: str, kb: KnowledgeBase) -> bool:
    """A medication the drug list knows, recorded through its class; False if it is unknown."""
    drug = kb.vocabulary.match_drug(name)
    if drug is None:
        return False
    for finding_id in drug_history_findings(kb)[drug]:
        evidence.add(_report(kb.findings[finding_id], "present", "history", name))
    return True


def add_history(evidence: Evidence, request: DiagnosisRequest, kb: KnowledgeBase) -> None:
    """Conditions and medications name history findings; smoker/pregnant say yes or no."""
    history = request.history
    for name in (*history.conditions, *history.medications):
        match = kb.vocabulary.match_statement(name)
        if match is None:
            if not _add_medication(evidence, name, kb):
                evidence.unrecognized_history.append(name)
            continue
        finding_id, present = match
        status: Status = "present" if present else "absent"
        evidence.add(_report(kb.findings[finding_id], status, "history", name))
    for flag in ("smoker", "pregnant"):
        value = getattr(history, flag)
        if value is not None and flag in kb.findings:
            status = "present" if value else "absent"
            evidence.add(_report(kb.findings[flag], status, "history", f"{flag}: {value}"))
    if (
        history.pregnant is None
        and history.gestation_weeks is not None
        and "pregnant" in kb.findings
    ):
        weeks = f"gestation_weeks: {history.gestation_weeks:g}"
        evidence.add(_report(kb.findings["pregnant"], "present", "history", weeks))


def _holds(derived: Derived, value: float | str, on_oxygen: bool) -> bool | None:
    """Present, absent, or None when a normal value proves nothing or says nothing worth listing.

    A normal saturation on supplemental oxygen does not show the patient is not hypoxaemic. An
    age band the patient is outside is not evidence of anything ("not under 3 months").
    """
    holds = derived.holds(value)
    if not holds and on_oxygen and derived.input == "oxygen_saturation":
        return None
    if not holds and derived.input == "age":
        return None
    return holds


def add_measured(
    evidence: Evidence,
    request: DiagnosisRequest,
    rules: DerivedRules,
    unstated_ages: tuple[float, float],
) -> None:
    """Findings the measurements make present or absent, each by the threshold published for
    the patient's age (an age not stated: the ``unstated_ages`` range)."""
    values = request.measured()
    on_oxygen = bool(request.vitals and request.vitals.supplemental_oxygen)
    age = request.history.age
    for name, finding, derived in rules.measured:
        if name not in values or not derived.applies_at(age, unstated_ages):
            continue
        holds = _holds(derived, values[name], on_oxygen)
        if holds is None:
            continue
        via: Via = (
            "vitals"
            if name in VITAL_INPUTS
            else "age"
            if name == "age"
            else "history"
            if name == "gestation_weeks"
            else "labs"
        )
        status: Status = "present" if holds else "absent"
        evidence.add(_report(finding, status, via, name, value=values[name]))


def score_inputs(scores: results.Scores) -> dict[str, tuple[float, bool]]:
    """Score-derived inputs as (value, complete). An incomplete total is a floor: it can show a
    threshold is reached, never that it is not."""
    inputs: dict[str, tuple[float, bool]] = {}
    if "news2" in scores:
        news2 = scores["news2"]
        complete = news2["complete"]
        inputs["news2_total"] = (news2["total"], complete)
        highest = max(news2["components"].values(), default=0)
        inputs["news2_highest_parameter"] = (highest, complete)
    if "qsofa" in scores:
        inputs["qsofa"] = (scores["qsofa"]["score"], scores["qsofa"]["complete"])
    if "crb65" in scores:
        inputs["crb65"] = (scores["crb65"]["score"], scores["crb65"]["complete"])
    if "curb65" in scores:
        inputs["curb65"] = (scores["curb65"]["score"], scores["curb65"]["complete"])
    # Bedside PEWS has a table per age group; a child's age gives one at most.
    for pews in (scores.get("bedside_pews_5_12"), scores.get("bedside_pews_13_15")):
        if pews is not None:
            inputs["bedside_pews_total"] = (pews["total"], pews["complete"])
    return inputs


def add_scored(evidence: Evidence, scores: results.Scores, rules: DerivedRules) -> None:
    inputs = score_inputs(scores)
    for name, finding, derived in rules.scored:
        if name not in inputs:
            continue
        value, complete = inputs[name]
        holds = derived.holds(value)
        if holds or complete:
            status: Status = "present" if holds else "absent"
            evidence.add(_report(finding, status, "score", name, value=value))


def add_note_findings(evidence: Evidence, reading: NoteReading, kb: KnowledgeBase) -> Used:
    """Findings and medications the note states, except those a structured field already
    settled (the structured field wins). A denied finding is absent; one that is only possible,
    a relative's or in the past is not evidence at all. Returns what was used."""
    settled = set(evidence.reports) | evidence.set_aside
    used = Used()
    for position, mention in enumerate(reading.mentions):
        status = _NOTE_STATUS.get(mention.certainty)
        if mention.kind != "finding" or status is None or mention.id in settled:
            continue
        finding = kb.findings[mention.id]
        evidence.add(_report(finding, status, "note", mention.text, duration=mention.duration))
        used.mentions.add(position)
    for position, drug in enumerate(reading.drugs):
        if drug.certainty != "present":
            continue
        for finding_id in drug_history_findings(kb)[drug.id]:
            if finding_id not in settled:
                evidence.add(_report(kb.findings[finding_id], "present", "note", drug.text))
                used.drugs.add(position)
    return used


_NOTE_STATUS: dict[str, Status] = {"present": "present", "absent": "absent"}


def _fill(
    model: type[Vitals] | type[Labs], given: BaseModel | None, readings: dict[str, Any]
) -> tuple[Any, set[str]]:
    """The structured values, with note readings added only where the request gave none and
    only when the reading is a value the request itself would accept."""
    values = given.model_dump(exclude_none=True) if given is not None else {}
    accepted: set[str] = set()
    for field_name, value in readings.items():
        if field_name in values:
            continue
        try:
            model.model_validate({field_name: value})
        except ValidationError:
            continue
        values[field_name] = value
        accepted.add(field_name)
    return (model.model_validate(values) if values else None), accepted


def apply_note_measurements(
    request: DiagnosisRequest, reading: NoteReading
) -> tuple[DiagnosisRequest, set[str]]:
    """The request with the note's vital signs and labs filling what it left out (the note's
    age and sex are taken before, where the history lacks them). Returns the fields used."""
    vitals = reading.values(VITAL_NAMES)
    labs = reading.values(LAB_NAMES)
    if not vitals and not labs:
        return request, set()
    merged_vitals, vitals_used = _fill(Vitals, request.vitals, vitals)
    merged_labs, labs_used = _fill(Labs, request.labs, labs)
    used = vitals_used | labs_used
    consciousness = reading.first("consciousness")
    if "consciousness" in used and consciousness is not None and consciousness.unit == "GCS":
        used.add("gcs")
    updated = request.model_copy(update={"vitals": merged_vitals, "labs": merged_labs})
    return updated, used


def gather_evidence(
    request: DiagnosisRequest,
    kb: KnowledgeBase,
    rules: DerivedRules,
    reading: NoteReading | None = None,
) -> tuple[Evidence, Used]:
    """Symptoms, history, the note's findings and measurements (scores are added once they
    are computed), and which note items were used."""
    evidence = Evidence()
    add_symptoms(evidence, request, kb)
    add_history(evidence, request, kb)
    used = add_note_findings(evidence, reading, kb) if reading is not None else Used()
    add_measured(evidence, request, rules, kb.policy.triage.unstated_ages)
    return evidence, used
