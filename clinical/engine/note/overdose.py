"""Overdoses stated as a quantity: "took 40 paracetamol tablets", "swallowed 32 paracetamol",
"took a packet of panadol", "OD'd on paracetamol", "took a bottle of pills".

An ingestion is a verb of taking ("took", "taken", "taking", "swallowed", "ingested", "had",
"downed", "consumed", "drank") followed by a quantity and what was taken, or an overdose verb
("overdosed on", "OD'd on", "OD on", "took an overdose of") followed by what was taken, with or
without a quantity. The quantity is a count ("40", "forty", "a dozen", "30-40"), a container or
handful ("a packet", "two boxes", "a whole bottle", "a handful"), a total ("20 g", "150 mg/kg"),
or "too many", "lots of", "a lot of", "loads of". What was taken is a name of a knowledge-base drug
(paracetamol, acetaminophen, panadol, tylenol, ...) and/or a form word ("tablets", "pills",
"caps"), with an optional strength ("500 mg", "1 g") and possessive words ("40 of her mum's
paracetamol").

Whether an ingestion of a drug with an overdose rule (the knowledge base's ``drugs/``, e.g.
paracetamol's) is an overdose:

- an overdose verb, or "too many" / "lots of": the note says it is;
- a total per kilogram: at least the rule's ``toxic_mg_per_kg``;
- otherwise the amount taken above the drug's adult maximum daily dose (``adult.max_daily_mg``).

The amount is tablets times strength. With no strength written a tablet is the rule's
``usual_tablet_mg``; a container ("a packet", "a bottle") or a handful is the number of tablets
the knowledge base's ``policy/note_reading.yaml`` gives. Each figure names its source there, or
is marked an estimate with its reasoning.

A bulk ingestion (a container or handful) or an overdose verb naming a drug with no overdose
rule of its own, or no drug at all ("took a bottle of pills", "overdosed on sertraline"), is
self-poisoning: the policy's ``self_poisoning`` finding, which "took an overdose" already names,
and which NICE CG16 sends to hospital whatever was taken. A counted ingestion
of such a drug ("took 2 pills") decides nothing.

Every ingestion, overdose or not, also says which of its words name tablets, so that "pills" in
"took a bottle of pills" or "took 2 pills" is not read as "the pill" (the contraceptive), whose
name the vocabulary matches by its one meaningful word. Whether the overdose is denied, only
possible, a relative's or in the past ("denies taking 40 paracetamol", "mother took 40 paracetamol",
"took 40 paracetamol 3 years ago") is left to ConText, which reads the whole phrase as one term;
the time since ingestion ("4 hours ago", "last night") is the clause's duration, read by
:mod:`clinical.engine.note.measures`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from clinical.engine.knowledge.loader import KnowledgeBase
from clinical.engine.knowledge.schema import OverdoseRule

# Spaces within a line: an ingestion never runs on past a new line.
_S = r"[^\S\n]++"
_G = r"[^\S\n]*+"
_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}  # fmt: skip
_PHRASES = {"a": 1, "an": 1, "a couple of": 2, "a few": 3, "a dozen": 12, "a hundred": 100,
            "hundred": 100}  # fmt: skip


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


_NUMBER_WORD = (
    rf"(?:{_alternation(list(_TENS))})(?:[-\s]++(?:{_alternation(list(_UNITS)[:9])}))?"
    rf"|{_alternation(list(_UNITS))}"
)
_LEAD = re.compile(
    rf"\b(?P<od>(?:overdosed|overdose[sd]?|od['\u2019]?e?d|od){_S}on"
    rf"|(?P<took_od>(?:took|taken|taking|had|has{_S}had|have{_S}had){_S}(?:an?{_S})?"
    rf"(?:overdose|od){_S}of))\b"
    r"|\b(?P<verb>took|taken|taking|takes?|swallowed|swallow(?:s|ing)?|ingested|ingest(?:s|ing)?"
    r"|had|downed|consumed|drank)\b",
    re.IGNORECASE,
)
# A dose written as "5 mg OD" (once daily) is not an overdose lead.
_DOSE_BEFORE = re.compile(
    r"(?:\d\s*+(?:mg|g|mcg|micrograms?|ml|units?)?|\b(?:daily|tablets?|caps?))\s*+$", re.I
)
_APPROXIMATELY = re.compile(
    rf"{_G}(?:about|around|approx(?:imately|\.)?|roughly|maybe|perhaps|over|more{_S}than"
    rf"|at{_S}least|up{_S}to|nearly|almost|~){_G}",
    re.IGNORECASE,
)
_STATED = re.compile(
    rf"{_G}(?:too{_S}(?:many|much)|lots{_S}of|loads{_S}of|a{_S}lot{_S}of)\b", re.IGNORECASE
)
_TOTAL = re.compile(
    rf"{_G}(?P<value>\d{{1,5}}(?:\.\d+)?){_G}(?P<unit>mg|milligrams?|g|gm|grams?)"
    rf"(?P<per_kg>{_G}/{_G}kg|{_S}per{_S}kg)?\b",
    re.IGNORECASE,
)
_COUNT = re.compile(
    rf"{_G}(?:(?P<digits>\d{{1,3}})(?:{_G}(?:-|to|or){_G}\d{{1,3}})?"
    rf"|(?P<words>{_NUMBER_WORD}|{_alternation(list(_PHRASES))})\b)(?:{_G}x\b)?(?![\d.,/])",
    re.IGNORECASE,
)
_BULK = re.compile(
    rf"{_G}(?:(?P<count>\d{{1,2}}|{_NUMBER_WORD}|an?|the|my|her|his|their|your){_S})?"
    rf"(?:(?:whole|entire|full){_S})?"
    rf"(?P<bulk>handful|packet|pack|box|bottle|tub|blister{_S}pack)(?:s|es)?{_S}of\b",
    re.IGNORECASE,
)
_STRENGTH = re.compile(
    rf"{_G}(?P<value>\d{{1,4}}(?:\.\d+)?){_G}(?P<unit>mg|milligrams?|g|gm|grams?)\b(?!{_G}/)",
    re.IGNORECASE,
)
_FORM = re.compile(
    rf"{_G}(?:tablets?|tabs?|pills?|capsules?|caps|caplets?|painkillers?|meds|medications?)\b",
    re.IGNORECASE,
)
_FILLER = re.compile(rf"{_G}(?:of|my|her|his|their|your|the|some|x|[a-z]+['\u2019]s)\b", re.I)
_MAX_FILLERS = 3


@dataclass(frozen=True)
class Ingestion:
    """An ingestion the note states: its span, the finding it is (or None), the amount read."""

    start: int
    end: int
    text: str
    finding: str | None
    drug: str | None
    amount_mg: float | None  # tablets times strength, or the total written
    estimated: bool  # the strength or the tablets per container were assumed
    forms: tuple[tuple[int, int], ...]  # words naming tablets ("pills"), not a drug
    also: tuple[str, ...] = ()  # "took an overdose of ..." is also self-poisoning


@dataclass
class _Taken:
    """What follows a lead: the drug, forms, strength, and where the phrase ends."""

    end: int
    drug: str | None = None
    forms: tuple[tuple[int, int], ...] = ()
    strength_mg: float | None = None


@dataclass(frozen=True)
class _Reader:
    """The knowledge base's drug names and overdose rules, and the note-reading figures."""

    drugs: re.Pattern[str]
    drug_of: dict[str, str]
    rules: dict[str, OverdoseRule]
    max_daily_mg: dict[str, float]
    findings: frozenset[str]
    self_poisoning: str
    per_container: float
    per_handful: float


