"""Published scores from plain values, for the score tests: NEWS2, qSOFA, CURB-65, CRB-65, Centor
and McIsaac evaluated on the bundled knowledge base's tables (or on ``tables`` given), as the
engine evaluates them for a request."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from clinical.engine.contract.requests import Vitals
from clinical.engine.diagnosis.scores import Observations, evaluate_score
from clinical.engine.knowledge.loader import load_knowledge_base
from clinical.engine.knowledge.score_tables import ScoreTable, Value


def bundled_score_tables() -> Mapping[str, ScoreTable]:
    """The tables shipped in the knowledge base (loaded once per process)."""
    return load_knowledge_base().score_tables


def _acvpu(consciousness: str | None) -> str | None:
    """``A``/``alert``/... as the request model normalises it (one validator for both paths)."""
    return None if consciousness is None else Vitals(consciousness=consciousness).consciousness


def _findings(**known: bool | None) -> tuple[set[str], set[str]]:
    present = {finding for finding, value in known.items() if value is True}
    absent = {finding for finding, value in known.items() if value is False}
    return present, absent


def _score(
    score_id: str,
    tables: Mapping[str, ScoreTable] | None,
    values: Mapping[str, Value | None],
    findings: tuple[Iterable[str], Iterable[str]] = ((), ()),
    scale: int | None = None,
) -> dict[str, Any]:
    table = (tables if tables is not None else bundled_score_tables())[score_id]
    return evaluate_score(table, Observations.of(values, *findings), scale=scale)


def news2_score(
    *,
    respiratory_rate: float | None = None,
    oxygen_saturation: float | None = None,
    supplemental_oxygen: bool | None = None,
    temperature: float | None = None,
    systolic_bp: float | None = None,
    heart_rate: float | None = None,
    consciousness: str | None = None,
    scale: int = 1,
    tables: Mapping[str, ScoreTable] | None = None,
) -> dict[str, Any]:
    """NEWS2 from plain values; scale 2 is the SpO2 scale for hypercapnic respiratory failure."""
    values = {
        "respiratory_rate": respiratory_rate,
        "oxygen_saturation": oxygen_saturation,
        "supplemental_oxygen": supplemental_oxygen,
        "temperature": temperature,
        "systolic_bp": systolic_bp,
        "heart_rate": heart_rate,
        "consciousness": _acvpu(consciousness),
    }
    return _score("news2", tables, values, scale=scale)


def qsofa_score(
    *,
    respiratory_rate: float | None = None,
    systolic_bp: float | None = None,
    consciousness: str | None = None,
    altered_consciousness: bool | None = None,
    tables: Mapping[str, ScoreTable] | None = None,
) -> dict[str, Any]:
    """qSOFA; altered mentation from the ACVPU level, else from the finding when it is known."""
    values = {
        "respiratory_rate": respiratory_rate,
        "systolic_bp": systolic_bp,
        "consciousness": _acvpu(consciousness),
    }
    findings = _findings(altered_consciousness=altered_consciousness)
    return _score("qsofa", tables, values, findings)


def curb65_score(
    *,
    consciousness: str | None = None,
    altered_consciousness: bool | None = None,
    urea_mmol_l: float | None = None,
    respiratory_rate: float | None = None,
    systolic_bp: float | None = None,
    diastolic_bp: float | None = None,
    age: float | None = None,
    tables: Mapping[str, ScoreTable] | None = None,
) -> dict[str, Any]:
    """CURB-65 (hospital, with urea); ``altered_consciousness`` is new confusion (AMT 8 or less)."""
    values = _pneumonia_values(consciousness, respiratory_rate, systolic_bp, diastolic_bp, age)
    findings = _findings(altered_consciousness=altered_consciousness)
    return _score("curb65", tables, values | {"urea_mmol_l": urea_mmol_l}, findings)


def crb65_score(
    *,
    consciousness: str | None = None,
    altered_consciousness: bool | None = None,
    respiratory_rate: float | None = None,
    systolic_bp: float | None = None,
    diastolic_bp: float | None = None,
    age: float | None = None,
    tables: Mapping[str, ScoreTable] | None = None,
) -> dict[str, Any]:
    """CRB-65 (primary care, no urea)."""
    values = _pneumonia_values(consciousness, respiratory_rate, systolic_bp, diastolic_bp, age)
    findings = _findings(altered_consciousness=altered_consciousness)
    return _score("crb65", tables, values, findings)


def _pneumonia_values(
    consciousness: str | None,
    respiratory_rate: float | None,
    systolic_bp: float | None,
    diastolic_bp: float | None,
    age: float | None,
) -> dict[str, Value | None]:
    return {
        "consciousness": _acvpu(consciousness),
        "respiratory_rate": respiratory_rate,
        "systolic_bp": systolic_bp,
        "diastolic_bp": diastolic_bp,
        "age": age,
    }


def centor_score(
    *,
    tonsillar_exudate: bool | None = None,
    neck_lymphadenopathy: bool | None = None,
    fever: bool | None = None,
    cough: bool | None = None,
    temperature: float | None = None,
    tables: Mapping[str, ScoreTable] | None = None,
) -> dict[str, Any]:
    """Centor; each argument is a finding known present (True) or absent (False)."""
    findings = _findings(
        tonsillar_exudate=tonsillar_exudate,
        neck_lymphadenopathy=neck_lymphadenopathy,
        fever=fever,
        cough=cough,
    )
    return _score("centor", tables, {"temperature": temperature}, findings)


def mcisaac_score(
    *,
    age: float | None = None,
    tonsillar_exudate: bool | None = None,
    neck_lymphadenopathy: bool | None = None,
    fever: bool | None = None,
    cough: bool | None = None,
    temperature: float | None = None,
    tables: Mapping[str, ScoreTable] | None = None,
) -> dict[str, Any]:
    """McIsaac (Centor with an age item); findings as for :func:`centor_score`."""
    findings = _findings(
        tonsillar_exudate=tonsillar_exudate,
        neck_lymphadenopathy=neck_lymphadenopathy,
        fever=fever,
        cough=cough,
    )
    return _score("mcisaac", tables, {"temperature": temperature, "age": age}, findings)
