"""Conditions carry synonyms, so a prescription's diagnosis may be given as a clinician says it
("flu", "UTI", "heart attack"); a synonym names one condition only."""

from __future__ import annotations

from typing import Any

import pytest

from clinical.engine.contract.errors import KnowledgeBaseError
from clinical.engine.knowledge.loader import KnowledgeBase, build_knowledge_base
from clinical.engine.prescription.stream import prescription_result

ADULT = {"age": 40, "weight": 70, "sex": "male"}


@pytest.mark.parametrize(
    ("name", "condition"),
    [
        ("flu", "influenza"),
        ("UTI", "lower_urinary_tract_infection"),
        ("heart attack", "acute_coronary_syndrome"),
        ("chest infection", "community_acquired_pneumonia"),
        ("kidney infection", "pyelonephritis"),
        ("hay fever", "allergic_rhinitis"),
        ("Hay-fever", "allergic_rhinitis"),
        ("shingles", "herpes_zoster"),
        ("glandular fever", "infectious_mononucleosis"),
    ],
)
def test_a_synonym_names_the_condition(
    knowledge_base: KnowledgeBase, name: str, condition: str
) -> None:
    assert knowledge_base.vocabulary.match_condition(name) == condition


def test_a_prescription_may_name_its_diagnosis_by_a_synonym() -> None:
    outcome = prescription_result({"diagnosis": "kidney infection", "patient_info": ADULT})
    assert outcome["condition_id"] == "pyelonephritis"
    assert outcome["medications"]


def test_every_condition_has_synonyms(knowledge_base: KnowledgeBase) -> None:
    assert [c.id for c in knowledge_base.conditions.values() if not c.synonyms] == []


def test_a_synonym_claimed_by_two_conditions_is_refused(kb_copy) -> None:
    def claim(document: dict[str, Any]) -> None:
        document["conditions"][0]["synonyms"].append("flu")

    kb_copy.edit("conditions/abdominal.yaml", claim)
    with pytest.raises(KnowledgeBaseError) as caught:
        build_knowledge_base(kb_copy.root)
    # abdominal.yaml is read first, so the second claimant (influenza) is the one refused
    assert str(caught.value) == (
        "conditions/respiratory.yaml: entry 'influenza': field 'synonyms.0': "
        "name 'flu' also names 'acute_appendicitis' (conditions/abdominal.yaml)"
    )
