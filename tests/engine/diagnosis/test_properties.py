"""Properties over generated requests: any valid request gives a well-formed, deterministic stream;
any invalid one is refused with an EngineValidationError naming the field."""

from __future__ import annotations

import copy
import json
import math
import unicodedata
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinical.engine import EngineValidationError, diagnose
from clinical.engine.knowledge.loader import load_knowledge_base

KB = load_knowledge_base()
KNOWN_NAMES = sorted(
    {finding.label for finding in KB.findings.values()}
    | {synonym for finding in KB.findings.values() for synonym in finding.synonyms}
)
HISTORY_NAMES = sorted(
    {
        name
        for finding in KB.findings.values()
        if finding.category == "history"
        for name in (finding.label, *finding.synonyms)
    }
)
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
    database=None,
)

free_text = st.text(
    alphabet=st.characters(whitelist_categories=("L", "N", "Zs", "Pd", "Po")),
    min_size=1,
    max_size=40,
).filter(lambda text: text.strip() != "")
symptom_name = st.one_of(
    st.sampled_from(KNOWN_NAMES),
    st.sampled_from(KNOWN_NAMES).map(lambda name: f"no {name}"),
    free_text,
)
symptom = st.one_of(
    symptom_name,
    st.fixed_dictionaries(
        {"name": symptom_name},
        optional={
            "severity": st.sampled_from(["mild", "moderate", "severe"]),
            "duration": st.sampled_from(["2 hours", "3 days", "a week"]),
        },
    ),
)


@st.composite
def blood_pressure(draw: st.DrawFn) -> str:
    systolic = draw(st.integers(min_value=41, max_value=300))
    diastolic = draw(st.integers(min_value=20, max_value=min(200, systolic - 1)))
    return f"{systolic}/{diastolic}"


def number(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)


vitals = st.fixed_dictionaries(
    {},
    optional={
        "temperature": number(20, 45),
        "heart_rate": st.one_of(number(20, 300), st.integers(20, 300)),
        "blood_pressure": blood_pressure(),
        "respiratory_rate": number(3, 80),
        "oxygen_saturation": number(50, 100),
        "supplemental_oxygen": st.booleans(),
        "consciousness": st.sampled_from(
            ["alert", "confused", "voice", "pain", "unresponsive", "A", "c", "U"]
        ),
    },
)
labs = st.fixed_dictionaries(
    {},
    optional={
        "urea_mmol_l": number(0, 150),
        "glucose_mmol_l": number(0.5, 150),
        "wbc_10e9_l": number(0, 1000),
        "crp_mg_l": number(0, 1000),
        "ketones_mmol_l": number(0, 20),
        "lactate_mmol_l": number(0, 40),
        "troponin_ng_l": number(0, 1_000_000),
        "alt_u_l": number(0, 50_000),
    },
)


@st.composite
def history(draw: st.DrawFn) -> dict[str, Any]:
    sex = draw(st.sampled_from(["male", "female"]))
    age = draw(st.one_of(number(0, 120), st.integers(0, 120)))
    item: dict[str, Any] = {"age": age, "sex": sex}
    names = st.lists(st.one_of(st.sampled_from(HISTORY_NAMES), free_text), max_size=4)
    item["conditions"] = draw(names)
    item["medications"] = draw(names)
    item["smoker"] = draw(st.sampled_from([True, False, None]))
    if sex == "female" and age >= 10:
        item["pregnant"] = draw(st.sampled_from([True, False, None]))
    return item


@st.composite
def valid_request(draw: st.DrawFn) -> dict[str, Any]:
    request: dict[str, Any] = {
        "symptoms": draw(st.lists(symptom, min_size=1, max_size=8)),
        "history": draw(history()),
    }
    if draw(st.booleans()):
        request["vitals"] = draw(vitals)
    if draw(st.booleans()):
        request["labs"] = draw(labs)
    return request


@SETTINGS
@given(valid_request())
def test_any_valid_request_gives_a_well_formed_stream(request: dict[str, Any]) -> None:
    events = list(diagnose(request))
    assert events[-1]["type"] == "complete"
    result = events[-1]["result"]
    probabilities = [item["probability"] for item in result["differential"]]
    assert all(0 <= probability <= 1 for probability in probabilities)
    assert math.isclose(sum(probabilities) + result["other_probability"], 1, abs_tol=1e-6)
    assert 0 <= result["other_probability"] <= 1
    assert result["confidence"] == probabilities[0]
    assert probabilities == sorted(probabilities, reverse=True)
    assert result["urgency"] in {"emergency", "urgent", "routine", "self_care"}
    assert result["urgency_reason"]


