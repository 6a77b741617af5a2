"""Allergies as text or structured data (issue 16): the reaction type read from either decides
the cross-reactivity rules by their source (BNF penicillins; NICE CG183's reaction types;
Trubiano 2016's side chains); misspelt substances are read as the note reader reads them; an
allergy the knowledge base cannot read holds every drug back, with a warning first."""

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

ADULT = {"age": 40, "weight": 70, "sex": "male"}
CHILD = {"age": 4, "weight": 17, "sex": "male"}


def result(diagnosis: str, allergies: list[Any], patient: dict[str, Any] | None = None) -> Any:
    return prescription_result(
        {"diagnosis": diagnosis, "patient_info": patient or ADULT, "allergies": allergies}
    )


def held(diagnosis: str, drug_id: str, allergies: list[Any], patient: dict[str, Any]) -> list[str]:
    """Why one drug is held for this patient, whether or not the regimen reaches it."""
    request = {"diagnosis": diagnosis, "patient_info": patient, "allergies": allergies}
    return (
        Prescription(validate_prescription(request), load_knowledge_base()).assess(drug_id).reasons
    )


def prescribed(outcome: dict[str, Any]) -> list[str]:
    return [medication["drug"] for medication in outcome["medications"]]


def excluded(outcome: dict[str, Any]) -> dict[str, str]:
    return {item["drug"]: item["reason"] for item in outcome["excluded"]}


def reaction(outcome: dict[str, Any]) -> str:
    return outcome["allergy_check"]["recognized"][0]["reaction"]


@pytest.mark.parametrize(
    "allergy",
    [
        {"substance": "penicillin", "reaction": "anaphylaxis", "severity": "severe"},
        "penicillin anaphylaxis",
        "penicillin - anaphylaxis",
        "Penicillin (hives and lip swelling within 30 minutes)",
    ],
)
def test_an_immediate_penicillin_reaction_holds_every_cephalosporin(allergy: Any) -> None:
    """BNF penicillins: no cephalosporin after immediate hypersensitivity to a penicillin."""
    outcome = result("Pyelonephritis", [allergy])
    assert reaction(outcome) == "immediate"
    assert "cefalexin" in excluded(outcome)
    assert "[bnf_penicillins]" in excluded(outcome)["cefalexin"]
    assert prescribed(outcome) == ["ciprofloxacin"]


def test_a_delayed_rash_to_amoxicillin_holds_the_cephalosporins_sharing_its_side_chain() -> None:
    """Trubiano 2016: after a T-cell-mediated reaction to an aminopenicillin avoid cefalexin."""
    outcome = result(
        "Pyelonephritis",
        [{"substance": "amoxicillin", "reaction": "widespread itchy maculopapular rash, day 5"}],
    )
    assert reaction(outcome) == "non_immediate"
    assert "[trubiano_2016_side_chains]" in excluded(outcome)["cefalexin"]
    assert prescribed(outcome) == ["ciprofloxacin"]


def test_augmentin_with_a_rash_written_as_text_is_an_aminopenicillin_reaction() -> None:
    outcome = result("Pyelonephritis", ["Augmentin (rash)"])
    assert reaction(outcome) == "non_immediate"
    assert outcome["unrecognized_allergies"] == []
    assert "cefalexin" in excluded(outcome)


def test_cefalexin_anaphylaxis_holds_amoxicillin_which_shares_its_side_chain() -> None:
    outcome = result(
        "Acute otitis media",
        [{"substance": "cefalexin", "reaction": "anaphylaxis (wheeze, hypotension)"}],
        CHILD,
    )
    assert "[trubiano_2016_side_chains]" in excluded(outcome)["amoxicillin"]
    assert "amoxicillin" not in prescribed(outcome)
    assert prescribed(outcome)


@pytest.mark.parametrize(
    "allergy",
    [{"substance": "penicillin", "reaction": "nausea and diarrhoea"}, "amoxicillin - diarrhoea"],
)
def test_an_intolerance_keeps_the_drug_with_a_warning(allergy: Any) -> None:
    outcome = result("J18.9", [allergy])
    assert reaction(outcome) == "intolerance"
    assert prescribed(outcome) == ["amoxicillin"]
    assert any("intolerance, not an allergy" in warning for warning in outcome["warnings"])


def test_a_severe_reaction_with_systemic_involvement_holds_the_group() -> None:
    """NICE CG183 table 3: a non-immediate reaction with organ involvement."""
    outcome = result(
        "Cellulitis", [{"substance": "flucloxacillin", "reaction": "cholestatic jaundice"}]
    )
    assert reaction(outcome) == "severe"
    assert "flucloxacillin" in excluded(outcome)
    jaundice = [{"substance": "flucloxacillin", "reaction": "cholestatic jaundice"}]
    assert held("Cellulitis", "co_amoxiclav", jaundice, ADULT)
    assert "flucloxacillin" not in prescribed(outcome)


def test_stevens_johnson_syndrome_to_septrin_holds_trimethoprim() -> None:
    sjs = [{"substance": "Septrin", "reaction": "Stevens-Johnson syndrome"}]
    woman = {"age": 48, "weight": 70, "sex": "female", "pregnant": False}
    outcome = result("Lower urinary tract infection (cystitis)", sjs, woman)
    assert reaction(outcome) == "severe"
    assert held("Lower urinary tract infection (cystitis)", "trimethoprim", sjs, woman)
    assert "trimethoprim" not in prescribed(outcome)


def test_tazocin_is_a_penicillin() -> None:
    outcome = result("Cellulitis", [{"substance": "Tazocin", "reaction": "anaphylaxis"}])
    assert "flucloxacillin" in excluded(outcome)
    assert outcome["allergy_check"]["groups"] == ["Penicillins"]


def test_a_misspelt_substance_is_read_with_the_note_readers_typo_tolerance() -> None:
    outcome = result("J18.9", ["penicilin - anaphylaxis"])
    assert outcome["allergy_check"]["recognized"][0]["matched"] == "spelling corrected"
    assert "amoxicillin" in excluded(outcome)
    assert any("read as 'penicillin'" in warning for warning in outcome["warnings"])


def test_an_allergy_that_cannot_be_read_holds_every_drug_back_with_a_warning_first() -> None:
    outcome = result(
        "Acute otitis media",
        [{"substance": "the pink antibiotic", "reaction": "lip and eye swelling"}],
        CHILD,
    )
    assert prescribed(outcome) == []
    assert outcome["warnings"][0].startswith("Allergy 'the pink antibiotic (lip and eye swelling)'")
    assert "held back" in outcome["warnings"][0]
    assert all(
        "was not recognised: it may be to" in reason for reason in excluded(outcome).values()
    )


def test_an_allergen_that_is_not_a_medicine_holds_nothing_back() -> None:
    outcome = result("J18.9", ["latex"])
    assert prescribed(outcome) == ["amoxicillin"]
    assert "Allergy 'latex' was not recognised as a medicine" in outcome["warnings"][0]


@pytest.mark.parametrize(
    ("allergy", "field", "message"),
    [
        ({"substance": "amoxicillin", "reacton": "rash"}, "allergies.0.reacton", "unknown field"),
        ({"reaction": "rash"}, "allergies.0.substance", "this field is required"),
        (3, "allergies.0", "must be an allergy name or an object with a substance"),
    ],
)
def test_a_malformed_structured_allergy_is_refused_by_field(
    allergy: Any, field: str, message: str
) -> None:
    with pytest.raises(EngineValidationError) as error:
        result("J18.9", [allergy])
    assert error.value.details == {field: [message]}
