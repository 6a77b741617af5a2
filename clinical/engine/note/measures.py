"""Numbers in a note: vital signs, labs, age and sex, gestation, and when things started.

A number means something only where a label or a unit says what it is ("HR 110", "110 bpm", "BP
150/90", "sats 91% on 2 L", "BUN 30 mg/dL", "72M"); a number on its own is left alone. Each reading
is converted to the unit the request uses (protocol v1: temperature in deg C, labs in the unit their
key names) and keeps the unit it was written in. A lab written without a unit is read in the unit
its label implies where one is usual (BUN in mg/dL, urea in mmol/L), or by its size where the two
units cannot be confused (creatinine 1.8 is mg/dL, 160 is umol/L).

Each measurement's labels, units and conversion factors are the field registry's
(:mod:`clinical.engine.contract.fields`); this module holds the shapes a note writes them in. A
GCS total is read as the ACVPU level the knowledge base's policy gives it (Kelly et al. 2004).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from clinical.engine.contract.fields import (
    ACVPU_LETTERS,
    LABS,
    MEASURES,
    UNCLEAR,
    VITAL_SIGNS,
    Measure,
    NoteForm,
)
from clinical.engine.knowledge.schema import GcsReading


def _num(name: str) -> str:
    """A number (decimal point or comma; a comma before three digits groups thousands)."""
    return rf"(?P<{name}>\d{{1,3}}(?:,\d{{3}})+(?!\d)|\d{{1,5}}(?:[.,]\d+)?)(?![\d])"


_NUMBER = _num("value")
_JOIN = r"\s*+(?:of|was|is|at|to|:|=|-)?\s*+(?:of\s++)?"


@dataclass(frozen=True)
class Reading:
    """One value read from the note, in the request's unit, with the text it came from."""

    field: str
    value: float | str | bool
    start: int
    end: int
    text: str
    unit: str | None = None
    written: float | None = None  # the number as written, before conversion
    # A number whose unit neither the note nor its size tells: reported, never used.
    unclear: bool = False


def _number(text: str) -> float:
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", text):
        return float(text.replace(",", ""))
    return float(text.replace(",", "."))


# ---------------------------------------------------------------- vital signs

_TEMPERATURE = re.compile(
    rf"\b(?:{MEASURES['temperature'].note_labels}){_JOIN}{_NUMBER}"
    r"(?:\s*+(?:°|º|deg(?:rees?)?)?\s*+(?P<unit>c|f|celsius|fahrenheit|centigrade)\b)?"
    rf"|\b{_num('bare')}\s*+(?:°|º|deg(?:rees?)?)\s*+(?P<bare_unit>c|f)?\b"
    r"|\b(?P<compact>\d{2,3}(?:\.\d)?)\s?(?P<compact_unit>[cf])\b",
    re.IGNORECASE,
)


def _labelled_vital(measure: Measure) -> re.Pattern[str]:
    """A vital sign written after its label ("HR 110", "sats: 94%"), or with a unit that says
    what it is ("110 bpm")."""
    return re.compile(
        rf"\b(?:{measure.note_labels}){_JOIN}{_num('a')}(?:\s*+(?:{measure.note_units}))?"
        rf"|\b{_num('b')}\s*+(?:{measure.note_unit_alone})\b",
        re.IGNORECASE,
    )