def _mg(value: str, unit: str) -> float:
    return float(value) * (1.0 if unit.lower().startswith("m") else 1000.0)


def _count(match: re.Match[str]) -> float:
    if match.group("digits"):
        return float(match.group("digits"))
    said = re.sub(r"[-\s]+", " ", match.group("words").lower())
    if said in _PHRASES:
        return float(_PHRASES[said])
    parts = said.split(" ")
    return float(_TENS.get(parts[0], 0) + _UNITS.get(parts[-1], 0) or _UNITS.get(parts[0], 0))


@functools.cache
def _reader(kb: KnowledgeBase) -> _Reader:
    names: dict[str, str] = {}
    for drug in kb.drugs.values():
        for name in (drug.name, *drug.synonyms):
            if "pill" not in name.lower():
                names[name.lower()] = drug.id
    pattern = re.compile(rf"{_G}(?P<name>{_alternation(list(names))})(?:s|es)?\b", re.I)
    rules = {drug.id: drug.overdose for drug in kb.drugs.values() if drug.overdose is not None}
    # The loader requires a daily maximum of every drug with an overdose rule.
    max_daily = {drug_id: kb.drugs[drug_id].adult.max_daily_mg or 0.0 for drug_id in rules}
    policy = kb.policy.note_reading
    known = frozenset({*(rule.finding for rule in rules.values()), policy.self_poisoning})
    return _Reader(
        pattern, names, rules, max_daily, known, policy.self_poisoning,
        policy.tablets_per_container.value, policy.tablets_per_handful.value,
    )  # fmt: skip


