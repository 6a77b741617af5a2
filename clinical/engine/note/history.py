"""Allergies, and the items of a list a note heads with a label ("Meds: ...", "PMH: ...").

An allergy statement ("allergic to penicillin", "penicillin allergy", "Allergies: co-amoxiclav
(rash)") names allergens that the vocabulary's allergy groups and drugs resolve; "NKDA" and "no
known allergies" say there are none. An allergen the vocabulary does not know is reported as
unrecognised, never dropped. A labelled list is split into its items so that an item nothing
matches (a drug the knowledge base lacks, a condition it does not model) can be reported too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from clinical.engine.knowledge.vocabulary import AllergyMatch, Vocabulary

_ALLERGY_AFTER = re.compile(
    r"\b(?:allergic|allergy|allergies|intolerant|intolerance|sensitivity|sensitive)\b"
    r"(?:\s++(?:to|:|-)|\s*+:)\s*+(?P<what>(?:[^.;\n]|\.(?=\d))+)",
    re.IGNORECASE,
)
_ALLERGY_BEFORE = re.compile(
    r"(?P<what>\b[\w-]+(?:\s++[\w-]+)?)\s++(?:allergy|allergic|intolerance|intolerant)\b(?!\s++to)",
    re.IGNORECASE,
)
_NONE_KNOWN = re.compile(
    r"\bnkda\b|\bnka\b|\bno\s++known\s++(?:drug\s++)?allerg(?:y|ies)\b|\bno\s++(?:drug\s++)?allergies\b"
    r"|\ballergies\s*+:\s*+(?:nil|none|nkda|nka)\b",
    re.IGNORECASE,
)
_ITEM_BREAK = re.compile(r"\s*+(?:,|\band\b|\bor\b|/|\+|\bbut\b)\s*+", re.IGNORECASE)
_REACTION = re.compile(r"\s*+\([^)]*\)|\s*+-\s*+(?:rash|hives|anaphylaxis|swelling)\b.*", re.I)
_LIST = re.compile(
    r"\b(?P<label>meds|medications?|drugs|drug\s++history|dhx|regular\s++medications?|takes|taking"
    r"|pmh|pmhx|past\s++medical\s++history|background|comorbidities)\b\s*+(?::|-|of)?\s*+"
    r"(?P<items>(?:[^.;\n]|\.(?=\d))+)",
    re.IGNORECASE,
)
_DOSE = re.compile(
    r"\s++\d+(?:\.\d+)?\s*+(?:mg|mcg|micrograms?|g|units?|iu|ml|%)\b.*"
    r"|\s++(?:od|bd|tds|qds|prn|nocte|mane|daily|once|twice|weekly)\b.*",
    re.IGNORECASE,
)
_NOTHING = re.compile(r"^(?:nil|none|nil regular|no regular medications?|nkda|nka)$", re.I)


@dataclass(frozen=True)
class Item:
    """A piece of text at a span: an allergen, a list item."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Allergy:
    """An allergen as written, and what the vocabulary resolved it to (None: unknown)."""

    item: Item
    match: AllergyMatch | None


def _items(note: str, start: int, text: str) -> Iterator[Item]:
    position = 0
    for piece in _ITEM_BREAK.split(text):
        offset = text.index(piece, position) if piece else position
        position = offset + len(piece)
        cleaned = _REACTION.sub("", piece).strip(" :-")
        if cleaned and not _NOTHING.match(cleaned):
            begin = start + offset + piece.index(cleaned)
            yield Item(note[begin : begin + len(cleaned)], begin, begin + len(cleaned))


def allergies(note: str, vocabulary: Vocabulary) -> tuple[list[Allergy], Item | None]:
    """Every allergen named, and the "no known allergies" statement if there is one."""
    found: dict[int, Allergy] = {}
    for match in _ALLERGY_AFTER.finditer(note):
        for item in _items(note, match.start("what"), match.group("what")):
            found.setdefault(item.start, Allergy(item, vocabulary.match_allergy(item.text)))
    for match in _ALLERGY_BEFORE.finditer(note):
        for item in _items(note, match.start("what"), match.group("what")):
            allergen = vocabulary.match_allergy(item.text)
            if allergen is not None:
                found.setdefault(item.start, Allergy(item, allergen))
    none_known = _NONE_KNOWN.search(note)
    statement = None if none_known is None else Item(none_known.group(), *none_known.span())
    return [found[start] for start in sorted(found)], statement


def allergy_spans(note: str) -> list[tuple[int, int]]:
    """Where allergy statements are, so their words are not read as the patient's findings."""
    spans = [match.span() for match in _ALLERGY_AFTER.finditer(note)]
    spans += [match.span() for match in _NONE_KNOWN.finditer(note)]
    return spans


def listed(note: str) -> Iterator[tuple[Literal["medication", "history"], Item]]:
    """Items of labelled lists, as ("medication" or "history", item), doses trimmed off."""
    for match in _LIST.finditer(note):
        label = match.group("label").lower()
        kind: Literal["medication", "history"] = "medication" if label[0] in "mdrt" else "history"
        for item in _items(note, match.start("items"), match.group("items")):
            name = _DOSE.sub("", item.text).strip()
            if name:
                yield kind, Item(name, item.start, item.start + len(name))


_DOSED = re.compile(
    r"\b(?P<name>[A-Za-z][A-Za-z-]{3,})\s++\d+(?:\.\d+)?\s*+(?:mg|mcg|micrograms?|units?)\b",
    re.IGNORECASE,
)


def dosed(note: str) -> Iterator[Item]:
    """Names written with a dose ("zopiclone 7.5 mg"): medications, known or not."""
    for match in _DOSED.finditer(note):
        yield Item(match.group("name"), *match.span("name"))
