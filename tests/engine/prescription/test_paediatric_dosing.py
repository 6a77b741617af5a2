"""Child doses in each of the three forms a drug may give them (docs/knowledge-base.md): mg/kg,
age- or weight-banded fixed doses, and the adult dose from an age; checked at every band edge,
with the refusal a child outside every form gets. Also the schema's checks on those forms, and
the sex-specific history checks (a man is never asked whether he is breastfeeding)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from clinical.engine.contract.errors import KnowledgeBaseError
from clinical.engine.contract.requests import PatientInfo
from clinical.engine.knowledge.loader import KnowledgeBase, build_knowledge_base
from clinical.engine.knowledge.schema import DoseBand, PaediatricDose, RegimenDrug
from clinical.engine.prescription.dosing import Dose, DoseRefusal, band_label, dose_for
from clinical.engine.prescription.stream import prescription_result


def child_dose(kb: KnowledgeBase, drug_id: str, age: float, weight: float = 20.0, **item: Any):
    patient = PatientInfo(age=age, weight=weight, sex="female")
    adult_from = kb.policy.prescribing.adult_dose_from_years.value
    drug, regimen_item = kb.drugs[drug_id], RegimenDrug(drug=drug_id, **item)
    return dose_for(drug, regimen_item, patient, None, adult_from_years=adult_from)


def given(dose: Dose | DoseRefusal) -> tuple[Decimal, str]:
    assert isinstance(dose, Dose), dose
    return dose.dose_mg, dose.frequency


# ------------------------------------------------------------------ age bands


@pytest.mark.parametrize(
    ("age", "mg", "frequency"),
    [
        (2.0, "2.5", "twice daily"),  # first day of "2-5 years"
        (5.99, "2.5", "twice daily"),
        (6.0, "5", "twice daily"),  # first day of "6-11 years"
        (11.99, "5", "twice daily"),
        (12.0, "10", "once daily"),  # the adult dose from 12
        (17.9, "10", "once daily"),
    ],
)
def test_cetirizine_follows_its_age_bands_at_each_edge(
    knowledge_base: KnowledgeBase, age: float, mg: str, frequency: str
) -> None:
    dose, how_often = given(child_dose(knowledge_base, "cetirizine", age))
    assert (dose, how_often) == (Decimal(mg), frequency)


def test_below_the_first_band_the_minimum_age_refuses(knowledge_base: KnowledgeBase) -> None:
    refusal = child_dose(knowledge_base, "cetirizine", 1.99, weight=11)
    assert isinstance(refusal, DoseRefusal)
    assert "below the minimum age of 24 months for Cetirizine hydrochloride" in refusal.reason


def test_a_band_dose_says_which_band_and_cites_its_source(knowledge_base: KnowledgeBase) -> None:
    dose = child_dose(knowledge_base, "cetirizine", 4)
    assert isinstance(dose, Dose)
    assert dose.basis == "child 2-5 years: fixed dose 2.5 mg [emc_zirtek_smpc]"


@pytest.mark.parametrize(
    ("months", "mg"),
    [(2.99, None), (3, "2.5"), (11.99, "2.5"), (12, "5"), (59.9, "5"), (60, "7.5"), (120, "10")],
)
def test_buccal_midazolam_bands_from_3_months(
    knowledge_base: KnowledgeBase, months: float, mg: str | None
) -> None:
    dose = child_dose(knowledge_base, "midazolam_buccal", months / 12, weight=8)
    if mg is None:
        assert isinstance(dose, DoseRefusal)
        assert "minimum age of 3 months" in dose.reason
    else:
        assert given(dose)[0] == Decimal(mg)


@pytest.mark.parametrize(
    ("age", "mg"), [(0.5, "300"), (0.99, "300"), (1.0, "600"), (9.99, "600"), (10.0, "1200")]
)
def test_pre_hospital_benzylpenicillin_never_exceeds_the_adult_dose(
    knowledge_base: KnowledgeBase, age: float, mg: str
) -> None:
    # NICE NG240: under 1 year 300 mg, 1-9 years 600 mg, 10 years and over 1.2 g
    item = {"dose_mg": 1200, "frequency": "single dose before transfer"}
    dose, _ = given(child_dose(knowledge_base, "benzylpenicillin", age, weight=60, **item))
    assert dose == Decimal(mg)
    assert dose <= Decimal(knowledge_base.drugs["benzylpenicillin"].adult.dose_mg)


# ------------------------------------------------------------------ weight bands


@pytest.mark.parametrize(("weight", "mg"), [(14, "5"), (30, "5"), (30.1, "10"), (38, "10")])
def test_loratadine_at_2_to_11_years_goes_by_weight_30_kg_or_less_or_more(
    knowledge_base: KnowledgeBase, weight: float, mg: str
) -> None:
    assert given(child_dose(knowledge_base, "loratadine", 8, weight=weight))[0] == Decimal(mg)


@pytest.mark.parametrize(("weight", "mg"), [(10, "10"), (19.9, "10"), (20, "20"), (45, "20")])
def test_omeprazole_goes_by_weight_10_to_under_20_kg_or_20_kg_and_above(
    knowledge_base: KnowledgeBase, weight: float, mg: str
) -> None:
    assert given(child_dose(knowledge_base, "omeprazole", 7, weight=weight))[0] == Decimal(mg)


def test_a_child_outside_every_weight_band_is_refused_naming_the_bands(
    knowledge_base: KnowledgeBase,
) -> None:
    refusal = child_dose(knowledge_base, "omeprazole", 3, weight=9.9)
    assert isinstance(refusal, DoseRefusal)
    assert "no paediatric dose for Omeprazole" in refusal.reason
    assert "child 2-17 years, body-weight 10 kg or more and under 20 kg" in refusal.reason
    assert refusal.reason.endswith("[fda_prilosec_label]")


# ------------------------------------------------------------------ mg/kg inside a band


def test_a_band_may_dose_by_weight(knowledge_base: KnowledgeBase) -> None:
    dose = child_dose(knowledge_base, "co_amoxiclav", 0.5, weight=6)
    assert isinstance(dose, Dose)
    assert dose.dose_mg == Decimal("46")  # 7.8 mg/kg x 6 kg = 46.8 mg, rounded down
    assert dose.basis.startswith("child 1-11 months: child: 7.8 mg/kg x 6 kg = 46.8 mg")
    assert given(child_dose(knowledge_base, "co_amoxiclav", 1.0))[0] == Decimal("156.25")
    assert given(child_dose(knowledge_base, "co_amoxiclav", 6.0))[0] == Decimal("312.5")
    assert given(child_dose(knowledge_base, "co_amoxiclav", 12.0))[0] == Decimal("625")


def test_plain_mg_per_kg_still_applies_and_is_capped(knowledge_base: KnowledgeBase) -> None:
    dose = child_dose(knowledge_base, "ciprofloxacin", 14, weight=80)
    assert isinstance(dose, Dose)
    assert dose.dose_mg == Decimal("750")  # 10 mg/kg x 80 kg, capped at 750 mg
    assert "capped at the maximum single dose of 750 mg" in dose.basis


# ------------------------------------------------------------------ adult dose from an age


@pytest.mark.parametrize(("drug", "from_age"), [("fosfomycin", 12), ("pivmecillinam", 16)])
def test_the_adult_dose_applies_from_its_age_and_not_a_day_before(
    knowledge_base: KnowledgeBase, drug: str, from_age: float
) -> None:
    before = child_dose(knowledge_base, drug, from_age - 0.01, weight=45)
    assert isinstance(before, DoseRefusal)
    assert f"the adult dose from age {from_age}" in before.reason
    at = child_dose(knowledge_base, drug, from_age, weight=45)
    assert isinstance(at, Dose)
    assert at.dose_mg == Decimal(str(knowledge_base.drugs[drug].adult.dose_mg))
    assert f"the adult dose applies from age {from_age}" in at.basis


def test_the_adult_dose_from_age_keeps_the_regimens_own_dose(
    knowledge_base: KnowledgeBase,
) -> None:
    dose = child_dose(knowledge_base, "fosfomycin", 13, weight=45, dose_mg=3000)
    assert given(dose) == (Decimal("3000"), knowledge_base.drugs["fosfomycin"].adult.frequency)


def test_eye_drops_give_the_adult_dose_at_every_age(knowledge_base: KnowledgeBase) -> None:
    adult = knowledge_base.drugs["chloramphenicol_eye_drops"].adult
    assert given(child_dose(knowledge_base, "chloramphenicol_eye_drops", 0.1, weight=4)) == (
        Decimal(str(adult.dose_mg)),
        adult.frequency,
    )


# ------------------------------------------------------------------ not licensed


@pytest.mark.parametrize(
    ("drug", "why"),
    [
        ("sumatriptan", "not recommended under 18"),
        ("lansoprazole", "not licensed for children"),
        ("valaciclovir", "licensed for shingles in adults only"),
    ],
)
def test_a_drug_not_licensed_in_children_is_refused_with_that_reason(
    knowledge_base: KnowledgeBase, drug: str, why: str
) -> None:
    refusal = child_dose(knowledge_base, drug, 14, weight=50)
    assert isinstance(refusal, DoseRefusal)
    assert why in refusal.reason


def test_a_refused_drug_appears_in_excluded_and_an_alternative_is_given() -> None:
    child = {"age": 9, "weight": 30, "sex": "male"}
    outcome = prescription_result({"diagnosis": "Herpes zoster", "patient_info": child})
    assert "aciclovir" in [medication["drug"] for medication in outcome["medications"]]
    if "valaciclovir" in {item["drug"] for item in outcome["excluded"]}:
        reason = next(i["reason"] for i in outcome["excluded"] if i["drug"] == "valaciclovir")
        assert "licensed for shingles in adults only" in reason


def test_hay_fever_in_a_child_is_treated_with_a_band_dose() -> None:
    child = {"age": 4, "weight": 16, "sex": "female"}
    outcome = prescription_result({"diagnosis": "hay fever", "patient_info": child})
    (cetirizine,) = outcome["medications"]
    assert (cetirizine["drug"], cetirizine["dose"], cetirizine["frequency"]) == (
        "cetirizine",
        "2.5 mg",
        "twice daily",
    )


# ------------------------------------------------------------------ band wording


@pytest.mark.parametrize(
    ("band", "label"),
    [
        ({"min_age_years": 2, "max_age_years": 6}, "child 2-5 years"),
        ({"min_age_months": 1, "max_age_years": 1}, "child 1-11 months"),
        ({"min_age_years": 1, "max_age_years": 2}, "child 12-23 months"),
        ({"max_age_years": 10}, "child under 10 years"),
        ({"min_age_years": 5, "max_age_years": 6}, "child 5 years"),
        ({"min_age_months": 3, "max_age_years": 5}, "child 3 months to under 5 years"),
        ({"min_age_years": 12}, "child 12 years and over"),
    ],
)
def test_a_band_is_named_as_bnf_for_children_names_it(band: dict[str, Any], label: str) -> None:
    assert band_label(DoseBand(dose_mg=1, frequency="daily", **band)) == label


# ------------------------------------------------------------------ schema checks


@pytest.mark.parametrize(
    ("paediatric", "message"),
    [
        ({"source": "bnf_amoxicillin"}, "give mg_per_kg, bands, adult_dose_from_years"),
        ({"mg_per_kg": 10}, "mg_per_kg and frequency go together"),
        (
            {"bands": [{"max_age_years": 6, "dose_mg": 1, "mg_per_kg": 1, "frequency": "daily"}]},
            "give exactly one of dose_mg and mg_per_kg",
        ),
        (
            {
                "bands": [
                    {"max_age_years": 6, "dose_mg": 1, "frequency": "daily"},
                    {"min_age_years": 5, "max_age_years": 12, "dose_mg": 2, "frequency": "daily"},
                ]
            },
            "two dose bands cover the same age and weight",
        ),
        (
            {
                "bands": [
                    {
                        "max_age_years": 12,
                        "weight": {"at_most": 30},
                        "dose_mg": 1,
                        "frequency": "d",
                    },
                    {
                        "max_age_years": 12,
                        "weight": {"at_least": 30},
                        "dose_mg": 2,
                        "frequency": "d",
                    },
                ]
            },
            "two dose bands cover the same age and weight",
        ),
        (
            {
                "bands": [{"max_age_years": 14, "dose_mg": 1, "frequency": "daily"}],
                "adult_dose_from_years": 12,
            },
            "a dose band reaches past adult_dose_from_years",
        ),
        (
            {"bands": [{"min_age_years": 6, "max_age_years": 2, "dose_mg": 1, "frequency": "d"}]},
            "the maximum age must be above the minimum age",
        ),
    ],
)
def test_a_malformed_child_dose_is_refused(paediatric: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PaediatricDose.model_validate(paediatric)


def test_bands_that_only_touch_are_accepted() -> None:
    PaediatricDose.model_validate(
        {
            "bands": [
                {"max_age_years": 12, "weight": {"at_most": 30}, "dose_mg": 5, "frequency": "d"},
                {"max_age_years": 12, "weight": {"above": 30}, "dose_mg": 10, "frequency": "d"},
                {"min_age_years": 12, "max_age_years": 18, "dose_mg": 10, "frequency": "d"},
            ]
        }
    )


def test_a_broken_child_dose_names_file_entry_and_field(kb_copy) -> None:
    def overlap(document: dict[str, Any]) -> None:
        cetirizine = next(d for d in document["drugs"] if d["id"] == "cetirizine")
        cetirizine["paediatric"]["bands"][1]["min_age_years"] = 5

    kb_copy.edit("drugs/allergy.yaml", overlap)
    with pytest.raises(KnowledgeBaseError) as caught:
        build_knowledge_base(kb_copy.root)
    message = str(caught.value)
    assert "drugs/allergy.yaml: entry 'cetirizine': field 'paediatric'" in message
    assert "two dose bands cover the same age and weight" in message


# ------------------------------------------------------------------ sex-specific checks


def _checks(outcome: dict[str, Any], drug: str) -> str:
    medication = next(m for m in outcome["medications"] if m["drug"] == drug)
    return " ".join(medication["check_before_prescribing"]).lower()


@pytest.mark.parametrize("sex", ["male", "female"])
def test_breastfeeding_is_asked_about_for_women_only(sex: str) -> None:
    patient = {"age": 40, "weight": 70, "sex": sex, "egfr": 90}
    if sex == "female":
        patient["pregnant"] = False
    outcome = prescription_result(
        {
            "diagnosis": "Community-acquired pneumonia",
            "patient_info": patient,
            "allergies": ["penicillin"],
        }
    )
    asked = "breastfeeding" in _checks(outcome, "doxycycline")
    assert asked is (sex == "female")
    assert ("breastfeeding" in " ".join(outcome["warnings"]).lower()) is (sex == "female")


def test_the_data_marks_the_female_only_findings(knowledge_base: KnowledgeBase) -> None:
    assert knowledge_base.findings["breastfeeding"].only_sex == "female"
    assert not knowledge_base.findings["breastfeeding"].applies_to("male")
    assert knowledge_base.findings["fever"].applies_to("male")


@pytest.mark.parametrize(("age", "mg"), [(1.99, None), (2, "6563"), (6.99, "6563"), (7, "13125")])
def test_macrogol_paediatric_sachets_by_age(
    knowledge_base: KnowledgeBase, age: float, mg: str | None
) -> None:
    # Movicol Paediatric Plain SmPC: 1 sachet at 2-6 years, 2 sachets at 7-11 years
    dose = child_dose(knowledge_base, "macrogol", age, weight=18)
    if mg is None:
        assert isinstance(dose, DoseRefusal)
    else:
        assert given(dose)[0] == Decimal(mg)


@pytest.mark.parametrize(("weight", "mg"), [(12, "0.5"), (24.9, "0.5"), (25, "1"), (60, "1")])
def test_glucagon_for_a_child_goes_by_weight_under_25_kg_or_25_kg_and_over(
    knowledge_base: KnowledgeBase, weight: float, mg: str
) -> None:
    dose = child_dose(knowledge_base, "glucagon", 8, weight=weight)
    assert given(dose)[0] == Decimal(mg)
    assert isinstance(dose, Dose) and dose.basis.endswith("[etg_glucagon]")