_SIMPLE_VITALS: dict[str, re.Pattern[str]] = {
    m.name: _labelled_vital(m) for m in VITAL_SIGNS if m.note_unit_alone
}
_BLOOD_PRESSURE = re.compile(
    rf"\b(?:{MEASURES['blood_pressure'].note_labels})\s*+(?:of|was|is|:|=)?\s*+(?P<sys>\d{{2,3}})"
    r"\s*+(?:/|over)\s*+"
    r"(?P<dia>\d{2,3})\b(?:\s*+mm\s*+hg)?"
    r"|\b(?P<sys2>\d{2,3})\s*+/\s*+(?P<dia2>\d{2,3})\s*+mm\s*+hg\b",
    re.IGNORECASE,
)
_OXYGEN = re.compile(
    r"\b(?:on|breathing)\s++(?:(?P<air>room\s++air|air|ra)\b"
    r"|(?P<oxygen>\d+(?:\.\d+)?\s*+(?:l|litres?|liters?|lpm|l/min)\b(?:\s*+(?:of\s++)?(?:o2|oxygen))?"
    r"|\d{2}\s*+%\s*+(?:o2|oxygen|fio2|venturi)|(?:supplemental\s++|high\s++flow\s++)?(?:o2|oxygen)\b"
    r"|nasal\s++cannulae?|high\s++flow|non[-\s]?rebreather|nrb|venturi|face\s*+mask))"
    r"|\b(?P<needs>(?:requiring|needing|needs|requires)\s++(?:supplemental\s++)?(?:o2|oxygen))\b",
    re.IGNORECASE,
)
_GCS = re.compile(
    r"\b(?:gcs|glasgow\s++coma\s++(?:scale|score))\s*+(?:of|was|is|:|=)?\s*+"
    r"(?:(?P<value>\d{1,2})(?:\s*+/\s*+15)?|e(?P<e>\d)\s*+v(?P<v>\d)\s*+m(?P<m>\d))\b",
    re.IGNORECASE,
)
_ACVPU = re.compile(
    r"\b(?:acvpu|avpu)\s*+(?:of|was|is|:|=)?\s*+(?P<letter>[acvpu])\b"
    r"|\b(?P<voice>respon\w*\s++(?:only\s++)?to\s++(?:voice|verbal|speech))\b"
    r"|\b(?P<pain>respon\w*\s++(?:only\s++)?to\s++(?:pain|painful))\b"
    r"|(?<!not\s)\b(?P<alert>alert(?:\s++and\s++orientated|\s++and\s++oriented)?|a\s*+&\s*+o(?:x\s*+3)?)\b",
    re.IGNORECASE,
)
# GCS totals to ACVPU (Kelly et al. 2004): the level whose median GCS is nearest.


def _celsius(value: float, unit: str | None) -> tuple[float, str]:
    """Degrees Celsius; Fahrenheit when marked F or when an unmarked value is above 45."""
    letter = (unit or "").lower()[:1]
    if letter == "f" or (not letter and value > 45):
        return round((value - 32) * 5 / 9, 1), "F"
    return value, "C"


def _temperatures(note: str) -> Iterator[Reading]:
    for match in _TEMPERATURE.finditer(note):
        if match.group("compact") and _opens_a_line(note, match.start()):
            continue  # "86F, care home resident" is the age-sex shorthand, not 30 C
        value = match.group("value") or match.group("bare") or match.group("compact")
        unit = match.group("unit") or match.group("bare_unit") or match.group("compact_unit")
        written = _number(value)
        celsius, read_unit = _celsius(written, unit)
        if 25 <= celsius <= 45:
            yield Reading("temperature", celsius, *match.span(), match.group(), read_unit, written)


def _opens_a_line(note: str, position: int) -> bool:
    before = note[:position].rstrip(" \t")
    return not before or before[-1] in "\n"


def _simple_vitals(note: str) -> Iterator[Reading]:
    for field, pattern in _SIMPLE_VITALS.items():
        for match in pattern.finditer(note):
            value = match.group("a") or match.group("b")
            yield Reading(field, _number(value), *match.span(), match.group())


def _blood_pressures(note: str) -> Iterator[Reading]:
    for match in _BLOOD_PRESSURE.finditer(note):
        systolic = match.group("sys") or match.group("sys2")
        diastolic = match.group("dia") or match.group("dia2")
        value = f"{int(systolic)}/{int(diastolic)}"
        yield Reading("blood_pressure", value, *match.span(), match.group(), "mmHg")


