"""Regimens fall back to the alternative their guideline names when the first choice is ruled
out: by pregnancy, by an allergy (to the drug, its group or an excipient) or by an interaction.

Each case names the guideline (or label) that gives the alternative. Before the drugs were added
these requests returned nothing, or a drug the source does not name for the case.
"""

from __future__ import annotations

from typing import Any

import pytest

from clinical.engine.prescription.stream import prescription_result

ADULT = {"age": 40, "weight": 70, "sex": "male"}
PREGNANT = {"age": 30, "weight": 65, "sex": "female", "pregnant": True}
CHILD_8 = {"age": 8, "weight": 26, "sex": "male"}


def outcome(diagnosis: str, patient: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return prescription_result({"diagnosis": diagnosis, "patient_info": patient, **extra})


def prescribed(result: dict[str, Any]) -> list[str]:
    return [item["drug"] for item in result["medications"]]


def reasons(result: dict[str, Any]) -> dict[str, str]:
    joined: dict[str, list[str]] = {}
    for item in result["excluded"]:
        joined.setdefault(item["drug"], []).append(item["reason"])
    return {drug: " | ".join(texts) for drug, texts in joined.items()}


def test_acne_in_pregnancy_falls_back_from_the_retinoid_to_clindamycin_benzoyl_peroxide() -> None:
    """NICE NG198: topical retinoids are contraindicated in pregnancy; clindamycin with benzoyl
    peroxide can be used with caution (acne_primary_care_table_ng198)."""
    result = outcome("Acne vulgaris", PREGNANT)
    assert reasons(result)["adapalene_benzoyl_peroxide_gel"].startswith("pregnancy")
    assert prescribed(result) == ["clindamycin_benzoyl_peroxide_gel"]
    assert any("in pregnancy: Can be used with caution" in text for text in result["warnings"])


def test_a_permethrin_allergy_falls_back_to_malathion() -> None:
    """NICE CKS scabies, NHS Highland: malathion 0.5% aqueous liquid if permethrin is unsuitable."""
    result = outcome("Scabies", ADULT, allergies=["permethrin cream"])
    assert "named as an allergy" in reasons(result)["permethrin_cream"]
    assert prescribed(result) == ["malathion_liquid"]


def test_impetigo_without_peroxide_or_fusidic_acid_gets_mupirocin_before_an_oral_drug() -> None:
    """NICE NG153: hydrogen peroxide, then fusidic acid, then mupirocin (topical before oral)."""
    result = outcome("Impetigo", ADULT, allergies=["hydrogen peroxide cream", "fusidic acid cream"])
    assert prescribed(result) == ["mupirocin_ointment"]


def test_a_chloramphenicol_allergy_falls_back_to_fusidic_acid_eye_drops() -> None:
    """NICE CKS conjunctivitis: fusidic acid 1% eye drops are the alternative to chloramphenicol."""
    result = outcome("Bacterial conjunctivitis", ADULT, allergies=["chloramphenicol"])
    assert prescribed(result) == ["fusidic_acid_eye_drops"]


def test_a_sumatriptan_allergy_moves_to_another_triptan_with_an_nsaid() -> None:
    """NICE CG150: if one triptan is unsuitable, try another, with an NSAID."""
    result = outcome("Migraine", ADULT, allergies=["sumatriptan"])
    assert prescribed(result) == ["zolmitriptan", "ibuprofen"]


def test_an_maoi_rules_out_every_triptan_not_only_sumatriptan() -> None:
    """ONC high-priority list: triptans with MAO inhibitors are contraindicated, so the added
    triptans are not a route around the sumatriptan exclusion."""
    result = outcome("Migraine", ADULT, current_medications=["phenelzine"])
    excluded = reasons(result)
    for triptan in ("sumatriptan", "zolmitriptan", "rizatriptan"):
        assert excluded[triptan].startswith("contraindicated with Phenelzine"), triptan
    assert not {"sumatriptan", "zolmitriptan", "rizatriptan"} & set(prescribed(result))


def test_anxiety_on_clarithromycin_with_sertraline_unsuitable_gets_the_snri() -> None:
    """NICE CG113: another SSRI or an SNRI; MHRA 2011: escitalopram and citalopram are both
    contraindicated with clarithromycin (QT), leaving venlafaxine."""
    result = outcome(
        "Generalised anxiety disorder",
        ADULT,
        allergies=["sertraline"],
        current_medications=["clarithromycin"],
    )
    excluded = reasons(result)
    assert excluded["escitalopram"].startswith("contraindicated with Clarithromycin")
    assert excluded["citalopram"].startswith("contraindicated with Clarithromycin")
    assert prescribed(result) == ["venlafaxine"]


def test_af_with_apixaban_and_rivaroxaban_unsuitable_gets_edoxaban() -> None:
    """NICE NG196: apixaban, dabigatran, edoxaban or rivaroxaban."""
    result = outcome("Atrial fibrillation", ADULT, allergies=["apixaban", "rivaroxaban"])
    assert prescribed(result) == ["bisoprolol", "edoxaban"]


def test_edoxaban_is_reduced_below_creatinine_clearance_50() -> None:
    patient = {**ADULT, "egfr": 40}
    result = outcome("Atrial fibrillation", patient, allergies=["apixaban", "rivaroxaban"])
    edoxaban = next(item for item in result["medications"] if item["drug"] == "edoxaban")
    assert edoxaban["dose"] == "30 mg"


def test_vestibular_neuritis_in_a_child_gets_the_cyclizine_child_dose() -> None:
    """NICE CKS vertigo names cyclizine; the SmPC gives 25 mg for 6-12 years."""
    result = outcome("Vestibular neuritis", CHILD_8)
    assert prescribed(result) == ["cyclizine"]
    assert result["medications"][0]["dose"] == "25 mg"


def test_a_peanut_allergy_holds_back_the_arachis_oil_capsule() -> None:
    """Colpermin contains arachis (peanut) oil: with mebeverine unsuitable, NICE CG61's other
    antispasmodic is chosen instead."""
    result = outcome("Irritable bowel syndrome", ADULT, allergies=["mebeverine", "peanut"])
    assert "Peanut or soya" in reasons(result)["peppermint_oil"]
    assert prescribed(result) == ["hyoscine_butylbromide"]


@pytest.mark.parametrize(
    ("diagnosis", "allergies", "expected"),
    [
        ("Influenza", ["oseltamivir"], "zanamivir"),
        ("Urticaria", ["cetirizine", "loratadine"], "fexofenadine"),
        ("Constipation", ["ispaghula", "macrogol"], "lactulose"),
    ],
)
def test_the_next_named_option_follows_an_allergy(
    diagnosis: str, allergies: list[str], expected: str
) -> None:
    assert prescribed(outcome(diagnosis, ADULT, allergies=allergies)) == [expected]
