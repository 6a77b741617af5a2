"""Allergies in a note: an allergy statement ("allergic to penicillin", "penicillin allergy",
"Allergies: co-amoxiclav (rash)") names allergens that the vocabulary's allergy groups and drugs
resolve; "NKDA" and "no known allergies" say there are none. An allergen the vocabulary does not
know is reported as unrecognised, never dropped."""

from __future__ import annotations

import re
from dataclasses import dataclass

from clinical.engine.knowledge.vocabulary import AllergyMatch, Vocabulary
from clinical.engine.note.lists import Item, items_of
from clinical.engine.note.scan import run_matches

_ALLERGY_AFTER = re.compile(
    r"\b(?:allergic|allergy|allergies|intolerant|intolerance|sensitivity|sensitive)\b"
    r"(?:\s++(?:to|:|-)|\s*+:)\s*+(?P<what>(?:[^.;\n]|\.(?=\d))+)",
    re.IGNORECASE,
)
# One or two words before the cue, each a whole run of [\w-] ("co-amoxiclav allergy"), started
# only at a run's first word boundary (:mod:`.scan`: the unrestricted pattern is quadratic).
_BEFORE_CUE = (
    r"(?P<what>\b[\w-]++(?:\s++[\w-]++)?)\s++(?:allergy|allergic|intolerance|intolerant)\b"
    r"(?!\s++to)"
)
_ALLERGY_BEFORE = re.compile(rf"(?<![\w-])-*+{_BEFORE_CUE}", re.IGNORECASE)
_ALLERGY_BEFORE_RESUMED = re.compile(_BEFORE_CUE, re.IGNORECASE)
_NONE_KNOWN = re.compile(
    r"\bnkda\b|\bnka\b|\bno\s++known\s++(?:drug\s++)?allerg(?:y|ies)\b|\bno\s++(?:drug\s++)?allergies\b"
    r"|\ballergies\s*+:\s*+(?:nil|none|nkda|nka)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Allergy:
    """An allergen as written, and what the vocabulary resolved it to (None: unknown)."""

    item: Item
    match: AllergyMatch | None


def allergies(note: str, vocabulary: Vocabulary) -> tuple[list[Allergy], Item | None]:
    """Every allergen named, and the "no known allergies" statement if there is one."""
    found: dict[int, Allergy] = {}
    for match in _ALLERGY_AFTER.finditer(note):
        for item in items_of(note, match.start("what"), match.group("what")):
            found.setdefault(item.start, Allergy(item, vocabulary.match_allergy(item.text)))
    for match in run_matches(_ALLERGY_BEFORE, _ALLERGY_BEFORE_RESUMED, note):
        for item in items_of(note, match.start("what"), match.group("what")):
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