def _oxygen(note: str) -> Iterator[Reading]:
    for match in _OXYGEN.finditer(note):
        on_oxygen = match.group("air") is None
        yield Reading("supplemental_oxygen", on_oxygen, *match.span(), match.group())


def _consciousness(note: str, gcs: GcsReading) -> Iterator[Reading]:
    for match in _GCS.finditer(note):
        if match.group("value"):
            total = int(match.group("value"))
        else:
            total = sum(int(match.group(part)) for part in "evm")
        if 3 <= total <= 15:
            yield Reading("gcs", total, *match.span(), match.group())
            level = gcs.level(total)
            yield Reading("consciousness", level, *match.span(), match.group(), "GCS")
    for match in _ACVPU.finditer(note):
        if match.group("letter"):
            level = ACVPU_LETTERS[match.group("letter").lower()]
        else:
            level = next(name for name in ("voice", "pain", "alert") if match.group(name))
        yield Reading("consciousness", level, *match.span(), match.group())


# ---------------------------------------------------------------- labs


_UNIT = (
    r"(?P<unit>(?:x|\u00d7|\*)?\s*+10\s*+(?:\^|e)?\s*+9\s*+/\s*+l|k\s*+/\s*+[u\u00b5\u03bc]l|/\s*+(?:[u\u00b5\u03bc]l|mm3)"
    r"|cells\s*+/\s*+[u\u00b5\u03bc]l|[m\u00b5\u03bcu]mol\s*+/\s*+l|micromol\s*+/\s*+l|mg\s*+/\s*+[dl]l|ng\s*+/\s*+[ml]l"
    r"|pg\s*+/\s*+ml|[u\u00b5\u03bc]g\s*+/\s*+l|i?u\s*+/\s*+l|meq\s*+/\s*+l|g\s*+/\s*+[dl]l?)"
)


def _lab_pattern(form: NoteForm) -> re.Pattern[str]:
    return re.compile(
        rf"(?<![\w/])(?P<label>{form.labels}){_JOIN}(?:<\s*+)?{_NUMBER}(?!\s*+\+)(?:\s*+{_UNIT})?\b",
        re.IGNORECASE,
    )


_LAB_PATTERNS = tuple(
    (lab.name, form, _lab_pattern(form)) for lab in LABS for form in lab.note_forms
)
_URINE = re.compile(r"\burine\s*+$|\burinary\s*+$|\bdipstick\s*+$", re.IGNORECASE)


_UNIT_DISPLAY = {
    "mmol/l": "mmol/L", "mg/dl": "mg/dL", "mg/l": "mg/L", "umol/l": "umol/L",
    "x10^9/l": "x10^9/L", "k/ul": "K/uL", "/ul": "/uL", "/mm3": "/mm3", "ng/l": "ng/L",
    "pg/ml": "pg/mL", "ng/ml": "ng/mL", "ug/l": "ug/L", "u/l": "U/L", "iu/l": "IU/L",
    "meq/l": "mEq/L", "g/l": "g/L", "g/dl": "g/dL",
}  # fmt: skip


def _unit_key(written: str) -> str:
    key = re.sub(r"\s++", "", written.lower()).replace("\u00d7", "x").replace("*", "x")
    key = key.replace("\u00b5", "u").replace("\u03bc", "u").replace("micromol", "umol")
    key = key.replace("cells/", "/").replace("10e9", "10^9").replace("x109", "x10^9")
    if key.startswith("109") or key.startswith("10^9") or key.startswith("x10"):
        return "x10^9/l"
    return key


