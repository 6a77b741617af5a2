"""The diagnosis stream: findings, scores, history, Bayesian differential, urgency, result.

Findings come from the symptoms, the history, the measurements and a free-text note
(:mod:`.evidence`, :mod:`clinical.engine.note`); the differential is :mod:`.differential`, the
urgency :mod:`.triage`, the words :mod:`.explain`.

:func:`diagnose` validates eagerly (an invalid request raises before any event) and returns a
generator of protocol v1's stage events. Everything it yields is a function of the request and the
knowledge base alone, rounded and sorted with id tie-breaks, so a re-run on any worker reproduces
the same events (docs/design.md: a taken-over stream is re-run, not guessed).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from clinical.engine.contract import events, results
from clinical.engine.contract.errors import EngineValidationError
from clinical.engine.contract.events import Event
from clinical.engine.contract.requests import (
    DiagnosisRequest,
    History,
    NoteReadRequest,
    parse_diagnosis,
    parse_note_read,
)
from clinical.engine.diagnosis.differential import (
    PROBABILITY_DECIMALS,
    Case,
    DifferentialModel,
    Ranked,
)
from clinical.engine.diagnosis.evidence import (
    DerivedRules,
    Evidence,
    add_scored,
    apply_note_measurements,
    gather_evidence,
)
from clinical.engine.diagnosis.explain import Explainer, primary_red_flags, recommended_tests
from clinical.engine.diagnosis.scores import compute_scores
from clinical.engine.diagnosis.triage import (
    CantMissIndex,
    Caught,
    RedFlagIndex,
    Urgency,
    age_not_stated,
    apply_safety_net,
    decide_urgency,
    note_unread,
    rank_of,
    settle_self_care,
)
from clinical.engine.knowledge.loader import KnowledgeBase, load_knowledge_base
from clinical.engine.knowledge.schema import RedFlagRule, TriagePolicy
from clinical.engine.note import NoteReading, extracted, read_note

KIND: events.Kind = "diagnosis"
MIN_DIFFERENTIAL = 5
MAX_DIFFERENTIAL = 8
# Items beyond the first MIN_DIFFERENTIAL are shown only when at least this probable.
SHOWN_PROBABILITY = 0.01


@dataclass(frozen=True)
class DiagnosisEngine:
    """Everything precomputed from one knowledge base, shared by every request."""

    kb: KnowledgeBase
    model: DifferentialModel
    rules: DerivedRules
    red_flags: RedFlagIndex
    cant_miss: CantMissIndex
    explainer: Explainer


@functools.cache
def engine_for(kb: KnowledgeBase) -> DiagnosisEngine:
    return DiagnosisEngine(
        kb,
        DifferentialModel(kb),
        DerivedRules.of(kb),
        RedFlagIndex(kb),
        CantMissIndex(kb),
        Explainer(kb),
    )


def validate_diagnosis(
    data: Mapping[str, Any] | DiagnosisRequest, knowledge_base: KnowledgeBase | None = None
) -> DiagnosisRequest:
    """The validated request, or :class:`EngineValidationError` naming each bad field.

    A structured request (no note) must give ``history.age`` and ``history.sex``. A note is a
    whole request: the age and sex it states fill what the history lacks, and one it does not
    state is a labelled fallback, not a refusal (a clinician's "pt c/o chest pain" seldom says
    the sex): see :func:`_stream`."""
    if isinstance(data, DiagnosisRequest):
        request = data
    else:
        request = parse_diagnosis(dict(data) if isinstance(data, Mapping) else data)
    history = request.history
    missing = [name for name in ("age", "sex") if getattr(history, name) is None]
    if missing and request.note is None:
        raise EngineValidationError({f"history.{name}": [_MISSING[name]] for name in missing})
    return request


_MISSING = {
    "age": 'this field is required: give the age here or in the note ("72-year-old", "3 yo")',
    "sex": 'this field is required: give the sex here or in the note ("man", "F", "her")',
}


def _with_note_demographics(
    request: DiagnosisRequest, reading: NoteReading
) -> tuple[DiagnosisRequest, set[str]]:
    """The request with the note's age, sex and weeks of pregnancy where its history gives none
    (a value the request would refuse is left out); the fields taken from the note."""
    history = request.history
    taken: set[str] = set()
    for name in ("age", "sex", "gestation_weeks"):
        found = reading.first(name)
        if getattr(history, name) is not None or found is None:
            continue
        try:
            history = History.model_validate(history.model_dump() | {name: found.value})
        except ValidationError:
            continue
        taken.add(name)
    if not taken:
        return request, taken
    return request.model_copy(update={"history": history}), taken


def _unstated(request: DiagnosisRequest, kb: KnowledgeBase) -> list[str]:
    """The labels of what a note left unstated, as the result shows them (the note reader
    already takes the sex from a finding only one sex can have, such as pregnancy)."""
    low, high = (f"{age:g}" for age in kb.policy.triage.unstated_ages)
    labels = []
    if request.history.age is None:
        labels.append(
            f"age not stated: assessed as an adult's ({low}-{high}), never as self-care; a "
            "child's thresholds (NICE NG143) need the age"
        )
    if request.history.sex is None:
        labels.append("sex not stated: both considered")
    return labels


def diagnose(
    data: Mapping[str, Any] | DiagnosisRequest, knowledge_base: KnowledgeBase | None = None
) -> Iterator[Event]:
    """Validate now, then return the stream of stage events (a generator)."""
    knowledge_base = knowledge_base or load_knowledge_base()
    request = validate_diagnosis(data, knowledge_base)
    return _stream(request, engine_for(knowledge_base))


def read_note_alone(
    data: Mapping[str, Any] | NoteReadRequest, knowledge_base: KnowledgeBase | None = None
) -> results.ExtractedNote:
    """What a diagnosis of this note alone sends as ``extracted`` in ``symptoms_analysis``.

    Validates eagerly (:class:`EngineValidationError` naming ``note``), then reads the note with
    the stream's own :func:`_read`: every item with its span, and ``used`` saying what such a
    diagnosis takes from the note (a structured field sent with a diagnosis would win over it).
    """
    request = data if isinstance(data, NoteReadRequest) else parse_note_read(data)
    engine = engine_for(knowledge_base or load_knowledge_base())
    _, _, read = _read(DiagnosisRequest(note=request.note), engine)
    assert read is not None  # the note is never blank
    return read


def _stream(request: DiagnosisRequest, engine: DiagnosisEngine) -> Iterator[Event]:
    kb = engine.kb
    request, evidence, extracted = _read(request, engine)
    yield events.progress(KIND, "symptoms_analysis")
    yield events.chunk("symptoms_analysis", _symptoms_content(evidence, extracted))

    yield events.progress(KIND, "vitals_evaluation")
    scores = _scores(request, evidence, kb)
    add_scored(evidence, scores, engine.rules)
    yield events.chunk("vitals_evaluation", _vitals_content(evidence, scores))

    yield events.progress(KIND, "history_review")
    yield events.chunk("history_review", _history_content(evidence, engine.explainer))

    yield events.progress(KIND, "differential_diagnosis")
    present = evidence.present
    age, sex = request.history.age, request.history.sex
    case = engine.model.case(present, evidence.absent, age, sex)
    ranking = engine.model.rank(case)
    caught = engine.cant_miss.caught(present, ranking, kb.policy.triage)
    shown = _shown(ranking, caught)
    explain, describe = engine.model.explain, engine.explainer.differential_item
    items = [describe(item, explain(item.model_index, case)) for item in shown]
    for item in items:
        yield events.chunk("differential_diagnosis", item)

    yield events.progress(KIND, "primary_diagnosis")
    fired = engine.red_flags.fired(present)
    label = engine.explainer.mid_sentence.__getitem__
    decided = max(
        (
            decide_urgency(fired, each, kb.policy.triage, present, label)
            for each in _rankings_at_plausible_ages(ranking, case, engine)
        ),
        key=lambda decision: rank_of(decision.level),
    )
    urgency = settle_self_care(
        apply_safety_net(decided, caught, label),
        stated=any(r.status == "present" and r.via != "age" for r in evidence.reports.values()),
        unsettled=_unsettled(extracted),
    )
    urgency = note_unread(
        urgency, [item["text"] for item in extracted["unread"]] if extracted else []
    )
    urgency = age_not_stated(urgency, age is None)
    summary = _primary_summary(urgency, fired, shown, present, kb.policy.triage)
    yield events.chunk("primary_diagnosis", summary)

    yield events.progress(KIND, "complete")
    unstated = _unstated(request, kb)
    yield events.complete(_result(summary, items, shown, scores, evidence, kb, extracted, unstated))


def _read(
    request: DiagnosisRequest, engine: DiagnosisEngine
) -> tuple[DiagnosisRequest, Evidence, results.ExtractedNote | None]:
    """The request completed from its note, its evidence, and what the note was read as."""
    kb = engine.kb
    if request.note is None:
        evidence, _ = gather_evidence(request, kb, engine.rules)
        return request, evidence, None
    reading = read_note(request.note, kb)
    request, demographics = _with_note_demographics(request, reading)
    request, measured = apply_note_measurements(request, reading)
    evidence, used = gather_evidence(request, kb, engine.rules, reading)
    used.fields |= measured | demographics
    return request, evidence, extracted(reading, used)


def _rankings_at_plausible_ages(
    ranking: list[Ranked], case: Case, engine: DiagnosisEngine
) -> list[list[Ranked]]:
    """The ranking, and, when the age is not stated, the rankings at each end of the range it
    is assessed over: urgency is the most urgent of them, so a note that states no age is never
    triaged lower than the most vulnerable adult age it allows would be."""
    if case.age_years is not None:
        return [ranking]
    ends = engine.kb.policy.triage.unstated_ages
    model = engine.model
    return [ranking] + [
        model.rank(model.case(case.present, case.absent, end, case.sex)) for end in ends
    ]


def _unsettled(extracted: results.ExtractedNote | None) -> list[str]:
    """The labels of what the note left only possible (findings and conditions), in order."""
    if extracted is None:
        return []
    labels = [item["label"] for item in extracted["uncertain"] if item["label"]]
    return list(dict.fromkeys(labels))


def _primary_summary(
    urgency: Urgency,
    fired: list[RedFlagRule],
    shown: list[Ranked],
    present: frozenset[str],
    policy: TriagePolicy,
) -> results.PrimaryDiagnosis:
    primary = shown[0].condition
    return {
        "diagnosis": primary.name,
        "condition_id": primary.id,
        "icd10": primary.icd10,
        "confidence": shown[0].probability,
        "urgency": urgency.level,
        "urgency_reason": urgency.reason,
        "recommended_tests": recommended_tests(shown, policy),
        "red_flags": primary_red_flags(fired, shown, present, policy),
    }


def _scores(request: DiagnosisRequest, evidence: Evidence, kb: KnowledgeBase) -> results.Scores:
    if not kb.score_tables:
        return {}
    return compute_scores(
        request,
        evidence.present,
        evidence.absent,
        kb.score_tables,
        unstated_ages=kb.policy.triage.unstated_ages,
    )


def _shown(ranking: list[Ranked], caught: list[Caught]) -> list[Ranked]:
    """The leading conditions, and every condition not to be missed that the safety net holds
    (shown wherever it ranks, since it decides the urgency)."""
    shown = ranking[:MIN_DIFFERENTIAL]
    for item in ranking[MIN_DIFFERENTIAL:MAX_DIFFERENTIAL]:
        if item.probability < SHOWN_PROBABILITY:
            break
        shown.append(item)
    listed = {item.condition.id for item in shown}
    return shown + [c.ranked for c in caught if c.ranked.condition.id not in listed]


def _symptoms_content(
    evidence: Evidence, extracted: results.ExtractedNote | None
) -> results.SymptomsAnalysis:
    content: results.SymptomsAnalysis = {
        "recognized_findings": [report.as_dict() for report in evidence.of_via("symptom", "note")],
        "unrecognized_symptoms": list(evidence.unrecognized_symptoms),
    }
    if extracted is not None:
        content["extracted"] = extracted
    return content


def _vitals_content(evidence: Evidence, scores: results.Scores) -> results.VitalsEvaluation:
    measured = evidence.of_via("vitals", "labs", "age", "score")
    return {"findings": [report.as_dict() for report in measured], "scores": scores}


def _history_content(evidence: Evidence, explainer: Explainer) -> results.HistoryReview:
    return {
        "history_findings": [report.as_dict() for report in evidence.of_via("history")],
        "risk_factors": explainer.risk_factor_reports(evidence),
        "unrecognized_history": list(evidence.unrecognized_history),
    }


def _warnings(evidence: Evidence, extracted: results.ExtractedNote | None) -> list[str]:
    warnings = []
    if extracted is not None and "message" in extracted:
        warnings.append(extracted["message"])
    if not evidence.of_via("symptom", "note"):
        warnings.append(
            "No symptom was recognised, so the differential rests on age, sex, history and "
            "measurements alone; rephrase the symptoms listed as unrecognised."
        )
    return warnings


def _result(
    summary: results.PrimaryDiagnosis,
    items: list[results.DifferentialItem],
    shown: list[Ranked],
    scores: results.Scores,
    evidence: Evidence,
    kb: KnowledgeBase,
    extracted: results.ExtractedNote | None,
    unstated: list[str],
) -> results.DiagnosisResult:
    shown_units = sum(round(item.probability * 10**PROBABILITY_DECIMALS) for item in shown)
    result: results.DiagnosisResult = {
        "primary_diagnosis": summary["diagnosis"],
        "condition_id": summary["condition_id"],
        "icd10": summary["icd10"],
        "confidence": summary["confidence"],
        "urgency": summary["urgency"],
        "urgency_reason": summary["urgency_reason"],
        "differential": items,
        "other_probability": (10**PROBABILITY_DECIMALS - shown_units) / 10**PROBABILITY_DECIMALS,
        "recommended_tests": summary["recommended_tests"],
        "red_flags": summary["red_flags"],
        "scores": scores,
        "recognized_findings": [report.as_dict() for report in evidence.reports.values()],
        "unrecognized_symptoms": list(evidence.unrecognized_symptoms),
        "unrecognized_history": list(evidence.unrecognized_history),
        "warnings": [*unstated, *_warnings(evidence, extracted)],
        "engine_version": kb.engine_version,
        "disclaimer": kb.disclaimer,
    }
    if extracted is not None:
        result["extracted"] = extracted
    return result
