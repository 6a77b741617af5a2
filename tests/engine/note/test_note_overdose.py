"""An overdose stated as a quantity in a note ("took 40 paracetamol tablets 4 hours ago",
"swallowed 32 paracetamol", "OD'd on paracetamol") is paracetamol overdose, an emergency; a
therapeutic dose is not; negation, a relative and the past still apply; and tablets taken
("a bottle of pills") are not "the pill".

The rule (clinical/engine/note_overdose.py): more than the adult maximum daily dose the knowledge
base gives (4 g, bnf_paracetamol), at 500 mg a tablet when no strength is written (an estimate,
nhs_paracetamol_adults); a packet, box, bottle or handful always; 75 mg/kg or more
(mhra_paracetamol_overdose_2012); an overdose verb always.
"""

from __future__ import annotations

from typing import Any

import pytest

from clinical.engine import diagnose
from clinical.engine.knowledge.loader import KnowledgeBase, load_knowledge_base
from clinical.engine.note import read_note
from clinical.engine.note.overdose import ingestions

HISTORY = {"age": 19, "sex": "female"}


def _result(note: str) -> dict[str, Any]:
    return list(diagnose({"note": note, "history": HISTORY}))[-1]["result"]


def _statuses(result: dict[str, Any]) -> dict[str, str]:
    return {item["finding"]: item["status"] for item in result["recognized_findings"]}