@SETTINGS
@given(valid_request())
def test_any_valid_request_gives_identical_output_on_repeat(request: dict[str, Any]) -> None:
    first = json.dumps(list(diagnose(copy.deepcopy(request))))
    assert json.dumps(list(diagnose(request))) == first


@SETTINGS
@given(valid_request())
def test_every_symptom_is_either_recognised_or_reported_back(request: dict[str, Any]) -> None:
    result = list(diagnose(request))[-1]["result"]
    names = [item if isinstance(item, str) else item["name"] for item in request["symptoms"]]
    unrecognised = [name for name in names if KB.vocabulary.match_statement(name) is None]
    # The request model reports names as it validated them: NFC-normalised and stripped.
    expected = [unicodedata.normalize("NFC", name).strip() for name in unrecognised]
    assert result["unrecognized_symptoms"] == expected


# ------------------------------------------------------------------ invalid requests

CORRUPTIONS: list[tuple[str, tuple[str, ...], Any]] = [
    ("history.age", ("history", "age"), -1),
    ("history.age", ("history", "age"), 121),
    ("history.age", ("history", "age"), "forty"),
    ("history.sex", ("history", "sex"), "unknown"),
    ("history", ("history",), None),
    ("history.smoker", ("history", "smoker"), "yes"),
    ("history.conditions", ("history", "conditions"), "asthma"),
    ("vitals.heart_rate", ("vitals", "heart_rate"), 0),
    ("vitals.heart_rate", ("vitals", "heart_rate"), 301),
    ("vitals.heart_rate", ("vitals", "heart_rate"), float("nan")),
    ("vitals.temperature", ("vitals", "temperature"), float("inf")),
    ("vitals.blood_pressure", ("vitals", "blood_pressure"), "120"),
    ("vitals.blood_pressure", ("vitals", "blood_pressure"), "80/120"),
    ("vitals.oxygen_saturation", ("vitals", "oxygen_saturation"), 101),
    ("vitals.consciousness", ("vitals", "consciousness"), "sleepy"),
    ("vitals.supplemental_oxygen", ("vitals", "supplemental_oxygen"), "no"),
    ("labs.crp_mg_l", ("labs", "crp_mg_l"), -5),
    ("labs.sodium_mmol_l", ("labs", "sodium_mmol_l"), 140),
    ("symptoms", ("symptoms",), "cough"),
    ("symptoms.0", ("symptoms", 0), 5),
    ("symptoms.0.name", ("symptoms", 0), {"name": ""}),
    ("symptoms.0.severity", ("symptoms", 0), {"name": "cough", "severity": "awful"}),
    ("symptoms.0.name", ("symptoms", 0), {"name": "cough\u0000"}),
    ("unexpected", ("unexpected",), True),
]


def _corrupt(request: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    broken = copy.deepcopy(request)
    broken.setdefault("vitals", {})
    broken.setdefault("labs", {})
    target = broken
    for part in path[:-1]:
        target = target[part]
    if value is None and isinstance(target, dict):
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value
    return broken


@SETTINGS
@given(valid_request(), st.sampled_from(CORRUPTIONS))
def test_any_invalid_request_is_refused_naming_the_field(
    request: dict[str, Any], corruption: tuple[str, tuple[str, ...], Any]
) -> None:
    field, path, value = corruption
    broken = _corrupt(request, path, value)
    try:
        diagnose(broken)
    except EngineValidationError as error:
        assert any(key == field or key.startswith(f"{field}.") for key in error.details), (
            field,
            error.details,
        )
    else:
        raise AssertionError(f"{field}={value!r} was accepted")


@SETTINGS
@given(st.one_of(st.none(), st.integers(), st.text(), st.lists(st.integers())))
def test_data_that_is_not_an_object_is_refused(data: Any) -> None:
    try:
        diagnose(data)
    except EngineValidationError as error:
        assert error.details == {"data": ["must be a JSON object"]}
    else:
        raise AssertionError(f"{data!r} was accepted")


def test_a_male_cannot_be_pregnant() -> None:
    request = {"symptoms": ["cough"], "history": {"age": 30, "sex": "male", "pregnant": True}}
    try:
        diagnose(request)
    except EngineValidationError as error:
        assert "history" in error.details
    else:
        raise AssertionError("accepted")
