"""A note as words with character spans, cut into clauses, with shorthand spelt out.

Every word keeps the span it came from, so whatever is read from it can point back at the note. A
word is reduced to the key the vocabulary uses
(:func:`clinical.engine.knowledge.vocabulary.normalise`), so a name matches in a note exactly as it
does in a symptom list. A few shorthands clinicians write ("c/o", "h/o", "w/o", "afebrile", "NKDA")
are spelt out as the words they stand for, each keeping the span of the shorthand. Clauses end at a
full stop, semicolon, exclamation or question mark, or a new line; a "?" written against a word
("?pneumonia") is a query, not a clause end."""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from clinical.engine.knowledge.vocabulary import normalise
from clinical.engine.knowledge.vocabulary import words as plain_words

# Shorthand spelt out as the words it stands for (lower case, as typed).
SHORTHAND: dict[str, tuple[str, ...]] = {
    "c/o": ("complains", "of"),
    "h/o": ("history", "of"),
    "w/o": ("without",),
    "s/p": ("history", "of"),
    "hx": ("history",),
    "pmh": ("history", "of"),
    "pmhx": ("history", "of"),
    "fh": ("family", "history", "of"),
    "fhx": ("family", "history", "of"),
    "afebrile": ("no", "fever"),
    "apyrexial": ("no", "fever"),
    "nkda": ("no", "known", "drug", "allergies"),
    "nka": ("no", "known", "allergies"),
    "r/o": ("rule", "out"),
    "ddx": ("possible",),
    "-ve": ("negative",),
    "+ve": ("positive",),
}
_TOKEN = re.compile(
    r"[chws]/[opx]\b|r/o\b|[-+]ve\b|(?P<query>\?)(?=[^\W_])|(?P<asked>\?)|(?P<comma>,)(?!\d{3})"
    r"|[^\W_]+(?:['\u2019][^\W_]+)*",
    re.IGNORECASE,
)
# A "?" answered on the same line ("Chest pain? No.") does not end the clause.
_ANSWERED = r"(?!\s*(?:no|yes|nil|none|denies|denied|negative)\b)"
_CLAUSE_BREAK = re.compile(rf"(?:[.;!]|\?(?![^\W_]){_ANSWERED})+(?!\d)|\n", re.IGNORECASE)
# The key a "?" after a word leaves in the clause (clinical.engine.note.context.ASKED).
ASKED_KEY = "?end"


@dataclass(frozen=True)
class Word:
    """One matching key of the note, where it came from, and its clause."""

    key: str
    start: int
    end: int
    clause: int
    raw: str = ""  # the word as written, lower case (for typo correction)


def _clause_starts(note: str) -> list[int]:
    return [match.end() for match in _CLAUSE_BREAK.finditer(note)]


@functools.lru_cache(maxsize=16384)
def _keys(token: str) -> tuple[tuple[str, ...], str]:
    """A token's matching keys, and the word as written (lower case) when it is one word."""
    expanded = SHORTHAND.get(token.lower())
    if expanded is not None:
        return tuple(key for word in expanded for key in normalise(word)), ""
    keys = normalise(token)
    return keys, "".join(plain_words(token)) if len(keys) == 1 else ""


def words(note: str) -> list[Word]:
    """The note's matching keys in order; a shorthand gives several keys with one span."""
    breaks = _clause_starts(note)
    found: list[Word] = []
    clause = 0
    for match in _TOKEN.finditer(note):
        while clause < len(breaks) and breaks[clause] <= match.start():
            clause += 1
        if match.group("asked"):
            found.append(Word(ASKED_KEY, match.start(), match.end(), clause))
            continue
        mark = match.group("query") or match.group("comma")
        if mark:
            found.append(Word(mark, match.start(), match.end(), clause))
            continue
        keys, raw = _keys(match.group())
        found.extend(Word(key, match.start(), match.end(), clause, raw) for key in keys)
    return found


def clauses(found: list[Word]) -> Iterator[list[Word]]:
    """The words grouped by clause, in order."""
    start = 0
    for index in range(1, len(found) + 1):
        if index == len(found) or found[index].clause != found[start].clause:
            yield found[start:index]
            start = index


def clause_finder(note: str) -> Callable[[int], int]:
    """A function giving the clause a character position falls in."""
    breaks = _clause_starts(note)
    return lambda position: bisect.bisect_right(breaks, position)
