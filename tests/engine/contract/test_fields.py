"""The field registry is the one definition of every vital sign and lab: the request models, the
note reader, the derived findings' and score tables' inputs, the extracted result and the
portal's labels all follow it."""

from __future__ import annotations

import pytest

from clinical.engine import display_labels, request_bounds
from clinical.engine.contract import fields
from clinical.engine.contract.errors import EngineValidationError
from clinical.engine.contract.requests import Labs, Vitals, parse_diagnosis
from clinical.engine.knowledge import schema
from clinical.engine.note import extracted, read_note
from clinical.engine.note.report import LAB_FIELDS, VITAL_FIELDS

BOUNDED = [m for m in (*fields.VITAL_SIGNS, *fields.LABS) if m.minimum is not None]
STEP = 0.01


def _diagnosis(measure: fields.Measure, value: float) -> dict:
    return {
        "symptoms": ["cough"],
        "history": {"age": 40, "sex": "male"},
        measure.group: {measure.name: value},
    }


def test_the_request_models_have_the_registry_s_fields_in_its_order() -> None:
    assert tuple(Vitals.model_fields) == fields.VITAL_NAMES
    assert tuple(Labs.model_fields) == fields.LAB_NAMES


@pytest.mark.parametrize("measure", BOUNDED, ids=lambda m: m.name)
def test_each_bound_is_accepted_at_its_edge_and_refused_past_it(measure: fields.Measure) -> None:
    for value in (measure.minimum, measure.maximum):
        parse_diagnosis(_diagnosis(measure, float(value)))
    for value in (measure.minimum - STEP, measure.maximum + STEP):
        with pytest.raises(EngineValidationError) as error:
            parse_diagnosis(_diagnosis(measure, float(value)))
        assert f"{measure.group}.{measure.name}" in error.value.details


def test_the_portal_checks_the_same_bounds() -> None:
    bounds = request_bounds()
    for measure in BOUNDED:
        limits = bounds[measure.group][measure.name]
        assert (limits["min"], limits["max"]) == (measure.minimum, measure.maximum)
    pressure = bounds["blood_pressure"]
    assert (pressure["systolic"]["min"], pressure["systolic"]["max"]) == fields.SYSTOLIC_BOUNDS


def test_derived_findings_and_scores_may_test_every_measured_input() -> None:
    numbers = {
        n for m in fields.VITAL_SIGNS if m.kind in ("number", "pressure") for n in m.derived_inputs
    }
    assert numbers | set(fields.LAB_NAMES) | {"age"} == set(fields.NUMERIC_INPUTS)
    assert set(fields.VITAL_INPUTS) <= set(schema.DERIVED_INPUTS)
    assert set(fields.LAB_INPUTS) <= set(schema.DERIVED_INPUTS)


def test_the_extracted_result_and_the_portal_label_every_measurement() -> None:
    labels = display_labels()
    assert set(labels["vitals"]) == set(VITAL_FIELDS)
    assert set(labels["labs"]) == set(LAB_FIELDS) == set(fields.LAB_NAMES)


WRITTEN_AS = {
    "BUN": "urea_mmol_l",
    "urea": "urea_mmol_l",
    "glucose": "glucose_mmol_l",
    "WCC": "wbc_10e9_l",
    "CRP": "crp_mg_l",
    "ketones": "ketones_mmol_l",
    "lactate": "lactate_mmol_l",
    "Hb": "haemoglobin_g_l",
    "K": "potassium_mmol_l",
    "creatinine": "creatinine_umol_l",
    "troponin": "troponin_ng_l",
    "ALT": "alt_u_l",
    "INR": "inr",
}


def test_the_examples_cover_every_lab() -> None:
    assert set(WRITTEN_AS.values()) == set(fields.LAB_NAMES)


@pytest.mark.parametrize(("label", "name"), WRITTEN_AS.items())
def test_every_lab_is_read_from_a_note_by_its_label(label: str, name: str, knowledge_base) -> None:
    labs = extracted(read_note(f"Bloods: {label} 5.5", knowledge_base))["labs"]
    assert name in labs