def _lab_reading(field: str, form: NoteForm, match: re.Match[str]) -> Reading | None:
    written = _number(match.group("value"))
    marked = bool(match.group("unit"))
    unit = _unit_key(match.group("unit")) if marked else form.unit_for(written)
    units = {_unit_key(name): factor for name, factor in form.units.items()} or {"": 1.0}
    if unit == UNCLEAR:
        either = " or ".join(_UNIT_DISPLAY.get(name, name) for name in units)
        return Reading(field, written, *match.span(), match.group(),
                       f"no unit written: {either}?", written, unclear=True)  # fmt: skip
    factor = units.get(unit)
    if factor is None:
        return None
    value = round(written * factor, 2)
    shown = _UNIT_DISPLAY.get(unit, unit) if unit else None
    if shown is not None and not marked and form.assumed and unit == form.unmarked:
        shown = f"{shown} (assumed: no unit written)"
    return Reading(field, value, *match.span(), match.group(), shown, written)


def _labs(note: str) -> Iterator[Reading]:
    for field, form, pattern in _LAB_PATTERNS:
        for match in pattern.finditer(note):
            if _URINE.search(note, max(0, match.start() - 10), match.start()):
                continue
            reading = _lab_reading(field, form, match)
            if reading is not None:
                yield reading


# ---------------------------------------------------------------- age, sex, gestation