def _taken(note: str, position: int, reader: _Reader) -> _Taken | None:
    """The drug and tablet words from ``position``: strengths, forms, a drug name and possessive
    words in any order ("tablets of her paracetamol 500 mg"); None when neither a drug nor a
    form word is named."""
    taken = _Taken(position)
    forms: list[tuple[int, int]] = []
    fillers = 0
    while fillers <= _MAX_FILLERS:
        strength = _STRENGTH.match(note, position)
        if strength is not None and taken.strength_mg is None:
            taken.strength_mg = _mg(strength.group("value"), strength.group("unit"))
            position = taken.end = strength.end()
            continue
        form = _FORM.match(note, position)
        if form is not None:
            forms.append((form.end() - len(form.group().lstrip()), form.end()))
            position = taken.end = form.end()
            fillers = 0
            continue
        drug = reader.drugs.match(note, position) if taken.drug is None else None
        if drug is not None:
            taken.drug = reader.drug_of[drug.group("name").lower()]
            position = taken.end = drug.end()
            fillers = 0
            continue
        filler = _FILLER.match(note, position)
        if filler is None or taken.drug is not None:
            break
        position = filler.end()
        fillers += 1
    taken.forms = tuple(forms)
    return taken if taken.drug is not None or forms else None


def _verdict(
    reader: _Reader, drug: str | None, amount_mg: float | None, per_kg: bool, stated: bool,
    bulk: bool,
) -> str | None:  # fmt: skip
    """The finding an ingestion is, or None."""
    rule = reader.rules.get(drug or "")
    if drug is not None and rule is not None:
        if stated:
            return rule.finding
        if amount_mg is None:
            return None
        if per_kg:
            return rule.finding if amount_mg >= rule.toxic_mg_per_kg.value else None
        return rule.finding if amount_mg > reader.max_daily_mg[drug] else None
    return reader.self_poisoning if stated or bulk else None


def _ingestion(note: str, lead: re.Match[str], reader: _Reader) -> Ingestion | None:
    overdose_verb = lead.group("od") is not None
    if overdose_verb and _DOSE_BEFORE.search(note, max(0, lead.start() - 12), lead.start()):
        return None
    position = lead.end()
    stated = overdose_verb
    tablets: float | None = None
    total: re.Match[str] | None = None
    bulk = False
    estimated = False
    approximately = _APPROXIMATELY.match(note, position)
    if approximately is not None:
        position = approximately.end()
    if (said := _STATED.match(note, position)) is not None:
        stated, position = True, said.end()
    elif (total := _TOTAL.match(note, position)) is not None:
        position = total.end()
    elif (container := _BULK.match(note, position)) is not None:
        bulk, estimated, position = True, True, container.end()
        many = container.group("count") or "a"
        counted = _COUNT.fullmatch(" " + many)
        handful = container.group("bulk").lower() == "handful"
        per = reader.per_handful if handful else reader.per_container
        tablets = (_count(counted) if counted else 1.0) * per
    elif (count := _COUNT.match(note, position)) is not None:
        tablets, position = _count(count), count.end()
    elif not overdose_verb:
        return None
    taken = _taken(note, position, reader)
    if taken is None or (total is not None and taken.drug is None):
        return None
    amount: float | None = None
    if total is not None:
        amount = _mg(total.group("value"), total.group("unit"))
    elif tablets is not None and taken.drug is not None:
        rule = reader.rules.get(taken.drug)
        usual = rule.usual_tablet_mg.value if rule is not None else None
        strength = taken.strength_mg or usual
        estimated = estimated or taken.strength_mg is None
        amount = tablets * strength if strength else None
    per_kg = total is not None and total.group("per_kg") is not None
    finding = _verdict(reader, taken.drug, amount, per_kg, stated, bulk)
    if finding is not None and finding not in reader.findings:
        finding = None
    start, end = lead.start(), taken.end
    poisoning = reader.self_poisoning
    also = (poisoning,) if lead.group("took_od") and finding != poisoning else ()
    return Ingestion(
        start, end, note[start:end], finding, taken.drug, amount, estimated and amount is not None,
        taken.forms, also if finding is not None else (),
    )  # fmt: skip


def ingestions(note: str, kb: KnowledgeBase) -> list[Ingestion]:
    """Every ingestion stated as a quantity or as an overdose, in note order, none overlapping."""
    reader = _reader(kb)
    found: list[Ingestion] = []
    end = -1
    for lead in _LEAD.finditer(note):
        if lead.start() < end:
            continue
        item = _ingestion(note, lead, reader)
        if item is not None:
            found.append(item)
            end = item.end
    return found
