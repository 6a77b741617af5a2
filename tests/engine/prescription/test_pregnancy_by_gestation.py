"""Pregnancy by gestation and breastfeeding as stated facts (issue 16): gestation rules by their
source (MHRA 2023 NSAIDs from 20 weeks and after 28; UKTIS nitrofurantoin at term; BNF
trimethoprim in the first trimester), and current medicines screened against pregnancy and renal
function with stop-or-switch advice."""

from __future__ import annotations

from typing import Any

import pytest

from clinical.engine.contract.errors import EngineValidationError
from clinical.engine.knowledge.loader import load_knowledge_base
from clinical.engine.prescription.stream import (
    Prescription,
    prescription_result,
    validate_prescription,
)


def woman(**facts: Any) -> dict[str, Any]:
    return {"age": 30, "weight": 65, "sex": "female", **facts}


def request(diagnosis: str, patient: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"diagnosis": diagnosis, "patient_info": patient, **extra}


def assess(diagnosis: str, drug_id: str, patient: dict[str, Any], **extra: Any) -> Any:
    parsed = validate_prescription(request(diagnosis, patient, **extra))
    return Prescription(parsed, load_knowledge_base()).assess(drug_id)


def prescribed(outcome: dict[str, Any]) -> list[str]:
    return [medication["drug"] for medication in outcome["medications"]]


BACK_PAIN = "Non-specific (mechanical) low back pain"
CYSTITIS = "Lower urinary tract infection (cystitis)"


def test_an_nsaid_before_20_weeks_is_a_caution_and_from_20_weeks_is_avoided() -> None:
    early = assess(BACK_PAIN, "ibuprofen", woman(gestation_weeks=12))
    assert early.reasons == []
    assert any("before 20 weeks" in w.lower() for w in early.warnings)
    later = assess(BACK_PAIN, "ibuprofen", woman(gestation_weeks=22))
    assert "[mhra_dsu_nsaids_pregnancy_2023]" in later.reasons[0]
    assert "From week 20" in later.reasons[0]


def test_the_third_trimester_stated_as_such_makes_an_nsaid_contraindicated() -> None:
    reasons = assess(BACK_PAIN, "naproxen", woman(trimester=3)).reasons
    assert "pregnancy in the third trimester" in reasons[0]
    assert "contraindicated" in reasons[0]


def test_nitrofurantoin_is_kept_early_in_pregnancy_and_avoided_at_term() -> None:
    assert assess(CYSTITIS, "nitrofurantoin", woman(gestation_weeks=16)).reasons == []
    at_term = assess(CYSTITIS, "nitrofurantoin", woman(gestation_weeks=38)).reasons
    assert "[uktis_nitrofurantoin_pregnancy]" in at_term[0]
    assert "nitrofurantoin" not in prescribed(
        prescription_result(request(CYSTITIS, woman(gestation_weeks=38)))
    )


def test_a_pregnancy_without_a_gestation_asks_about_the_stricter_weeks() -> None:
    checks = assess(CYSTITIS, "nitrofurantoin", woman(pregnant=True)).checks
    assert any(check.startswith("gestation not stated: from 36 weeks") for check in checks)


def test_trimethoprim_in_the_first_trimester_names_its_teratogenic_risk() -> None:
    reasons = assess(CYSTITIS, "trimethoprim", woman(gestation_weeks=8)).reasons
    assert "folate antagonist" in reasons[0]


@pytest.mark.parametrize(
    ("medicine", "source"),
    [
        ("ramipril 5 mg", "mhra_dsu_ace_arb_pregnancy"),
        ("losartan", "uktis_arb_pregnancy"),
        ("warfarin", "bnf_warfarin"),
        ("Epilim chrono 500 mg bd", "mhra_dsu_valproate_2018"),
        ("methotrexate 10 mg weekly", "bnf_methotrexate"),
        ("simvastatin", "bnf_simvastatin"),
    ],
)
def test_a_current_medicine_ruled_out_by_pregnancy_is_to_stop_or_switch(
    medicine: str, source: str
) -> None:
    outcome = prescription_result(
        request(CYSTITIS, woman(gestation_weeks=10), current_medications=[medicine])
    )
    advice = [w for w in outcome["warnings"] if "in pregnancy at 10 weeks" in w]
    assert advice and "Stop or switch" in advice[0]
    assert f"[{source}]" in advice[0]


def test_a_current_medicine_ruled_out_by_the_renal_function_is_to_review() -> None:
    outcome = prescription_result(
        request(CYSTITIS, woman(pregnant=False, egfr=25), current_medications=["nitrofurantoin"])
    )
    assert any(
        w.startswith("Current medication 'nitrofurantoin'") and "stop or switch" in w
        for w in outcome["warnings"]
    )


def test_breastfeeding_stated_false_is_not_asked_about_and_true_is_checked() -> None:
    def asked(facts: dict[str, Any]) -> bool:
        checks = assess(BACK_PAIN, "codeine", woman(pregnant=False, **facts)).checks
        return any("breastfeeding" in check.lower() for check in checks)

    assert asked({})
    assert not asked({"breastfeeding": False})
    held = assess(BACK_PAIN, "codeine", woman(pregnant=False, breastfeeding=True)).reasons
    assert any("the patient is breastfeeding" in reason for reason in held)


@pytest.mark.parametrize(
    ("facts", "message"),
    [
        ({"sex": "male", "breastfeeding": True}, "breastfeeding is true but sex is male"),
        ({"pregnant": False, "gestation_weeks": 12}, "a gestation is given but the patient"),
    ],
)
def test_impossible_pregnancy_facts_are_refused(facts: dict[str, Any], message: str) -> None:
    with pytest.raises(EngineValidationError) as error:
        prescription_result(request(CYSTITIS, woman(**facts)))
    assert message in " ".join(error.value.details["patient_info"])


def test_a_current_medicine_the_request_contraindicates_is_to_stop_or_switch() -> None:
    """MHRA 2013: codeine is not to be used for analgesia under 12."""
    outcome = prescription_result(
        request(
            "Acute otitis media",
            {"age": 8, "weight": 26, "sex": "male"},
            current_medications=["co-codamol"],
        )
    )
    assert any(
        w.startswith("Current medication 'co-codamol'") and "Stop or switch" in w
        for w in outcome["warnings"]
    )
