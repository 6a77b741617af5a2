"""A note's reading as the wire sends it: the ``extracted`` object of the ``symptoms_analysis``
stage and the result (:class:`clinical.engine.contract.results.ExtractedNote`), every item with its
span and whether the diagnosis used it (a structured field always wins over the note)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from clinical.engine.contract import results
from clinical.engine.contract.fields import LAB_NAMES, NOTE_ONLY_VITALS, VITAL_NAMES
from clinical.engine.contract.results import Certainty
from clinical.engine.note.measures import Reading
from clinical.engine.note.reading import Mention, NoteReading, Used

LAB_FIELDS = LAB_NAMES
VITAL_FIELDS = (*VITAL_NAMES, *NOTE_ONLY_VITALS)
_LATIN_SHARE = 0.5
_NOTHING = "Nothing could be read from the note: no finding, measurement or history was recognised."
_NOT_LATIN = " It does not look like English (most of its letters are not in the Latin alphabet)."


def mention_dict(mention: Mention) -> results.Mention:
    """A finding or condition the note names, as the wire sends it."""
    if mention.kind == "drug":
        raise ValueError("a drug is sent as a medication, not a mention")
    item: results.Mention = {
        "kind": mention.kind,
        "id": mention.id,
        "label": mention.label,
        "text": mention.text,
        "span": [mention.start, mention.end],
        "certainty": mention.certainty,
    }
    if mention.kind == "finding":
        item["category"] = cast(results.FindingCategory, mention.category)
    if mention.duration is not None:
        item["duration"] = mention.duration
    if mention.onset is not None:
        item["onset"] = mention.onset
    if mention.fuzzy:
        item["fuzzy"] = True
    return item


def _used_mention(mention: Mention, used: bool) -> results.UsedMention:
    return {**mention_dict(mention), "used": used}


def _reading_dict(reading: Reading, used: Used | None) -> Any:
    """A value read from the note; its shape (number, pressure, flag, level, ...) is its
    field's, so it is typed by the contract's readings, not here."""
    item: dict[str, Any] = {"value": reading.value, "text": reading.text}
    item["span"] = [reading.start, reading.end]
    if reading.unit is not None:
        item["unit"] = reading.unit
    if reading.written is not None and reading.written != reading.value:
        item["written"] = reading.written
    if used is not None:
        item["used"] = reading.field in used.fields
    return item


def _readings(reading: NoteReading, fields: Iterable[str], used: Used) -> dict[str, Any]:
    chosen: dict[str, Any] = {}
    wanted = set(fields)
    for item in reading.readings:
        if item.field in wanted and item.field not in chosen:
            chosen[item.field] = _reading_dict(item, used)
    return chosen


def _history(reading: NoteReading, used: Used) -> results.ExtractedHistory:
    history = cast(
        results.ExtractedHistory, _readings(reading, ("age", "sex", "gestation_weeks"), used)
    )
    pregnancy = [m for m in reading.mentions if m.id == "pregnant"]
    if pregnancy:
        history["pregnant"] = {
            "value": pregnancy[0].certainty == "present",
            "text": pregnancy[0].text,
            "span": [pregnancy[0].start, pregnancy[0].end],
        }
    history["past"] = [mention_dict(m) for m in reading.mentions if m.certainty == "past"]
    history["family"] = [mention_dict(m) for m in reading.mentions if m.certainty == "family"]
    return history


def _by_certainty(
    reading: NoteReading, used: Used, certainty: Certainty
) -> list[results.UsedMention]:
    return [
        _used_mention(mention, position in used.mentions)
        for position, mention in enumerate(reading.mentions)
        if mention.certainty == certainty and (mention.kind == "finding" or certainty != "present")
    ]


def _medications(reading: NoteReading, used: Used) -> list[results.ExtractedMedication]:
    return [
        {
            "id": m.id,
            "name": m.label,
            "text": m.text,
            "span": [m.start, m.end],
            "certainty": m.certainty,
            "used": position in used.drugs,
        }
        for position, m in enumerate(reading.drugs)
    ]


def _allergies(reading: NoteReading) -> list[results.ExtractedAllergy]:
    listed_allergies = []
    for allergy in reading.allergies:
        item: results.ExtractedAllergy = {
            "text": allergy.item.text,
            "span": [allergy.item.start, allergy.item.end],
        }
        if allergy.match is not None:
            item["groups"] = list(allergy.match.groups)
            if allergy.match.drug is not None:
                item["drug"] = allergy.match.drug
        listed_allergies.append(item)
    return listed_allergies


def _looks_latin(note: str) -> bool:
    letters = [ch for ch in note if ch.isalpha()]
    if not letters:
        return True
    latin = sum(1 for ch in letters if ch.isascii() or "\u00c0" <= ch <= "\u024f")
    return latin / len(letters) >= _LATIN_SHARE


def extracted(reading: NoteReading, used: Used | None = None) -> results.ExtractedNote:
    """The ``extracted`` object of protocol v1's ``symptoms_analysis`` stage: everything the note
    was read as, each item marked with whether the diagnosis ``used`` it (nothing, by default)."""
    used = used or Used()
    wired: results.ExtractedNote = {
        "findings": _by_certainty(reading, used, "present"),
        "negated": _by_certainty(reading, used, "absent"),
        "uncertain": _by_certainty(reading, used, "possible"),
        "conditions": [
            mention_dict(m)
            for m in reading.mentions
            if m.kind == "condition" and m.certainty == "present"
        ],
        "vitals": _readings(reading, VITAL_FIELDS, used),
        "labs": _readings(reading, LAB_FIELDS, used),
        "history": _history(reading, used),
        "timing": [{"kind": item.field} | _reading_dict(item, None) for item in reading.timing],
        "medications": _medications(reading, used),
        "allergies": _allergies(reading),
        "unrecognized": [
            {"kind": kind, "text": item.text, "span": [item.start, item.end]}
            for kind, item in reading.unrecognized
        ],
        "unread": [{"text": item.text, "span": [item.start, item.end]} for item in reading.unread],
    }
    if reading.no_known_allergies is not None:
        statement = reading.no_known_allergies
        wired["no_known_allergies"] = {
            "text": statement.text,
            "span": [statement.start, statement.end],
        }
    if reading.empty:
        wired["nothing_extracted"] = True
        wired["message"] = _NOTHING + ("" if _looks_latin(reading.note) else _NOT_LATIN)
    return wired