# Ages as notes and people write them. Each form names its number ``n``, the unit the number is
# in (``unit``: a word, or a fixed one), and, where the form says it, the patient's sex (``sex``:
# a letter or a word). Kinship words give the sex of the person spoken of ("my son's 13").
_MALE_KIN = "son|husband|dad|father|brother|boy|grandson|grandad|grandpa|grandfather|nephew|uncle"
_FEMALE_KIN = (
    "daughter|wife|mum|mom|mother|sister|girl|granddaughter|grandma|gran|nan|grandmother|niece|aunt"
)
_UNSEXED_KIN = "baby|child|kid|partner|flatmate|friend|neighbour"
_KIN = (
    r"(?:little\s++|baby\s++|eldest\s++|youngest\s++)?"
    rf"(?P<kin>{_MALE_KIN}|{_FEMALE_KIN}|{_UNSEXED_KIN})"
)
_NUMBER_AGE = r"(?P<n>\d{1,3}(?:\.5)?)"
_AGE_UNIT = r"(?P<unit>years?|yrs?|y|months?|mths?|mos?|weeks?|wks?|days?)"
_NOT_A_MEASURE = (
    r"(?!\s*+(?:%|kg|mg|mcg|g\b|cm|mm|ml|bpm|/|\.\d|x\b|hours?|hrs?|mins?|minutes?|times|"
    r"years?\s++ago|weeks?\s++ago|days?\s++ago|months?\s++ago|am\b|pm\b|o'?clock))"
)
# At a line's start or after punctuation, never inside a run of white space (a start there sees
# the same text after the run as the run's first, so trying each is quadratic on blank lines).
_LINE_OR_MARK = r"(?:^|(?<=[\n,;:(]))(?!(?<=\s)\s)"
_PERSON_M = r"man|male|gentleman|gent|lad|boy|guy|chap|bloke"
_PERSON_F = r"woman|female|lady|girl|lass"
_AGE_FORMS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(form, re.IGNORECASE)
    for form in (
        # "72 year old", "6-week-old", "18 months old"
        rf"\b{_NUMBER_AGE}\s*+-?\s*+{_AGE_UNIT}\s*+-?\s*+old\b(?:\s++(?P<sex>{_PERSON_M}|{_PERSON_F})\b)?",
        # "72yo", "72 y/o", "72 years of age"
        rf"\b{_NUMBER_AGE}\s*+(?:yo|y/o|y\.o\.?|yrs?\s++of\s++age|years?\s++of\s++age)(?![\w/])",
        # "aged 72", "age: 72", "age 4 months"
        rf"\b(?:aged?|age\s*+:)\s*+{_NUMBER_AGE}\b(?:\s*+{_AGE_UNIT}\b)?{_NOT_A_MEASURE}",
        # "72M", "72 F": at a line's start or after punctuation it is the age-sex shorthand
        rf"{_LINE_OR_MARK}\s*+{_NUMBER_AGE}\s?(?P<sex>[mf])\b(?!\s*+\d)",
        rf"\b{_NUMBER_AGE}\s?(?P<sex>[mf])\b(?!\s*+\d)",
        # "M72", "F 45" after a line's start or punctuation
        rf"{_LINE_OR_MARK}\s*+(?P<sex>[mf])\s?{_NUMBER_AGE}\b{_NOT_A_MEASURE}",
        # "5/12 M" (months), "3/52 F" (weeks): a fraction is an age only with the sex or "old"
        r"\b(?P<n>\d{1,2})\s*+/\s*+(?P<unit>12|52)\s*+(?:(?P<sex>[mf])\b|old\b)",
        # "11mo M", "18 months F"
        rf"\b{_NUMBER_AGE}\s*+(?P<unit>months?|mths?|mos?|weeks?|wks?)\s++(?P<sex>[mf])\b",
        # "I'm 72", "she's 19", "my son's 13", "my little boy is 4", "my son is 18 months"
        rf"\b(?:i'?m|i\s++am|(?P<pronoun>he|she)(?:'s|\s++is)|my\s++{_KIN}(?:'s|\s++is))\s++"
        rf"{_NUMBER_AGE}\b(?:\s*+{_AGE_UNIT}\b(?:\s++old)?)?{_NOT_A_MEASURE}",
        # "man, 72", "gentleman 78", "man of 63", "woman aged 40", "husband, 66"
        rf"\b(?:(?P<sex>{_PERSON_M}|{_PERSON_F}|patient)|{_KIN})\b\s*+(?:,|of|aged)?\s*+"
        rf"{_NUMBER_AGE}\b(?!\s*+{_AGE_UNIT}\b\s*+ago){_NOT_A_MEASURE}",
        # "35 female", "23, male"
        rf"\b{_NUMBER_AGE}\s*+,?\s*+(?P<sex>{_PERSON_M}|{_PERSON_F})\b",
    )
)
# A sex written right after an age: "41 yo F", "72 years old, male".
_SEX_AFTER_AGE = re.compile(rf"\s*+,?\s*+(?P<sex>[mf]|{_PERSON_M}|{_PERSON_F})\b", re.IGNORECASE)
# "She is 8 weeks pregnant": a duration of pregnancy, not the woman's age.
_PREGNANCY_AFTER = re.compile(r"\s*+(?:pregnant|gestation|pg|along)\b", re.IGNORECASE)
_UNIT_YEARS = {"y": 1.0, "m": 12.0, "w": 52.18, "d": 365.25, "12": 12.0, "52": 52.18}
_MALE = frozenset(f"{_MALE_KIN}|{_PERSON_M}|m|he".split("|"))
_FEMALE = frozenset(f"{_FEMALE_KIN}|{_PERSON_F}|f|she".split("|"))
_SEX_WORDS = re.compile(
    r"\b(?:(?P<male>man|male|gentleman|boy|mr|gent|lad|guy|chap|bloke)|(?P<female>woman|female|lady|girl|mrs|ms|lass))"
    r"\b",
    re.IGNORECASE,
)
_PRONOUNS = re.compile(r"\b(?:(?P<male>he|his|him)|(?P<female>she|her|hers))\b", re.IGNORECASE)
_GESTATION = re.compile(
    r"\b(?P<weeks>\d{1,2})\s*+(?:\+\d\s*+)?(?:weeks?|wks?)\s++(?:pregnant|gestation|pg)\b"
    r"|\b(?P<fraction>\d{1,2})\s*+(?:\+\d)?\s*+/\s*+40\b"
    # "at 34+2", "G1P0 34+2": weeks and days of gestation as obstetric notes write them
    r"|(?:\bat|\bg\d{1,2}\s*+p\d{1,2}(?:\+\d)?)\s++(?P<plus>\d{1,2})\s*+\+\s*+[0-6]\b"
    # "34+2" alone: weeks from 20 (a two-digit number and a day) is an obstetric gestation
    r"|(?<![\w+/.])(?P<bare>[2-4]\d)\+[0-6](?![\w+/.])",
    re.IGNORECASE,
)