def _fired(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {flag["id"]: flag for flag in result["red_flags"] if flag.get("status") == "present"}


@pytest.mark.parametrize(
    ("note", "phrase"),
    [
        ("took 40 paracetamol tablets 4 hours ago, feels fine", "took 40 paracetamol tablets"),
        ("swallowed 32 paracetamol", "swallowed 32 paracetamol"),
        ("OD'd on paracetamol", "OD'd on paracetamol"),
        ("overdosed on paracetamol", "overdosed on paracetamol"),
        ("OD on paracetamol last night", "OD on paracetamol"),
        ("Took 10 x 500mg paracetamol at 2am.", "Took 10 x 500mg paracetamol"),
        ("took a handful of panadol", "took a handful of panadol"),
        ("had a whole box of tylenol", "had a whole box of tylenol"),
        ("ingested about 150 mg/kg paracetamol", "ingested about 150 mg/kg paracetamol"),
        ("took forty of her mum's paracetamol", "took forty of her mum's paracetamol"),
    ],
)  # fmt: skip
def test_an_overdose_stated_as_a_quantity_is_a_paracetamol_overdose_emergency(
    note: str, phrase: str
) -> None:
    result = _result(note)
    assert _statuses(result)["paracetamol_overdose"] == "present"
    assert result["urgency"] == "emergency"
    # The emergency is the knowledge base's red flag for the finding (MHRA 2012).
    flag = _fired(result)["paracetamol_overdose"]
    assert flag["urgency"] == "emergency"
    assert flag["source"] == "mhra_paracetamol_overdose_2012"
    assert result["primary_diagnosis"] == "Paracetamol overdose"
    found = next(i for i in result["extracted"]["findings"] if i["id"] == "paracetamol_overdose")
    start, end = found["span"]
    assert found["text"] == phrase == note[start:end]
    assert found["used"] is True


def test_the_time_since_ingestion_is_read_with_the_overdose() -> None:
    extracted = _result("took 40 paracetamol tablets 4 hours ago, feels fine")["extracted"]
    (overdose,) = [item for item in extracted["findings"] if item["id"] == "paracetamol_overdose"]
    assert overdose["duration"] == "4 hours ago"
    (duration,) = extracted["timing"]
    assert duration["value"] == pytest.approx(4 / 24, abs=0.001)
    assert [drug["id"] for drug in extracted["medications"]] == ["paracetamol"]


@pytest.mark.parametrize(
    "note",
    [
        "took 2 paracetamol for the headache",
        "took 8 paracetamol today",  # 4 g: the maximum daily dose, not more
        "took 4 x 1g paracetamol",
        "took 500mg paracetamol",
        "took 60 mg/kg paracetamol",
        "takes 2 paracetamol qds",
        "Meds: amlodipine 5 mg od, paracetamol 1 g qds",
        "amlodipine 5mg OD on paracetamol as needed",
    ],
)
def test_a_therapeutic_dose_is_not_an_overdose(note: str) -> None:
    result = _result(note)
    assert "paracetamol_overdose" not in _statuses(result)
    assert "paracetamol_overdose" not in _fired(result)
    assert result["urgency"] != "emergency"


@pytest.mark.parametrize(
    ("note", "overdose"),
    [("took 8 paracetamol", False), ("took 9 paracetamol", True),
     ("took 4 x 1 g paracetamol", False), ("took 5 x 1 g paracetamol", True),
     ("took 4g of paracetamol", False), ("took 4.5 g of paracetamol", True),
     ("took 74 mg/kg of paracetamol", False), ("took 75 mg/kg of paracetamol", True)],
)  # fmt: skip
def test_the_threshold_is_more_than_the_maximum_daily_dose(
    note: str, overdose: bool, knowledge_base: KnowledgeBase
) -> None:
    (ingestion,) = ingestions(note, knowledge_base)
    assert (ingestion.finding == "paracetamol_overdose") is overdose


def test_the_strength_is_estimated_only_when_none_is_written(
    knowledge_base: KnowledgeBase,
) -> None:
    (unwritten,) = ingestions("swallowed 32 paracetamol", knowledge_base)
    assert (unwritten.amount_mg, unwritten.estimated) == (16000, True)
    (written,) = ingestions("took 10 paracetamol 500 mg tablets", knowledge_base)
    assert (written.amount_mg, written.estimated) == (5000, False)


def test_the_maximum_daily_dose_is_the_knowledge_bases(kb_copy) -> None:
    def raise_maximum(document: dict[str, Any]) -> None:
        for drug in document["drugs"]:
            if drug["id"] == "paracetamol":
                drug["adult"]["max_daily_mg"] = 6000

    kb_copy.edit("drugs/analgesics.yaml", raise_maximum)
    kb = load_knowledge_base(kb_copy.root)
    assert ingestions("took 10 paracetamol", kb)[0].finding is None
    assert ingestions("took 13 paracetamol", kb)[0].finding == "paracetamol_overdose"


@pytest.mark.parametrize(
    ("note", "certainty"),
    [
        ("denies taking 40 paracetamol", "absent"),
        ("did not take 40 paracetamol tablets", "absent"),
        ("?took 40 paracetamol", "possible"),
        ("mother took 40 paracetamol", "family"),
        ("took 40 paracetamol 3 years ago", "past"),
    ],
)
def test_context_still_applies_to_a_stated_overdose(
    note: str, certainty: str, knowledge_base: KnowledgeBase
) -> None:
    reading = read_note(note, knowledge_base)
    (overdose,) = [m for m in reading.mentions if m.id == "paracetamol_overdose"]
    assert overdose.certainty == certainty
    assert _statuses(_result(note)).get("paracetamol_overdose") != "present"


def test_a_denied_ingestion_is_not_an_overdose() -> None:
    result = _result("denies taking any paracetamol")
    assert _statuses(result).get("paracetamol_overdose") != "present"
    assert result["urgency"] != "emergency"
    (drug,) = result["extracted"]["medications"]
    assert (drug["id"], drug["certainty"]) == ("paracetamol", "absent")


def test_a_bottle_of_pills_is_self_poisoning_not_the_contraceptive() -> None:
    result = _result("took a bottle of pills")
    extracted = result["extracted"]
    assert extracted["medications"] == []
    assert "oestrogen_therapy" not in _statuses(result)
    assert _statuses(result)["intentional_overdose"] == "present"
    assert _fired(result)["deliberate_overdose"]["urgency"] == "emergency"
    assert result["urgency"] == "emergency"
    (finding,) = extracted["findings"]
    assert finding["text"] == "took a bottle of pills"


def test_tablets_counted_out_are_not_the_contraceptive() -> None:
    result = _result("took 2 pills for the headache")
    assert result["extracted"]["medications"] == []
    assert set(_statuses(result)) == {"headache"}


@pytest.mark.parametrize("note", ["on the pill", "takes the pill", "Meds: the pill"])
def test_the_pill_is_still_the_contraceptive(note: str) -> None:
    result = _result(note)
    medications = [(m["id"], m["certainty"]) for m in result["extracted"]["medications"]]
    assert medications == [("combined_oral_contraceptive", "present")]
    assert _statuses(result)["oestrogen_therapy"] == "present"


def test_not_on_the_pill_is_still_denied() -> None:
    result = _result("not on the pill")
    assert _statuses(result)["oestrogen_therapy"] == "absent"


def test_took_an_overdose_of_a_counted_amount_is_also_self_poisoning() -> None:
    statuses = _statuses(_result("took an overdose of 32 paracetamol tablets"))
    assert statuses["paracetamol_overdose"] == "present"
    assert statuses["intentional_overdose"] == "present"


def test_overdosed_on_is_a_name_for_structured_symptoms_too() -> None:
    result = list(diagnose({"symptoms": ["overdosed on paracetamol"], "history": HISTORY}))[-1]
    assert _statuses(result["result"])["paracetamol_overdose"] == "present"


def test_the_figures_come_from_the_knowledge_base(knowledge_base: KnowledgeBase) -> None:
    rule = knowledge_base.drugs["paracetamol"].overdose
    assert rule is not None and rule.finding == "paracetamol_overdose"
    assert rule.toxic_mg_per_kg.source in knowledge_base.sources
    assert rule.usual_tablet_mg.estimate


def test_a_packet_of_another_drug_is_self_poisoning(knowledge_base: KnowledgeBase) -> None:
    (ingestion,) = ingestions("took a packet of sertraline", knowledge_base)
    assert (ingestion.finding, ingestion.drug) == ("intentional_overdose", "sertraline")
    (counted,) = ingestions("took 2 sertraline", knowledge_base)
    assert counted.finding is None
