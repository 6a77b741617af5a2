"""Diagnosis names as clinicians write them (issue 16): qualifiers, detail after a comma or in
brackets, sites, short names one condition's name holds, and ICD-10 categories resolve; words
that change the condition do not get dropped, and an unknown name is refused with the closest
conditions and their codes."""

from __future__ import annotations

import pytest

from clinical.engine.contract.errors import EngineValidationError
from clinical.engine.knowledge.loader import load_knowledge_base
from clinical.engine.prescription.diagnosis_names import resolve_diagnosis


@pytest.mark.parametrize(
    ("written", "condition"),
    [
        ("Acute cystitis", "lower_urinary_tract_infection"),
        ("Acute uncomplicated cystitis", "lower_urinary_tract_infection"),
        ("uncomplicated UTI", "lower_urinary_tract_infection"),
        ("Urinary tract infection, lower", "lower_urinary_tract_infection"),
        ("pneumonia", "community_acquired_pneumonia"),
        ("Community-acquired pneumonia, CRB65 0", "community_acquired_pneumonia"),
        ("Bilateral acute otitis media", "acute_otitis_media"),
        ("Cellulitis of the forearm", "cellulitis"),
        ("Oral candidiasis (oral thrush)", "oral_candidiasis"),
        ("Moderate depression", "depression"),
        ("Acute gout flare, knee", "gout"),
        ("J18", "community_acquired_pneumonia"),
        ("J18.8", "community_acquired_pneumonia"),
    ],
)
def test_a_diagnosis_as_clinicians_write_it_resolves(written: str, condition: str) -> None:
    assert resolve_diagnosis(written, load_knowledge_base()).id == condition


@pytest.mark.parametrize(
    "written",
    ["severe pneumonia", "Recurrent UTI", "Lower UTI in a man", "Acute sore throat, FeverPAIN 5"],
)
def test_words_that_change_the_condition_are_not_dropped(written: str) -> None:
    with pytest.raises(EngineValidationError):
        resolve_diagnosis(written, load_knowledge_base())


def test_an_unknown_diagnosis_names_the_closest_conditions_with_their_codes() -> None:
    with pytest.raises(EngineValidationError) as caught:
        resolve_diagnosis("Acute bacterial sinusitis", load_knowledge_base())
    assert "did you mean: Acute sinusitis (J01.9)" in caught.value.details["diagnosis"][0]
