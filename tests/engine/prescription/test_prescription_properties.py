"""Properties over generated prescription requests: any valid request gives a well-formed,
deterministic stream whose every medication can be given; any invalid one is refused with an
EngineValidationError naming the field."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinical.engine import EngineValidationError, prescribe
from clinical.engine.contract.events import STAGES
from clinical.engine.knowledge.loader import load_knowledge_base

KB = load_knowledge_base()
DIAGNOSES = sorted(
    {condition.name for condition in KB.conditions.values()}
    | {condition.icd10 for condition in KB.conditions.values()}
    | {condition.icd10.lower().replace(".", "") for condition in KB.conditions.values()}
)
DRUG_NAMES = sorted({name for drug in KB.drugs.values() for name in (drug.name, *drug.synonyms)})
ALLERGY_NAMES = sorted(
    {name for group in KB.allergy_groups.values() for name in (group.name, *group.synonyms)}
    | set(DRUG_NAMES)
)
SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
    database=None,
)
STAGE_ORDER = [name for name, _, _ in STAGES["prescription"]]

free_text = st.text(
    alphabet=st.characters(whitelist_categories=("L", "N", "Zs", "Pd", "Po")),
    min_size=1,
    max_size=40,
).filter(lambda text: text.strip() != "")


@st.composite
def patients(draw: st.DrawFn) -> dict[str, Any]:
    sex = draw(st.sampled_from(["male", "female"]))
    patient: dict[str, Any] = {
        "age": draw(st.one_of(st.floats(0, 120), st.integers(0, 120).map(float))),
        "weight": draw(st.floats(0.3, 350)),
        "sex": sex,
    }
    if draw(st.booleans()):
        patient["egfr"] = draw(
            st.one_of(st.floats(0, 200), st.sampled_from([10.0, 15.0, 30.0, 45.0]))
        )
    if sex == "female" and draw(st.booleans()):
        patient["pregnant"] = draw(st.booleans())
    return patient


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = {
        "diagnosis": draw(st.sampled_from(DIAGNOSES)),
        "patient_info": draw(patients()),
    }
    if draw(st.booleans()):
        names = st.one_of(st.sampled_from(ALLERGY_NAMES), free_text)
        data["allergies"] = draw(st.lists(names, max_size=4))
    if draw(st.booleans()):
        names = st.one_of(
            st.sampled_from(DRUG_NAMES),
            st.sampled_from(DRUG_NAMES).map(lambda name: f"{name} 10 mg daily"),
            free_text,
        )
        data["current_medications"] = draw(st.lists(names, max_size=5))
    return data


@SETTINGS
@given(requests())
def test_any_valid_request_streams_every_stage_and_a_usable_result(data: dict[str, Any]) -> None:
    events = list(prescribe(data))
    progress = [event["stage"] for event in events if event["type"] == "progress"]
    assert progress == STAGE_ORDER
    assert events[-1]["type"] == "complete"
    result = events[-1]["result"]
    json.dumps(result)  # the wire carries JSON
    for medication in result["medications"]:
        for key in ("name", "dose", "route", "frequency", "duration", "rationale", "source"):
            assert medication[key], (key, medication)
        assert medication["dose_mg"] > 0
    if not result["medications"]:
        assert result["warnings"], "an empty prescription must say why"
    prescribed = {medication["drug"] for medication in result["medications"]}
    assert not prescribed & {item["drug"] for item in result["excluded"]} - _passed_over(result)


def _passed_over(result: dict[str, Any]) -> set[str]:
    """A drug left out of one option (major interaction) may still be given in another."""
    return {item["drug"] for item in result["excluded"] if "major interaction" in item["reason"]}


@SETTINGS
@given(requests())
def test_the_same_request_gives_the_same_events(data: dict[str, Any]) -> None:
    assert list(prescribe(copy.deepcopy(data))) == list(prescribe(data))


@SETTINGS
@given(requests())
def test_an_allergy_named_in_full_is_never_prescribed(data: dict[str, Any]) -> None:
    result = list(prescribe(data))[-1]["result"]
    for allergy in data.get("allergies", []):
        named = KB.vocabulary.match_drug(allergy)
        assert named not in {medication["drug"] for medication in result["medications"]}


INVALID_CHANGES = [
    ("diagnosis", lambda data: data.update(diagnosis="")),
    ("diagnosis", lambda data: data.update(diagnosis=42)),
    ("diagnosis", lambda data: data.update(diagnosis="zz no such condition zz")),
    ("patient_info", lambda data: data.pop("patient_info")),
    ("patient_info.age", lambda data: data["patient_info"].update(age=-1)),
    ("patient_info.age", lambda data: data["patient_info"].update(age=121)),
    ("patient_info.age", lambda data: data["patient_info"].update(age="forty")),
    ("patient_info.weight", lambda data: data["patient_info"].update(weight=0.1)),
    ("patient_info.weight", lambda data: data["patient_info"].update(weight=float("nan"))),
    ("patient_info.egfr", lambda data: data["patient_info"].update(egfr=201)),
    ("patient_info.sex", lambda data: data["patient_info"].update(sex="x")),
    ("patient_info.pregnant", lambda data: data["patient_info"].update(pregnant="yes")),
    ("allergies", lambda data: data.update(allergies="penicillin")),
    ("allergies.0", lambda data: data.update(allergies=[""])),
    ("current_medications.0", lambda data: data.update(current_medications=["a\nb"])),
    ("current_medications", lambda data: data.update(current_medications=["x"] * 51)),
    ("unexpected", lambda data: data.update(unexpected=True)),
]


@SETTINGS
@given(requests(), st.sampled_from(INVALID_CHANGES))
def test_an_invalid_request_is_refused_naming_the_field(data: dict[str, Any], change) -> None:
    field, mutate = change
    data = copy.deepcopy(data)
    mutate(data)
    try:
        prescribe(data)
    except EngineValidationError as error:
        assert field in error.details, (field, error.details)
    else:
        raise AssertionError(f"accepted an invalid {field}")
