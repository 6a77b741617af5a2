"""Labelled lists ("PMH: ...", "Meds: ...") whose items carry a reaction or a remark in brackets."""

from __future__ import annotations

from clinical.engine.knowledge.loader import load_knowledge_base
from clinical.engine.note import extracted, read_note


def test_a_remark_in_brackets_between_words_keeps_the_item_one_span_of_the_note() -> None:
    note = "PMH: hidradenitis (mild) since 2010. Allergic to penicillin (rash) as a child."
    reading = read_note(note, load_knowledge_base())
    for _, item in reading.unrecognized:
        assert note[item.start : item.end] == item.text
    assert any(item.text == "hidradenitis" for _, item in reading.unrecognized)
    assert extracted(reading)["allergies"][0]["text"] == "penicillin"