def _ages(note: str) -> Iterator[Reading]:
    """Each age the note states (in years), and the sex where the same words say it."""
    for form in _AGE_FORMS:
        for match in form.finditer(note):
            if _PREGNANCY_AFTER.match(note, match.end()):
                continue
            unit = (match.groupdict().get("unit") or "y").lower()
            per_year = _UNIT_YEARS.get(unit, _UNIT_YEARS.get(unit[:1], 1.0))
            years = round(float(match.group("n")) / per_year, 3)
            written = (
                "years"
                if per_year == 1.0
                else {12.0: "months", 52.18: "weeks"}.get(per_year, "days")
            )
            start = match.start() + len(match.group()) - len(match.group().lstrip())
            yield Reading("age", years, start, match.end(), note[start : match.end()], written)
            yield from _sex_of(note, match)
            after = _SEX_AFTER_AGE.match(note, match.end())
            if after is not None:
                letter = after.group("sex").lower()[0]
                sex = "male" if letter == "m" else "female"
                yield Reading("sex", sex, *after.span("sex"), after.group("sex"))


def _sex_of(note: str, match: re.Match[str]) -> Iterator[Reading]:
    for group in ("sex", "kin", "pronoun"):
        said = match.groupdict().get(group)
        if not said:
            continue
        word = said.lower()
        sex = "male" if word in _MALE else "female" if word in _FEMALE else None
        if sex is not None:
            start, end = match.span(group)
            yield Reading("sex", sex, start, end, note[start:end])
        return


def _sexes(note: str) -> Iterator[Reading]:
    for pattern in (_SEX_WORDS, _PRONOUNS):
        for match in pattern.finditer(note):
            sex = "male" if match.group("male") else "female"
            unit = "pronoun" if pattern is _PRONOUNS else None
            yield Reading("sex", sex, *match.span(), match.group(), unit)


def _gestations(note: str) -> Iterator[Reading]:
    for match in _GESTATION.finditer(note):
        weeks = float(
            match.group("weeks")
            or match.group("fraction")
            or match.group("plus")
            or match.group("bare")
        )
        if 3 <= weeks <= 43:
            yield Reading("gestation_weeks", weeks, *match.span(), match.group(), "weeks")


# ---------------------------------------------------------------- timing

_DURATION_UNITS = {
    "minute": 1 / 1440,
    "min": 1 / 1440,
    "hour": 1 / 24,
    "hr": 1 / 24,
    "day": 1.0,
    "week": 7.0,
    "wk": 7.0,
    "month": 30.4,
    "year": 365.25,
}
_WORD_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "few": 3, "couple of": 2, "several": 4,
}  # fmt: skip
_COUNT = r"(?P<count>\d{1,3}(?:\.\d)?|" + "|".join(sorted(_WORD_NUMBERS, key=len)[::-1]) + ")"
_UNIT_WORD = r"(?P<unit>minute|min|hour|hr|day|week|wk|month|year)s?"
_DURATION = re.compile(
    rf"\b(?:for|over|x|past|last|since|about|around|lasting|of)?\s*+(?:the\s++)?(?:last\s++|past\s++)?"
    rf"{_COUNT}\s*+-?\s*+{_UNIT_WORD}(?:\s++(?:ago|history))?\b(?!\s*+-?\s*+old|\s++(?:pregnant|gestation))"
    r"|\b(?P<slash>\d{1,2})\s*+/\s*+(?P<base>7|52|12)\b(?!\s*+/)",
    re.IGNORECASE,
)
_SLASH_DAYS = {"7": 1.0, "52": 7.0, "12": 30.4}
_SINCE = re.compile(
    r"\b(?:since|from|started|began|starting)\s++(?P<when>yesterday|this\s++morning|last\s++night"
    r"|today|this\s++afternoon|this\s++evening|overnight|last\s++week|the\s++weekend|monday|tuesday"
    r"|wednesday|thursday|friday|saturday|sunday)\b"
    r"|\b(?P<alone>yesterday|last\s++night|this\s++morning|overnight|all\s++night)\b",
    re.IGNORECASE,
)
_SINCE_DAYS = {"yesterday": 1.0, "last night": 0.5, "this morning": 0.25, "today": 0.25,
               "this afternoon": 0.2, "this evening": 0.1, "overnight": 0.5, "all night": 0.5,
               "last week": 7.0, "the weekend": 3.0}  # fmt: skip
