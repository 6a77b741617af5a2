"""The items of a list a note heads with a label ("Meds: ...", "PMH: ..."), and names written with
a dose ("zopiclone 7.5 mg"): each with its span, so that an item nothing matches (a drug the
knowledge base lacks, a condition it does not model) can be reported as unrecognised."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from clinical.engine.note.scan import run_matches

# Each pattern that opens with white space starts only where a run of it starts (``(?<!\s)``):
# tried from every space of a long run, each try ran to the run's end (quadratic time). A
# bracket holds no other opening bracket, so "(a(a(a..." is not rescanned to its end from each.
_ITEM_BREAK = re.compile(r"(?<!\s)\s*+(?:,|\band\b|\bor\b|/|\+|\bbut\b)\s*+", re.IGNORECASE)
REACTION = re.compile(
    r"(?<!\s)\s*+\([^()]*+\)|(?<!\s)\s*+-\s*+(?:rash|hives|anaphylaxis|swelling)\b.*", re.I
)
_LIST = re.compile(
    r"\b(?P<label>meds|medications?|drugs|drug\s++history|dhx|regular\s++medications?|takes|taking"
    r"|pmh|pmhx|past\s++medical\s++history|background|comorbidities)\b\s*+(?::|-|of)?\s*+"
    r"(?P<items>(?:[^.;\n]|\.(?=\d))+)",
    re.IGNORECASE,
)
_DOSE = re.compile(
    r"(?<!\s)\s++\d+(?:\.\d+)?\s*+(?:mg|mcg|micrograms?|g|units?|iu|ml|%)\b.*"
    r"|(?<!\s)\s++(?:od|bd|tds|qds|prn|nocte|mane|daily|once|twice|weekly)\b.*",
    re.IGNORECASE,
)
_NOTHING = re.compile(r"^(?:nil|none|nil regular|no regular medications?|nkda|nka)$", re.I)


@dataclass(frozen=True)
class Item:
    """A piece of text at a span: an allergen, a list item."""

    text: str
    start: int
    end: int


def items_of(note: str, start: int, text: str) -> Iterator[Item]:
    position = 0
    for piece in _ITEM_BREAK.split(text):
        offset = text.index(piece, position) if piece else position
        position = offset + len(piece)
        cleaned = _without_reactions(piece)
        if cleaned and not _NOTHING.match(cleaned):
            begin = start + offset + piece.index(cleaned)
            yield Item(note[begin : begin + len(cleaned)], begin, begin + len(cleaned))


def _without_reactions(piece: str) -> str:
    """The piece without its reactions ("penicillin (rash)"); where a reaction sits between words
    ("asthma (mild) since 2010"), the words before it, so that the item is still one span."""
    cleaned = REACTION.sub("", piece).strip(" :-")
    if cleaned in piece:
        return cleaned
    reaction = REACTION.search(piece)
    return piece[: reaction.start()].strip(" :-") if reaction is not None else cleaned


def listed(note: str) -> Iterator[tuple[Literal["medication", "history"], Item]]:
    """Items of labelled lists, as ("medication" or "history", item), doses trimmed off."""
    for match in _LIST.finditer(note):
        label = match.group("label").lower()
        kind: Literal["medication", "history"] = "medication" if label[0] in "mdrt" else "history"
        for item in items_of(note, match.start("items"), match.group("items")):
            name = _DOSE.sub("", item.text).strip()
            if name:
                yield kind, Item(name, item.start, item.start + len(name))


# A name of four or more letters and hyphens, started only at the first letter of a run that
# follows a non-word character (:mod:`.scan`: the unrestricted pattern is quadratic).
_NAME_FIRST = r"(?:(?=\b[A-Za-z])|[A-Za-z]*+-++)"
_DOSED_NAME = (
    r"(?P<name>[A-Za-z][A-Za-z-]{3,}+)\s++\d++(?:\.\d++)?\s*+(?:mg|mcg|micrograms?|units?)\b"
)
_DOSED = re.compile(rf"(?<![A-Za-z-]){_NAME_FIRST}{_DOSED_NAME}", re.IGNORECASE)
_DOSED_RESUMED = re.compile(_NAME_FIRST + _DOSED_NAME, re.IGNORECASE)


def dosed(note: str) -> Iterator[Item]:
    """Names written with a dose ("zopiclone 7.5 mg"): medications, known or not."""
    for match in run_matches(_DOSED, _DOSED_RESUMED, note):
        yield Item(match.group("name"), *match.span("name"))
