"""The prescription engine against the bundled knowledge base: diagnosis lookup, the stream,
dosing, renal bands, allergies and cross-reactivity, pregnancy, interactions and empty results.

Expected values rest on the drug data: a failure here after a data change means either the data
or the expectation moved, and the test names the drug and the rule.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from clinical import engine
from clinical.engine.contract.errors import EngineValidationError
from clinical.engine.contract.requests import PrescriptionRequest
from clinical.engine.knowledge.loader import KnowledgeBase, build_knowledge_base
from clinical.engine.prescription.dosing import format_dose, round_down
from clinical.engine.prescription.stream import (
    Prescription,
    prescribe,
    prescription_result,
    validate_prescription,
)

ADULT = {"age": 40, "weight": 70, "sex": "male"}
WOMAN = {"age": 30, "weight": 60, "sex": "female", "pregnant": False}
PREGNANT = {"age": 30, "weight": 65, "sex": "female", "pregnant": True}


def request(diagnosis: str, patient: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"diagnosis": diagnosis, "patient_info": patient or ADULT, **extra}


def result(diagnosis: str, patient: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return prescription_result(request(diagnosis, patient, **extra))


def drugs(outcome: dict[str, Any]) -> list[str]:
    return [medication["drug"] for medication in outcome["medications"]]


def excluded(outcome: dict[str, Any]) -> dict[str, str]:
    """Drug id -> its exclusion reasons, joined."""
    reasons: dict[str, list[str]] = {}
    for item in outcome["excluded"]:
        reasons.setdefault(item["drug"], []).append(item["reason"])
    return {drug: " | ".join(items) for drug, items in reasons.items()}


def medication(outcome: dict[str, Any], drug_id: str) -> dict[str, Any]:
    return next(item for item in outcome["medications"] if item["drug"] == drug_id)


def warnings(outcome: dict[str, Any]) -> str:
    return "\n".join(outcome["warnings"])


def assessment(diagnosis: str, drug_id: str, patient: dict[str, Any] | None = None, **extra: Any):
    """One drug checked against a patient, whether or not the regimen reaches it."""
    parsed = validate_prescription(request(diagnosis, patient, **extra))
    return Prescription(parsed, engine_kb()).assess(drug_id)


def engine_kb() -> KnowledgeBase:
    from clinical.engine.knowledge.loader import load_knowledge_base

    return load_knowledge_base()


# ------------------------------------------------------------------ the diagnosis


@pytest.mark.parametrize("diagnosis", ["J18.9", "j18.9", "J189", " j18.9 "])
def test_an_icd10_code_names_the_diagnosis(diagnosis: str) -> None:
    outcome = result(diagnosis)
    assert outcome["diagnosis"] == "Community-acquired pneumonia"
    assert outcome["icd10"] == "J18.9"


@pytest.mark.parametrize(
    "diagnosis",
    [
        "Community-acquired pneumonia",
        "COMMUNITY ACQUIRED PNEUMONIA",
        "community_acquired_pneumonia",
    ],
)
def test_a_condition_name_or_id_names_the_diagnosis_in_any_case(diagnosis: str) -> None:
    assert result(diagnosis)["icd10"] == "J18.9"


def test_an_unknown_diagnosis_is_refused_with_close_names() -> None:
    with pytest.raises(EngineValidationError) as caught:
        validate_prescription(request("pnuemonia"))
    (message,) = caught.value.details["diagnosis"]
    assert message.startswith("unknown diagnosis 'pnuemonia'; did you mean: ")
    assert "Community-acquired pneumonia" in message
    assert message.endswith("?")


def test_a_symptom_given_as_a_diagnosis_suggests_conditions_showing_it() -> None:
    with pytest.raises(EngineValidationError) as caught:
        validate_prescription(request("sore throat"))
    assert "Streptococcal pharyngitis" in caught.value.details["diagnosis"][0]


def test_an_unknown_icd10_code_of_a_shared_category_suggests_the_category() -> None:
    with pytest.raises(EngineValidationError) as caught:
        validate_prescription(request("J02.8"))
    message = caught.value.details["diagnosis"][0]
    assert "Streptococcal pharyngitis (tonsillitis) (J02.0)" in message
    assert "Viral pharyngitis (J02.9)" in message


def test_validation_returns_the_request_model() -> None:
    parsed = engine.validate_prescription(request("J18.9"))
    assert isinstance(parsed, PrescriptionRequest)
    assert engine.validate_prescription(parsed) is parsed


def test_prescribe_refuses_before_yielding_any_event() -> None:
    with pytest.raises(EngineValidationError):
        engine.prescribe(request("no such condition"))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (request("J18.9", {"age": 40, "weight": 0, "sex": "male"}), "patient_info.weight"),
        (
            request("J18.9", {"age": 40, "weight": 70, "sex": "male", "egfr": -1}),
            "patient_info.egfr",
        ),
        (
            request("J18.9", {"age": 40, "weight": 70, "sex": "male", "pregnant": True}),
            "patient_info",
        ),
        (request("", ADULT), "diagnosis"),
        ({**request("J18.9"), "allergies": "penicillin"}, "allergies"),
        ({**request("J18.9"), "dose": 1}, "dose"),
    ],
)
def test_an_invalid_request_names_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(EngineValidationError) as caught:
        engine.prescribe(data)
    assert field in caught.value.details


# ------------------------------------------------------------------ the stream


def test_the_stages_come_in_protocol_order_and_end_with_complete() -> None:
    events = list(prescribe(request("J18.9", current_medications=["warfarin"])))
    stages = [
        (event["stage"], event["progress"]) for event in events if event["type"] == "progress"
    ]
    assert stages == [
        ("allergy_check", 10),
        ("medication_selection", 30),
        ("interaction_check", 60),
        ("monitoring_advice", 80),
        ("finalization", 95),
        ("complete", 100),
    ]
    assert events[-1]["type"] == "complete"
    current = None
    for event in events[:-1]:
        if event["type"] == "progress":
            current = event["stage"]
        else:
            assert event["type"] == "stream_chunk" and event["stage"] == current


def test_each_medication_interaction_and_monitoring_item_is_a_chunk() -> None:
    data = request("Deep vein thrombosis", current_medications=["ibuprofen"])
    events = list(prescribe(data))
    outcome = events[-1]["result"]

    def contents(stage: str) -> list[Any]:
        return [e["content"] for e in events if e["type"] == "stream_chunk" and e["stage"] == stage]

    assert contents("medication_selection") == outcome["medications"]
    assert contents("interaction_check") == outcome["interactions"]
    assert contents("monitoring_advice") == outcome["monitoring"]
    assert contents("finalization") == [
        {"follow_up": outcome["follow_up"], "warnings": outcome["warnings"]}
    ]
    (allergy_chunk,) = contents("allergy_check")
    assert set(allergy_chunk) == {"recognized", "unrecognized", "groups", "cross_reactivity"}


def test_the_result_holds_every_protocol_field(knowledge_base: KnowledgeBase) -> None:
    outcome = result("J18.9")
    for key in (
        "diagnosis",
        "icd10",
        "medications",
        "excluded",
        "interactions",
        "monitoring",
        "follow_up",
        "warnings",
        "non_drug",
        "unrecognized_medications",
        "engine_version",
        "disclaimer",
    ):
        assert key in outcome, key
    assert outcome["engine_version"] == knowledge_base.engine_version
    assert outcome["disclaimer"] == knowledge_base.disclaimer
    for item in outcome["medications"]:
        assert {"name", "dose", "route", "frequency", "duration", "rationale", "source"} <= set(
            item
        )


def test_the_same_request_gives_identical_events() -> None:
    data = request(
        "Community-acquired pneumonia",
        {"age": 70, "weight": 60, "sex": "female", "egfr": 25},
        allergies=["penicillin", "latex"],
        current_medications=["warfarin", "simvastatin 40 mg", "zorblax"],
    )
    assert list(prescribe(data)) == list(prescribe(data))


# ------------------------------------------------------------------ dosing


def test_an_adult_gets_the_regimen_dose() -> None:
    amoxicillin = medication(result("J18.9"), "amoxicillin")
    assert amoxicillin["dose"] == "500 mg"
    assert amoxicillin["dose_mg"] == 500
    assert amoxicillin["frequency"].startswith("three times daily")
    assert amoxicillin["route"] == "oral"
    assert amoxicillin["duration"] == "5 days"
    assert amoxicillin["source"] == "nice_ng138"
    assert "adult dose" in amoxicillin["rationale"]


def test_a_child_gets_mg_per_kg_times_weight_rounded_down() -> None:
    child = {"age": 3, "weight": 14.3, "sex": "male"}
    amoxicillin = medication(result("Acute otitis media", child), "amoxicillin")
    # amoxicillin 30 mg/kg per dose (bnf_amoxicillin): 429 mg, rounded down to 420 mg
    assert amoxicillin["dose"] == "420 mg"
    assert "30 mg/kg x 14.3 kg = 429 mg" in amoxicillin["rationale"]
    assert "rounded down to 420 mg" in amoxicillin["rationale"]
    assert amoxicillin["frequency"] == "three times daily"


def test_a_child_dose_is_capped_at_the_maximum_single_dose() -> None:
    child = {"age": 11, "weight": 45, "sex": "female", "pregnant": False}
    amoxicillin = medication(result("Acute otitis media", child), "amoxicillin")
    assert amoxicillin["dose"] == "500 mg"  # 30 mg/kg x 45 kg = 1350 mg, max_dose_mg 500
    assert "capped at the maximum single dose of 500 mg" in amoxicillin["rationale"]


def test_from_18_the_adult_dose_applies_and_before_it_the_child_dose() -> None:
    adult = medication(result("J18.9", {"age": 18, "weight": 40, "sex": "male"}), "amoxicillin")
    child = medication(result("J18.9", {"age": 17.9, "weight": 10, "sex": "male"}), "amoxicillin")
    assert adult["dose"] == "500 mg" and "adult dose" in adult["rationale"]
    assert child["dose"] == "300 mg" and "child: 30 mg/kg x 10 kg = 300 mg" in child["rationale"]
    assert "rounded" not in child["rationale"]  # exact: nothing to round


def test_below_the_minimum_age_the_drug_is_excluded() -> None:
    newborn = {"age": 0.05, "weight": 3.5, "sex": "male"}
    outcome = result("Acute otitis media", newborn)
    reasons = excluded(outcome)
    assert "below the minimum age of 1 month" in reasons["amoxicillin"]
    assert "below the minimum age of 1 month" in reasons["clarithromycin"]
    # co-amoxiclav's child doses (bnfc_co_amoxiclav) start at 1 month, like the others'
    assert "below the minimum age of 1 month for Co-amoxiclav" in reasons["co_amoxiclav"]
    assert outcome["medications"] == []


def test_at_the_minimum_age_the_drug_is_given() -> None:
    one_month = {"age": 1 / 12, "weight": 4.2, "sex": "male"}
    amoxicillin = medication(result("Acute otitis media", one_month), "amoxicillin")
    assert amoxicillin["dose"] == "120 mg"  # 30 mg/kg x 4.2 kg = 126 mg


def test_an_age_rule_excludes_doxycycline_under_12() -> None:
    child = {"age": 10, "weight": 32, "sex": "male"}
    outcome = result("Acute sinusitis", child, allergies=["penicillin"])
    assert "is below 12 years" in excluded(outcome)["doxycycline"]
    clarithromycin = medication(outcome, "clarithromycin")
    assert clarithromycin["dose"] == "240 mg"  # 7.5 mg/kg x 32 kg


@pytest.mark.parametrize(
    ("mg", "rounded"),
    [
        ("429", "420"),
        ("399", "390"),
        ("100", "100"),
        ("2.475", "2.4"),
        ("1350", "1300"),
        ("9.99", "9.9"),
    ],
)
def test_rounding_is_down_to_two_significant_figures(mg: str, rounded: str) -> None:
    assert round_down(Decimal(mg)) == Decimal(rounded)


@pytest.mark.parametrize(
    ("mg", "text"),
    [("500", "500 mg"), ("0.125", "125 micrograms"), ("1200", "1.2 g"), ("2.5", "2.5 mg")],
)
def test_doses_are_written_as_a_prescriber_writes_them(mg: str, text: str) -> None:
    assert format_dose(Decimal(mg)) == text


# ------------------------------------------------------------------ renal bands


def _with_egfr(egfr: float, **patient: Any) -> dict[str, Any]:
    return {**ADULT, "egfr": egfr, **patient}


@pytest.mark.parametrize(
    ("egfr", "frequency"),
    [(30, "three times daily"), (29.9, "twice daily"), (10, "twice daily"), (9.9, "once daily")],
)
def test_a_reduce_band_applies_below_its_threshold_lowest_band_first(egfr, frequency) -> None:
    amoxicillin = medication(result("J18.9", _with_egfr(egfr)), "amoxicillin")
    assert amoxicillin["frequency"].startswith(frequency)
    assert bool(amoxicillin["adjustments"]) == (egfr < 30)


def test_a_reduction_says_why_and_cites_its_source() -> None:
    outcome = result("J18.9", _with_egfr(25))
    (change,) = medication(outcome, "amoxicillin")["adjustments"]
    assert change.startswith("eGFR 25 below 30: reduced to 500 mg twice daily")
    assert "[emc_amoxicillin_smpc]" in change
    assert change in warnings(outcome)


def test_an_avoid_band_excludes_below_its_threshold_only() -> None:
    at_edge = result("Lower urinary tract infection", _with_egfr(45, **WOMAN))
    below = result("Lower urinary tract infection", _with_egfr(44.9, **WOMAN))
    assert drugs(at_edge) == ["nitrofurantoin"]
    assert "eGFR 44.9 below 45: avoid" in excluded(below)["nitrofurantoin"]
    assert drugs(below) == ["trimethoprim"]


def test_a_caution_band_keeps_the_drug_with_a_warning() -> None:
    at_edge = result("Deep vein thrombosis", _with_egfr(30))
    below = result("Deep vein thrombosis", _with_egfr(29.9))
    assert drugs(at_edge) == drugs(below) == ["apixaban"]
    assert "eGFR" not in warnings(at_edge)
    assert "Apixaban: eGFR 29.9 below 30: caution" in warnings(below)


def test_without_an_egfr_no_renal_band_applies() -> None:
    assert medication(result("J18.9"), "amoxicillin")["adjustments"] == []


# ------------------------------------------------------------------ allergies


def test_a_penicillin_allergy_excludes_amoxicillin_and_uses_the_allergy_alternative() -> None:
    outcome = result("J18.9", allergies=["penicillin"])
    assert excluded(outcome)["amoxicillin"] == (
        "penicillin allergy (Amoxicillin belongs to the Penicillins allergy group; reaction not "
        "stated or not recognised: treated as possibly immediate) [aaaai_2022_drug_allergy]"
    )
    assert drugs(outcome) == ["doxycycline"]
    assert medication(outcome, "doxycycline")["rationale"].startswith(
        "Alternative for Penicillins allergy"
    )


def test_a_drug_named_as_an_allergy_excludes_it_and_flags_its_group() -> None:
    outcome = result("Acute otitis media", allergies=["Amoxil"])
    assert "Amoxicillin is named as an allergy" in excluded(outcome)["amoxicillin"]
    assert drugs(outcome) == ["clarithromycin"]
    check = outcome["allergy_check"]
    assert check["groups"] == [
        "Penicillins",
        "Aminopenicillins (amoxicillin, ampicillin, co-amoxiclav)",
    ]
    co_amoxiclav = assessment("Acute otitis media", "co_amoxiclav", allergies=["Amoxil"])
    assert "belongs to the Penicillins allergy group" in co_amoxiclav.reasons[0]


def test_a_penicillin_allergy_with_no_reaction_stated_holds_the_cephalosporin() -> None:
    """BNF penicillins: no cephalosporin after immediate hypersensitivity to a penicillin; with
    the reaction not stated it may have been immediate."""
    outcome = result("Pyelonephritis", allergies=["penicillin"])
    assert drugs(outcome) == ["ciprofloxacin"]
    assert "treated as possibly immediate" in excluded(outcome)["cefalexin"]
    assert "[bnf_penicillins]" in excluded(outcome)["cefalexin"]
    notes = outcome["allergy_check"]["cross_reactivity"]
    assert {"from": "Penicillins", "to": "Cephalosporins", "action": "exclude"}.items() <= (
        notes[0].items()
    )


def test_a_cephalosporin_after_a_non_immediate_penicillin_rash_is_kept_with_a_caution() -> None:
    outcome = result("Pyelonephritis", allergies=["phenoxymethylpenicillin (rash on day 7)"])
    assert drugs(outcome) == ["cefalexin"]
    text = warnings(outcome)
    assert (
        "Cefalexin: caution, phenoxymethylpenicillin (rash on day 7) allergy (non-immediate" in text
    )
    assert outcome["allergy_check"]["recognized"][0]["reaction"] == "non_immediate"


def test_a_cross_reactivity_marked_exclude_drops_the_drug(kb_copy) -> None:
    def exclude_cephalosporins(document: dict[str, Any]) -> None:
        for group in document["allergy_groups"]:
            for rule in group.get("cross_reactivity", []):
                rule["action"] = "exclude"

    kb_copy.edit("allergy_groups/antibiotics.yaml", exclude_cephalosporins)
    copy = build_knowledge_base(kb_copy.root)
    outcome = prescription_result(request("Pyelonephritis", allergies=["penicillin"]), copy)
    assert (
        "cross-reactivity between Penicillins and Cephalosporins"
        in (excluded(outcome)["cefalexin"])
    )
    assert drugs(outcome) == ["ciprofloxacin"]


def test_a_sulfonamide_antibiotic_allergy_spares_non_antibiotic_sulfonamides() -> None:
    """strom_2003_sulfonamide: no cross-reactivity to furosemide, thiazides or sulfonylureas."""
    assert assessment("J18.9", "co_trimoxazole", allergies=["sulfa"]).reasons
    for drug_id in ("furosemide", "bendroflumethiazide", "gliclazide", "trimethoprim"):
        assert assessment("J18.9", drug_id, allergies=["sulfa"]).reasons == [], drug_id


@pytest.mark.parametrize("allergy", ["NSAIDs", "ibuprofen allergy", "aspirin", "Nurofen"])
def test_an_nsaid_allergy_excludes_every_nsaid(allergy: str) -> None:
    outcome = result("Non-specific (mechanical) low back pain", allergies=[allergy])
    assert "ibuprofen" in excluded(outcome)
    assert drugs(outcome) == ["codeine"]
    assert assessment("J18.9", "naproxen", allergies=[allergy]).reasons
    assert assessment("J18.9", "paracetamol", allergies=[allergy]).reasons == []


def test_an_allergy_with_extra_words_is_read_by_the_name_inside_it() -> None:
    outcome = result("J18.9", allergies=["penicillin-type antibiotic (rash as a child)"])
    assert "amoxicillin" in excluded(outcome)
    assert outcome["unrecognized_allergies"] == ["penicillin-type antibiotic (rash as a child)"]
    assert "checked as Penicillins" in warnings(outcome)


@pytest.mark.parametrize("allergy", ["allergic to codeine", "Codeine allergy", "codeine"])
def test_an_allergy_is_recognised_however_it_is_phrased(allergy: str) -> None:
    outcome = result("Non-specific (mechanical) low back pain", allergies=["NSAIDs", allergy])
    assert outcome["unrecognized_allergies"] == []
    assert excluded(outcome)["codeine"].lower().startswith("codeine allergy (codeine phosphate")
    assert outcome["medications"] == []


def test_an_unrecognised_allergy_is_reported_back() -> None:
    outcome = result("J18.9", allergies=["latex"])
    assert outcome["unrecognized_allergies"] == ["latex"]
    assert outcome["allergy_check"]["unrecognized"] == ["latex"]
    assert "Allergy 'latex' was not recognised" in warnings(outcome)


# ------------------------------------------------------------------ contraindications


def test_the_diagnosis_itself_can_contraindicate_a_drug() -> None:
    amoxicillin = assessment("Infectious mononucleosis", "amoxicillin")
    assert "the diagnosis is Infectious mononucleosis" in amoxicillin.reasons[0]


def test_a_history_the_request_cannot_show_is_listed_to_check() -> None:
    outcome = result("Non-specific (mechanical) low back pain")
    ibuprofen = medication(outcome, "ibuprofen")
    assert any("peptic ulcer" in check.lower() for check in ibuprofen["check_before_prescribing"])
    assert "Ibuprofen: confirm first" in warnings(outcome)


# ------------------------------------------------------------------ pregnancy


def test_pregnancy_avoid_excludes_and_caution_warns() -> None:
    outcome = result("Lower urinary tract infection", PREGNANT)
    assert drugs(outcome) == ["nitrofurantoin"]
    assert "Nitrofurantoin in pregnancy:" in warnings(outcome)
    assert (
        assessment("Lower urinary tract infection", "trimethoprim", PREGNANT)
        .reasons[0]
        .startswith("pregnancy: avoid")
    )


def test_pregnancy_excludes_nsaids_for_back_pain() -> None:
    outcome = result("Non-specific (mechanical) low back pain", PREGNANT)
    assert excluded(outcome)["ibuprofen"].startswith("pregnancy: avoid")
    assert excluded(outcome)["naproxen"].startswith("pregnancy: avoid")
    assert drugs(outcome) == ["codeine"]
    assert "Codeine phosphate in pregnancy:" in warnings(outcome)


def test_an_unstated_pregnancy_is_a_check_for_a_woman() -> None:
    woman = {"age": 30, "weight": 60, "sex": "female"}
    outcome = result("Lower urinary tract infection", _with_egfr(40, **woman))
    assert drugs(outcome) == ["trimethoprim"]
    assert "pregnancy not stated" in warnings(outcome)
    man = result("Lower urinary tract infection", _with_egfr(40))
    assert "pregnancy not stated" not in warnings(man)


# ------------------------------------------------------------------ interactions


def test_a_tag_interaction_is_found_with_the_prescribed_drug_first_in_the_pair() -> None:
    """[tag:doac, tag:nsaid]: apixaban prescribed, ibuprofen taken."""
    outcome = result("Deep vein thrombosis", current_medications=["ibuprofen"])
    assert drugs(outcome) == ["apixaban"]  # every option has the major interaction: kept, alerted
    (found,) = outcome["interactions"]
    assert found["drug_ids"] == ["apixaban", "ibuprofen"]
    assert found["severity"] == "major"
    assert "Major interaction, Apixaban + Ibuprofen" in warnings(outcome)


def test_a_tag_interaction_is_found_with_the_prescribed_drug_second_in_the_pair() -> None:
    """The same pair the other way round: ibuprofen prescribed, apixaban taken."""
    outcome = result("Non-specific (mechanical) low back pain", current_medications=["apixaban"])
    reasons = excluded(outcome)
    assert "major interaction with Apixaban (current medication)" in reasons["ibuprofen"]
    assert "major interaction with Apixaban (current medication)" in reasons["naproxen"]
    assert drugs(outcome) == ["codeine"]
    assert outcome["interactions"] == []


def test_a_contraindicated_interaction_excludes_the_drug() -> None:
    outcome = result("Deep vein thrombosis", current_medications=["warfarin"])
    reasons = excluded(outcome)
    assert reasons["apixaban"].startswith("contraindicated with Warfarin (current medication")
    assert reasons["rivaroxaban"].startswith("contraindicated with Warfarin (current medication")
    assert outcome["medications"] == []


def test_a_major_interaction_without_an_alternative_is_kept_with_an_alert() -> None:
    outcome = result(
        "Streptococcal pharyngitis", allergies=["penicillin"], current_medications=["warfarin"]
    )
    assert drugs(outcome) == ["clarithromycin"]
    assert outcome["interactions"][0]["severity"] == "major"
    assert "Major interaction, Clarithromycin + Warfarin" in warnings(outcome)


def test_a_medication_written_with_its_dose_still_meets_its_interactions() -> None:
    outcome = result(
        "Streptococcal pharyngitis",
        allergies=["penicillin"],
        current_medications=["Simvastatin 40 mg at night"],
    )
    assert "contraindicated with Simvastatin" in excluded(outcome)["clarithromycin"]
    assert "contraindicated with Simvastatin" in excluded(outcome)["erythromycin"]
    assert outcome["unrecognized_medications"] == ["Simvastatin 40 mg at night"]
    assert "checked for interactions as Simvastatin" in warnings(outcome)


def test_an_unknown_medication_is_reported_back() -> None:
    outcome = result("J18.9", current_medications=["zorblax"])
    assert outcome["unrecognized_medications"] == ["zorblax"]
    assert "Current medication 'zorblax' was not recognised" in warnings(outcome)


def test_a_drug_already_taken_is_flagged() -> None:
    outcome = result("J18.9", current_medications=["amoxicillin"])
    assert "Amoxicillin is already a current medication" in warnings(outcome)


def _regimen_option(kb_copy, condition: str, first_line: list[list[str]]) -> KnowledgeBase:
    """A copy whose regimen for ``condition`` starts with the given options."""

    def change(document: dict[str, Any]) -> None:
        regimen = next(item for item in document["regimens"] if item["condition"] == condition)
        options = [{"drugs": [{"drug": drug} for drug in option]} for option in first_line]
        regimen["first_line"] = options + regimen["first_line"]

    path = next(
        path.relative_to(kb_copy.root).as_posix()
        for path in (kb_copy.root / "regimens").glob("*.yaml")
        if f"condition: {condition}" in path.read_text(encoding="utf-8")
    )
    kb_copy.edit(path, change)
    return build_knowledge_base(kb_copy.root)


def test_a_major_interaction_within_an_option_prefers_an_option_without_it(kb_copy) -> None:
    copy = _regimen_option(kb_copy, "atrial_fibrillation", [["bisoprolol", "diltiazem"]])
    outcome = prescription_result(request("Atrial fibrillation"), copy)
    assert (
        "major interaction with Diltiazem hydrochloride in the same option"
        in excluded(outcome)["bisoprolol"]
    )
    assert drugs(outcome) == ["bisoprolol", "apixaban"]


def test_a_contraindicated_pair_within_an_option_drops_the_option(kb_copy) -> None:
    copy = _regimen_option(kb_copy, "atrial_fibrillation", [["sildenafil", "glyceryl_trinitrate"]])
    outcome = prescription_result(request("Atrial fibrillation"), copy)
    assert (
        "contraindicated with Sildenafil in the same option"
        in (excluded(outcome)["glyceryl_trinitrate"])
    )
    assert drugs(outcome) == ["bisoprolol", "apixaban"]


def test_a_moderate_interaction_within_an_option_is_reported(kb_copy) -> None:
    copy = _regimen_option(kb_copy, "tension_type_headache", [["aspirin", "ibuprofen"]])
    outcome = prescription_result(request("Tension-type headache"), copy)
    assert drugs(outcome) == ["aspirin", "ibuprofen"]
    (found,) = outcome["interactions"]
    assert (found["drug_ids"], found["severity"]) == (["aspirin", "ibuprofen"], "moderate")


# ------------------------------------------------------------------ no medication


def test_an_emergency_without_drug_treatment_says_so() -> None:
    outcome = result("Acute appendicitis")
    assert outcome["medications"] == []
    assert outcome["follow_up"] == engine_kb().regimens["acute_appendicitis"].follow_up
    assert "Acute appendicitis is an emergency: a hospital pathway" in warnings(outcome)


def test_a_condition_not_treated_with_drugs_says_so() -> None:
    outcome = result("Acute bronchitis")
    assert outcome["medications"] == []
    assert "No medication suggested" in warnings(outcome)
    assert "emergency" not in warnings(outcome)


def test_when_every_option_is_excluded_the_result_says_so() -> None:
    outcome = result("Deep vein thrombosis", _with_egfr(10))
    assert outcome["medications"] == []
    assert set(excluded(outcome)) == {"apixaban", "rivaroxaban"}
    assert "every option in the regimen for Deep vein thrombosis was excluded" in warnings(outcome)
    assert "Seek specialist advice" in warnings(outcome)