_ONSET = re.compile(
    r"\b(?P<sudden>sudden(?:ly)?(?:[-\s]+onset)?|abrupt(?:ly)?(?:[-\s]+onset)?|came\s++on\s++"
    r"suddenly|out\s++of\s++the\s++blue|all\s++of\s++a\s++sudden|instantly)\b"
    r"|\b(?P<gradual>gradual(?:ly)?(?:[-\s]+onset)?|insidious(?:\s++onset)?|slowly\s++worsening"
    r"|came\s++on\s++gradually)\b",
    re.IGNORECASE,
)


def _durations(note: str) -> Iterator[Reading]:
    for match in _DURATION.finditer(note):
        if match.group("slash"):
            days = int(match.group("slash")) * _SLASH_DAYS[match.group("base")]
        else:
            count = match.group("count").lower()
            number = _WORD_NUMBERS.get(count) or float(count)
            days = number * _DURATION_UNITS[match.group("unit").lower()]
        text = match.group().strip()
        start = match.start() + match.group().index(text)
        yield Reading("duration", round(days, 3), start, start + len(text), text, "days")
    for match in _SINCE.finditer(note):
        when = re.sub(r"\s++", " ", (match.group("when") or match.group("alone")).lower())
        days = _SINCE_DAYS.get(when, 3.0)
        yield Reading("duration", days, *match.span(), match.group(), "days")


def _onsets(note: str) -> Iterator[Reading]:
    for match in _ONSET.finditer(note):
        onset = "sudden" if match.group("sudden") else "gradual"
        yield Reading("onset", onset, *match.span(), match.group())


# ---------------------------------------------------------------- everything


def measurements(note: str, gcs: GcsReading) -> list[Reading]:
    """Vital signs, labs, consciousness, age, sex, gestation: every reading, in note order.

    Where two readings overlap, the one that starts first (then the longer) is kept, so "temp
    38.5" is one temperature and "72M" is an age and a sex, not a lab.
    """
    found = [
        *_blood_pressures(note),
        *_temperatures(note),
        *_simple_vitals(note),
        *_oxygen(note),
        *_consciousness(note, gcs),
        *_ages(note),
        *_gestations(note),
        *_labs(note),
    ]
    return _without_overlaps(found)


def _without_overlaps(found: list[Reading]) -> list[Reading]:
    kept: list[Reading] = []
    taken: list[tuple[int, int, str]] = []
    for reading in sorted(found, key=lambda r: (r.start, -(r.end - r.start))):
        clash = any(
            reading.start < end and start < reading.end
            for start, end, field in taken
            if field == reading.field or not _companions(field, reading.field)
        )
        if not clash:
            kept.append(reading)
            taken.append((reading.start, reading.end, reading.field))
    return kept


def _companions(first: str, second: str) -> bool:
    """Readings that may share text: a GCS and its ACVPU level, "72M"'s age and sex."""
    pairs = ({"gcs", "consciousness"}, {"age", "sex"})
    return {first, second} in pairs


def timing(note: str) -> list[Reading]:
    """Durations ("for 3 days", "since yesterday", "2/52") and onsets ("sudden onset")."""
    return sorted([*_durations(note), *_onsets(note)], key=lambda r: r.start)


def sexes(note: str) -> list[Reading]:
    """Words that say the patient's sex, nouns and titles before pronouns."""
    return list(_sexes(note))
