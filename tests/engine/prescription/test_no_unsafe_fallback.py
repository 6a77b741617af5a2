"""No unsafe fallback (issue 16): when every option of a regimen is excluded, or carries a
contraindicated interaction, or a major one whose source says to avoid the combination, nothing
is prescribed and the result says to seek specialist advice with every reason."""

from __future__ import annotations

from typing import Any

from clinical.engine.knowledge.loader import build_knowledge_base
from clinical.engine.prescription.stream import prescription_result

WOMAN = {"age": 70, "weight": 70, "sex": "female", "pregnant": False}


def thrush(medications: list[str], kb: Any = None) -> dict[str, Any]:
    request = {
        "diagnosis": "Oral candidiasis",
        "patient_info": WOMAN,
        "current_medications": medications,
    }
    return prescription_result(request, kb) if kb is not None else prescription_result(request)


def prescribed(outcome: dict[str, Any]) -> list[str]:
    return [medication["drug"] for medication in outcome["medications"]]


def reasons(outcome: dict[str, Any]) -> dict[str, str]:
    return {item["drug"]: item["reason"] for item in outcome["excluded"]}


def test_miconazole_gel_with_warfarin_falls_to_nystatin() -> None:
    """MHRA Drug Safety Update 2016: avoid miconazole with warfarin, use nystatin."""
    outcome = thrush(["warfarin"])
    assert prescribed(outcome) == ["nystatin_oral_suspension"]
    assert outcome["medications"][0]["dose"] == "100,000 units"
    why = reasons(outcome)["miconazole_oral_gel"]
    assert "the source says to avoid the combination" in why
    assert "[mhra_dsu_miconazole_warfarin_2016]" in why


def test_a_contraindicated_interaction_excludes_the_option() -> None:
    """emc Daktarin SmPC: miconazole is contraindicated with simvastatin."""
    outcome = thrush(["simvastatin 40 mg at night"])
    assert prescribed(outcome) == ["nystatin_oral_suspension"]
    assert "contraindicated with Simvastatin" in reasons(outcome)["miconazole_oral_gel"]


def _without_nystatin(document: dict[str, Any]) -> None:
    for regimen in document["regimens"]:
        if regimen["condition"] == "oral_candidiasis":
            regimen["alternatives"] = [
                option
                for option in regimen["alternatives"]
                if option["drugs"][0]["drug"] != "nystatin_oral_suspension"
            ]


def test_a_major_interaction_its_source_does_not_say_to_avoid_is_still_a_fallback(
    kb_copy,
) -> None:
    """Warfarin + fluconazole is major, 'avoid if possible' (BNF): kept, with its warning, when
    it is the only workable option."""
    kb_copy.edit("regimens/ent.yaml", _without_nystatin)
    outcome = thrush(["warfarin"], build_knowledge_base(kb_copy.root))
    assert prescribed(outcome) == ["fluconazole"]
    alert = "Major interaction, Fluconazole + Warfarin"
    assert any(warning.startswith(alert) for warning in outcome["warnings"])


def test_every_option_avoided_or_excluded_prescribes_nothing_and_gives_every_reason(
    kb_copy,
) -> None:
    def avoid_fluconazole_with_warfarin(document: dict[str, Any]) -> None:
        for interaction in document["interactions"]:
            if interaction["between"] == ["warfarin", "fluconazole"]:
                interaction["avoid_starting"] = ["fluconazole"]

    kb_copy.edit("regimens/ent.yaml", _without_nystatin)
    kb_copy.edit("interactions/antimicrobials_anticoagulants.yaml", avoid_fluconazole_with_warfarin)
    outcome = thrush(["warfarin"], build_knowledge_base(kb_copy.root))
    assert prescribed(outcome) == []
    warning = next(w for w in outcome["warnings"] if w.startswith("No medication suggested"))
    assert "Seek specialist advice" in warning
    assert "Miconazole 20 mg/g oral gel: major interaction with Warfarin" in warning
    assert "Fluconazole: major interaction with Warfarin" in warning


def test_every_option_excluded_names_each_reason_in_the_warning() -> None:
    outcome = prescription_result(
        {
            "diagnosis": "Oral candidiasis",
            "patient_info": {"age": 0.05, "weight": 3.5, "sex": "male"},
        }
    )
    assert prescribed(outcome) == []
    warning = next(w for w in outcome["warnings"] if w.startswith("No medication suggested"))
    assert "Seek specialist advice" in warning
    for name in ("Miconazole 20 mg/g oral gel", "Nystatin 100,000 units/mL oral suspension"):
        assert f"{name}: age" in warning


def test_an_infant_under_3_months_with_a_possible_uti_is_referred_not_prescribed() -> None:
    """NICE NG224: refer infants under 3 months with a possible UTI immediately."""
    outcome = prescription_result(
        {"diagnosis": "Cystitis", "patient_info": {"age": 0.2, "weight": 5, "sex": "female"}}
    )
    assert prescribed(outcome) == []
    warning = next(w for w in outcome["warnings"] if w.startswith("No medication suggested"))
    assert "[nice_ng224]" in warning and "Seek specialist advice" in warning
    older = prescription_result(
        {"diagnosis": "Cystitis", "patient_info": {"age": 0.5, "weight": 7, "sex": "female"}}
    )
    assert prescribed(older)
