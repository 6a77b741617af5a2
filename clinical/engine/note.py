"""Reading a free-text note: findings (with negation), vital signs, labs, age and sex, with spans.

A note may stand in for or add to the structured request (DESIGN.md). Findings are found by
scanning the note for the longest run of words the vocabulary knows, so every synonym works here
as it does in a symptom list. A negation cue ("no", "denies", "without", ...) denies the findings
after it until the clause ends (a full stop, semicolon, new line, or "but"), in the manner of
NegEx. Measurements are read only where a label or unit says what they are ("HR 110", "110 bpm",
"BP 150/90", "sats 93% on air", "CRP 150"); a number on its own means nothing. Every item keeps
the character span it came from, so a clinician can see exactly what was read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from clinical.engine.vocabulary import FILLER_WORDS, NEGATION_CUES, Vocabulary, normalise

# Words that end a negation's reach, besides clause punctuation.
_SCOPE_ENDS = frozenset({"but", "however", "although", "though", "except", "apart", "report"})
_EXTRA_CUES: tuple[tuple[str, ...], ...] = (("nil",), ("free", "of"), ("neg",))
# Cues compared as the scan sees words: stemmed ("denies" is "deny").
_CUES = tuple(
    sorted(
        {normalise(" ".join(cue)) for cue in (*NEGATION_CUES, *_EXTRA_CUES)}, key=len, reverse=True
    )
)
# A negation reaches this many words past its cue or the last finding it denied ("no cough,
# sputum or fever" denies all three; a finding far later in a long clause is not denied).
_NEGATION_REACH = 6
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
_CLAUSE_BREAK = re.compile(r"[.;:!?\n]+(?!\d)")


@dataclass(frozen=True)
class Extracted:
    """One thing read from the note."""

    kind: str  # "finding", "vital", "lab", "age" or "sex"
    field: str  # finding id, vital-sign or lab key, "age" or "sex"
    value: Any
    start: int
    end: int
    text: str
    status: str | None = None  # for findings: "present" or "absent"

    def as_dict(self, used: bool) -> dict[str, Any]:
        item = {"kind": self.kind, "field": self.field, "value": self.value}
        if self.status is not None:
            item["status"] = self.status
        item |= {"text": self.text, "span": [self.start, self.end], "used": used}
        return item


# ---------------------------------------------------------------- findings


@dataclass(frozen=True)
class _Word:
    key: str
    start: int
    end: int


def _clauses(note: str) -> Iterator[tuple[int, str]]:
    position = 0
    for match in _CLAUSE_BREAK.finditer(note):
        yield position, note[position : match.start()]
        position = match.end()
    yield position, note[position:]


def _words(clause: str, offset: int, skip: bytearray) -> list[_Word]:
    """The clause's words, leaving out those that start inside a ``skip``-marked character
    (measurements: "temp 38.5" must not read as the finding "temperature")."""
    words = []
    for match in _WORD.finditer(clause):
        start, end = offset + match.start(), offset + match.end()
        if not skip[start]:
            words.extend(_Word(key, start, end) for key in normalise(match.group()))
    return words


def _cue_at(words: list[_Word], index: int) -> int:
    """The length of the negation cue starting at ``index`` (0 when there is none)."""
    for cue in _CUES:
        if tuple(word.key for word in words[index : index + len(cue)]) == cue:
            return len(cue)
    return 0


def _finding_at(
    words: list[_Word], index: int, vocabulary: Vocabulary, longest: int
) -> tuple[str, int] | None:
    """The longest run of words from ``index`` that names a finding, as (id, length)."""
    if words[index].key in FILLER_WORDS:
        return None
    for length in range(min(longest, len(words) - index), 0, -1):
        if words[index + length - 1].key in FILLER_WORDS:
            continue
        key = tuple(word.key for word in words[index : index + length])
        finding = vocabulary.findings.match_key(key)
        if finding is not None:
            return finding, length
    return None


def _clause_findings(
    note: str, words: list[_Word], vocabulary: Vocabulary, longest: int
) -> Iterator[Extracted]:
    negated_until = -1
    index = 0
    while index < len(words):
        found = _finding_at(words, index, vocabulary, longest)
        if found is not None:
            finding, length = found
            first, last = words[index], words[index + length - 1]
            negated = index <= negated_until
            if negated:
                negated_until = index + length - 1 + _NEGATION_REACH
            status = "absent" if negated else "present"
            text = note[first.start : last.end]
            yield Extracted("finding", finding, not negated, first.start, last.end, text, status)
            index += length
            continue
        if words[index].key in _SCOPE_ENDS:
            negated_until = -1
        cue = _cue_at(words, index)
        if cue:
            negated_until = index + cue - 1 + _NEGATION_REACH
            index += cue
            continue
        index += 1


def extract_findings(
    note: str, vocabulary: Vocabulary, skip: list[tuple[int, int]] | None = None
) -> list[Extracted]:
    """Every finding the note names, present or denied, in order of appearance."""
    longest = vocabulary.findings.longest
    marked = bytearray(len(note))
    for start, end in skip or ():
        marked[start:end] = b"\x01" * (end - start)
    found: list[Extracted] = []
    for offset, clause in _clauses(note):
        words = _words(clause, offset, marked)
        found += _clause_findings(note, words, vocabulary, longest)
    return found


# ---------------------------------------------------------------- measurements

_NUMBER = r"(\d{1,4}(?:\.\d+)?)"
_JOIN = r"\s*(?:of|was|is|at|:|=|-)?\s*"
_VITAL_LABELS = {
    "temperature": r"temp(?:erature)?",
    "heart_rate": r"hr|heart\s+rate|pulse(?:\s+rate)?",
    "respiratory_rate": r"rr|resp(?:iratory)?\s+rate|resps?|respirations?",
    "oxygen_saturation": r"spo2|sao2|o2\s+sats?|sats?|saturations?|oxygen\s+saturations?",
}
_VITAL_UNITS = {
    "temperature": r"(?:°|º)\s*[cf]",
    "heart_rate": r"bpm|beats\s*(?:/|per)\s*min(?:ute)?",
    "respiratory_rate": r"breaths\s*(?:/|per)\s*min(?:ute)?",
}
_LAB_LABELS = {
    "urea_mmol_l": r"urea|bun",
    "glucose_mmol_l": r"glucose|blood\s+sugar|cbg|bm",
    "wbc_10e9_l": r"wbc|wcc|white\s+(?:cell|blood\s+cell)\s+count|white\s+cells",
    "crp_mg_l": r"crp",
    "ketones_mmol_l": r"(?:blood\s+)?ketones",
    "lactate_mmol_l": r"lactate|lac",
    "haemoglobin_g_l": r"hb|haemoglobin|hemoglobin",
    "potassium_mmol_l": r"potassium|k\+?",
    "creatinine_umol_l": r"creatinine|creat|cr",
    "troponin_ng_l": r"(?:hs-?)?trop(?:onin)?(?:\s*[ti])?",
    "alt_u_l": r"alt",
    "inr": r"inr",
}


def _labelled(kind: str, field: str, label: str) -> tuple[str, str, re.Pattern[str]]:
    """ "<label> <number>", e.g. "HR 110", "CRP: 150", "temp 38.5 C", "sats of 93%"."""
    unit = r"(?:\s*(?:°|º|deg(?:rees)?)?\s*([cf])\b)?" if field == "temperature" else ""
    pattern = rf"\b(?:{label}){_JOIN}{_NUMBER}{unit}"
    return kind, field, re.compile(pattern, re.IGNORECASE)


def _with_unit(field: str, unit: str) -> tuple[str, str, re.Pattern[str]]:
    """ "<number> <unit>", e.g. "110 bpm", "38.5 °C"."""
    pattern = rf"\b{_NUMBER}\s*(?:{unit})\b"
    return "vital", field, re.compile(pattern, re.IGNORECASE)


_MEASUREMENTS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    *(_labelled("vital", field, label) for field, label in _VITAL_LABELS.items()),
    *(_with_unit(field, unit) for field, unit in _VITAL_UNITS.items()),
    *(_labelled("lab", field, label) for field, label in _LAB_LABELS.items()),
)
_BLOOD_PRESSURE = re.compile(
    r"\b(?:bp|blood\s+pressure)\s*(?:of|was|is|:|=)?\s*(\d{2,3})\s*/\s*(\d{2,3})\b"
    r"|\b(\d{2,3})\s*/\s*(\d{2,3})\s*mm\s*hg\b",
    re.IGNORECASE,
)
_OXYGEN = re.compile(
    r"\bon\s+(?:(room\s+air|air|ra)\b|(\d+(?:\.\d+)?\s*(?:l|litres?|liters?|lpm)\b|oxygen|o2)\b)",
    re.IGNORECASE,
)
_ACVPU = re.compile(r"\b(?:acvpu|avpu)\s*(?:of|was|is|:|=)?\s*([acvpu])\b", re.IGNORECASE)
_AGE = re.compile(
    r"\b(\d{1,3})\s*-?\s*(?:years?|yrs?|yo|y/o)(?:\s*-?\s*old)?\b|\baged?\s+(\d{1,3})\b",
    re.IGNORECASE,
)
_SEX = re.compile(
    r"\b(?:(man|male|gentleman|boy)|(woman|female|lady|girl))\b",
    re.IGNORECASE,
)


def _temperature(value: float, unit: str | None) -> float:
    """Degrees Celsius; a Fahrenheit reading (marked F, or above 45 unmarked) is converted."""
    if (unit or "").lower() == "f" or (unit is None and value > 45):
        return round((value - 32) * 5 / 9, 1)
    return value


def _measurements(note: str) -> Iterator[Extracted]:
    for kind, field, pattern in _MEASUREMENTS:
        for match in pattern.finditer(note):
            value = float(match.group(1))
            if field == "temperature":
                unit = match.group(2) if pattern.groups > 1 else match.group()[-1]
                value = _temperature(value, unit)
            yield Extracted(kind, field, value, match.start(), match.end(), match.group())
    for match in _BLOOD_PRESSURE.finditer(note):
        systolic, diastolic = match.group(1) or match.group(3), match.group(2) or match.group(4)
        value = f"{systolic}/{diastolic}"
        yield Extracted("vital", "blood_pressure", value, match.start(), match.end(), match.group())
    for match in _OXYGEN.finditer(note):
        on_oxygen = match.group(2) is not None
        yield Extracted(
            "vital", "supplemental_oxygen", on_oxygen, match.start(), match.end(), match.group()
        )
    for match in _ACVPU.finditer(note):
        yield Extracted(
            "vital",
            "consciousness",
            match.group(1).upper(),
            match.start(),
            match.end(),
            match.group(),
        )


def _demographics(note: str) -> Iterator[Extracted]:
    age = _AGE.search(note)
    if age is not None:
        years = float(age.group(1) or age.group(2))
        yield Extracted("age", "age", years, age.start(), age.end(), age.group())
    sex = _SEX.search(note)
    if sex is not None:
        value = "male" if sex.group(1) else "female"
        yield Extracted("sex", "sex", value, sex.start(), sex.end(), sex.group())


def _first_of_each(measurements: list[Extracted], note: str) -> list[Extracted]:
    seen: set[str] = set()
    kept = []
    for item in sorted([*measurements, *_demographics(note)], key=lambda item: item.start):
        if item.field not in seen:
            seen.add(item.field)
            kept.append(item)
    return kept


def extract(note: str, vocabulary: Vocabulary) -> list[Extracted]:
    """Everything the note states, in order of appearance."""
    every = list(_measurements(note))
    spans = [(item.start, item.end) for item in every]
    items = [*extract_findings(note, vocabulary, spans), *_first_of_each(every, note)]
    return sorted(items, key=lambda item: (item.start, item.end, item.kind, item.field))
