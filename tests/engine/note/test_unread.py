"""What I could not read: every meaningful phrase of a note that nothing read is reported with
its span, and nothing the reader did read, nor the note's scaffolding, is."""

from __future__ import annotations

import pytest

from clinical.engine.knowledge.loader import KnowledgeBase
from clinical.engine.note import extracted, read_note


def _unread(text: str, kb: KnowledgeBase) -> list[str]:
    return [item["text"] for item in extracted(read_note(text, kb))["unread"]]


def test_words_nothing_reads_are_reported_with_their_spans(knowledge_base) -> None:
    note = (
        "Cough for 3 days. Grandad says his legs have gone all wobbly and he keeps dropping cups."
    )
    unread = extracted(read_note(note, knowledge_base))["unread"]

    assert unread, "wobbly legs and dropping cups name no finding the knowledge base has"
    for item in unread:
        start, end = item["span"]
        assert note[start:end] == item["text"]
    said = " ".join(item["text"] for item in unread)
    assert "wobbly" in said
    assert "dropping cups" in said


def test_a_note_read_whole_has_nothing_unread(knowledge_base) -> None:
    note = "45 yo M. Cough and fever for 3 days, no chest pain. T 38.5, HR 100. NKDA."

    assert _unread(note, knowledge_base) == []


@pytest.mark.parametrize(
    "note",
    [
        "Pt seen today in clinic with her husband. Cough.",
        "Mum says he has had a cough since yesterday morning.",
        "HPC: cough. PMH: nil. DH: nil. Plan: review in 2 weeks.",
    ],
)
def test_scaffolding_is_not_reported(note: str, knowledge_base) -> None:
    assert _unread(note, knowledge_base) == []


def test_a_phrase_ends_at_what_was_read_and_at_a_clause(knowledge_base) -> None:
    note = "Wobbly legs, cough. Dropping cups"

    assert _unread(note, knowledge_base) == ["Wobbly legs", "Dropping cups"]


def test_a_denied_unknown_word_is_reported_without_its_cue(knowledge_base) -> None:
    """ "no wobbliness": the cue was read, the word it denies was not."""
    assert _unread("Cough. No wobbliness.", knowledge_base) == ["wobbliness"]


def test_an_unrecognised_medication_is_reported_once_as_unrecognised(knowledge_base) -> None:
    note = "Cough. Meds: zorblatine 10 mg daily."
    found = extracted(read_note(note, knowledge_base))

    assert [item["text"] for item in found["unrecognized"]] != []
    assert all("zorblatine" not in text for text in _unread(note, knowledge_base))
