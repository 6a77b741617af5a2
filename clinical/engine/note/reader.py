"""Reading a free-text note: findings with their certainty, vital signs, labs, age and sex,
history, medications and allergies, each with the character span it came from.

A note may stand in for or add to the structured request (protocol v1). Findings are the knowledge
base's own names (every synonym, plural and word order the vocabulary accepts, typos forgiven by
:mod:`clinical.engine.note.terms`); whether each is present, denied, only possible, a relative's
or in the past is decided by ConText (:mod:`clinical.engine.note.context`). Numbers are read only
where a label or unit says what they are (:mod:`clinical.engine.note.measures`); allergies and
labelled lists by :mod:`.allergies` and :mod:`.lists`. Nothing is guessed from a word alone: what
is read can be pointed at in the note, and what looks like a medication or allergen but names
nothing known is reported as unrecognised.

:func:`read_note` returns a :class:`~clinical.engine.note.reading.NoteReading`;
:func:`clinical.engine.note.report.extracted` is what the wire sends of it.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import cast

from clinical.engine.knowledge.loader import KnowledgeBase
from clinical.engine.knowledge.vocabulary import normalise
from clinical.engine.note.allergies import Allergy, allergies, allergy_spans
from clinical.engine.note.context import CUE_WORDS, Certainty, Found, assert_clause
from clinical.engine.note.lists import Item, dosed, listed
from clinical.engine.note.measures import Reading, measurements, sexes, timing
from clinical.engine.note.overdose import Ingestion, ingestions
from clinical.engine.note.reading import Mention, NoteReading, Onset, UnrecognizedKind
from clinical.engine.note.terms import Lexicon, TermKind, lexicon_for
from clinical.engine.note.text import Word, clause_finder, clauses, words
from clinical.engine.note.unread import unread

_FINDING_KINDS: tuple[TermKind, ...] = ("finding", "condition")
_DRUG_KINDS: tuple[TermKind, ...] = ("drug",)
# The words of the consciousness finding that say how far consciousness is reduced (NEWS2's
# ACVPU); any other word of that finding ("confused", "disorientated") is new confusion.
_ACVPU_WORDS = {key: "voice" for key in normalise("drowsy drowsiness obtunded sleepy")}
_ACVPU_WORDS |= {"wake": "voice"}
_ACVPU_WORDS |= {"unresponsive": "unresponsive"}
# Words a note puts inside a name that the name itself leaves out ("pain started around her
# belly button" is "pain started around belly button").
_PASSING_WORDS = frozenset(normalise("her his their your our its really quite just"))
# How the vocabulary's history findings name a condition the patient had ("previous dvt").
_PAST_LEADS = ("previous", "history of", "past")
# Readings whose words still name findings ("8 weeks pregnant" is also "pregnant").
_UNSKIPPED = frozenset({"gestation_weeks", "sex"})


# ---------------------------------------------------------------- reading


@functools.lru_cache(maxsize=32)
def read_note(note: str, kb: KnowledgeBase) -> NoteReading:
    """Everything the note states, each item with its span.

    A note may be read more than once (the portal's preview, then its diagnosis); the last few
    readings are kept, so a repeat costs nothing. A reading is never changed once made (callers
    only read it), so sharing one is safe.
    """
    lexicon = lexicon_for(kb, CUE_WORDS)
    gcs = kb.policy.note_reading.gcs_to_acvpu
    reading = NoteReading(note, readings=measurements(note, gcs), timing=timing(note))
    reading.allergies, reading.no_known_allergies = allergies(note, kb.vocabulary)
    skip = [(r.start, r.end) for r in reading.readings if r.field not in _UNSKIPPED]
    skip += _allergy_skips(note, reading)
    ingested = reading.ingestions = ingestions(note, kb)
    overdoses = [item for item in ingested if item.finding is not None]
    # Tablets taken ("a bottle of pills", "2 pills") are not "the pill"; an overdose's own words
    # stay in its phrase, which ConText reads as one term.
    tablets = [span for item in ingested if item.finding is None for span in item.forms]
    found = words(note)
    kept = _unskipped(found, skip + tablets)
    mentions = _scan(note, kept, lexicon, kb, _FINDING_KINDS, overdoses)
    mentions += _self_poisoning(mentions, overdoses, kb)
    mentions = _with_timing(mentions, reading.timing, clause_finder(note))
    mentions += _allergy_findings(reading.allergies, kb)
    mentions += _past_conditions_as_history(mentions, kb)
    mentions += _pregnancy_from_gestation(reading.readings, mentions, kb)
    reading.mentions = _sudden_variants(mentions, lexicon, kb)
    if overdoses:
        kept = _unskipped(found, skip + [span for item in ingested for span in item.forms])
    reading.drugs = _scan(note, kept, lexicon, kb, _DRUG_KINDS)
    reading.readings += _demographics(note, reading, kb)
    reading.unrecognized = _unrecognized(note, reading, kb)
    reading.unread = unread(note, reading)
    return reading


def _allergy_skips(note: str, reading: NoteReading) -> list[tuple[int, int]]:
    """Allergy statements naming a drug or drug group, and "NKDA": their words are allergens,
    not the patient's medications or findings ("allergic to penicillin (rash)")."""
    resolved = [allergy.item for allergy in reading.allergies if allergy.match is not None]
    spans = [(item.start, item.end) for item in resolved]
    for start, end in allergy_spans(note):
        if any(start <= item.start < end for item in resolved):
            spans.append((start, end))
    if reading.no_known_allergies is not None:
        spans.append((reading.no_known_allergies.start, reading.no_known_allergies.end))
    return spans


def _unskipped(found: list[Word], skip: Sequence[tuple[int, int]]) -> list[Word]:
    """The words to scan: none inside a measurement or allergy statement, and no possessive or
    intensifier ("her belly button", "really bad")."""
    covered = bytearray(max((end for _, end in skip), default=0))
    for start, end in skip:
        covered[start:end] = b"\x01" * (end - start)
    limit = len(covered)
    return [
        word
        for word in found
        if word.key not in _PASSING_WORDS and not (word.start < limit and covered[word.start])
    ]


def _corrected(clause: list[Word], lexicon: Lexicon) -> tuple[list[str], list[bool]]:
    keys, fuzzy = [], []
    for word in clause:
        correction = lexicon.correct(word.key, word.raw) if word.raw else None
        keys.append(correction or word.key)
        fuzzy.append(correction is not None)
    return keys, fuzzy


def _scan(
    note: str,
    kept: list[Word],
    lexicon: Lexicon,
    kb: KnowledgeBase,
    kinds: tuple[TermKind, ...],
    stated: Sequence[Ingestion] = (),
) -> list[Mention]:
    longest = max(lexicon.longest[kind] for kind in kinds)
    found: list[Mention] = []
    for clause in clauses(kept):
        keys, fuzzy = _corrected(clause, lexicon)
        phrases = _phrases(clause, stated)
        if not phrases and not lexicon.may_name(keys, kinds):
            continue

        def match(
            index: int,
            keys: list[str] = keys,
            fuzzy: list[bool] = fuzzy,
            phrases: dict[int, Found] = phrases,
        ) -> Found | None:
            if index in phrases:
                return phrases[index]
            term = lexicon.match(keys, index, kinds, longest)
            if term is None:
                return None
            kind, entry, length = term
            return Found(kind, entry, index, length, any(fuzzy[index : index + length]))

        for assertion in assert_clause(keys, match):
            stated_here = phrases.get(assertion.term.first) is assertion.term
            found.append(
                _mention(note, clause, assertion.term, assertion.certainty, kb, stated_here)
            )
    return found


def _phrases(clause: list[Word], stated: Sequence[Ingestion]) -> dict[int, Found]:
    """Overdoses stated as a quantity ("took 40 paracetamol tablets"), each one term for ConText
    from its first word in the clause, so "denies taking 40 paracetamol" denies it."""
    terms: dict[int, Found] = {}
    if not stated or not clause:
        return terms
    begin, finish = clause[0].start, clause[-1].end
    starts = [word.start for word in clause]
    for item in stated:
        if item.finding is None or item.start < begin or item.end > finish:
            continue
        first = last = bisect.bisect_left(starts, item.start)
        while last < len(clause) and clause[last].end <= item.end:
            last += 1
        if last > first:
            terms[first] = Found("finding", item.finding, first, last - first)
    return terms


def _self_poisoning(
    mentions: list[Mention], stated: Sequence[Ingestion], kb: KnowledgeBase
) -> list[Mention]:
    """An overdose verb is also self-poisoning: "took an overdose of 32 paracetamol" is also
    "took an overdose", as the vocabulary reads those words alone."""
    found = []
    also = {(item.start, item.finding): item.also for item in stated if item.also}
    for mention in mentions if also else ():
        for entry in also.get((mention.start, mention.id), ()):
            label, category = _describe("finding", entry, kb)
            found.append(replace(mention, id=entry, label=label, category=category))
    return found


def _mention(
    note: str,
    clause: list[Word],
    term: Found,
    certainty: Certainty,
    kb: KnowledgeBase,
    event: bool = False,
) -> Mention:
    """A term as a mention; a history finding said in the past is present history ("history of
    asthma"), unless the term is an event ("took 40 paracetamol 3 years ago" is a past overdose,
    not this one)."""
    first, last = clause[term.first], clause[term.last]
    label, category = _describe(term.kind, term.entry, kb)
    if category == "history" and certainty == "past" and not event:
        certainty = "present"
    text = note[first.start : last.end]
    kind: TermKind = term.kind  # type: ignore[assignment]
    return Mention(
        kind, term.entry, label, category, text, first.start, last.end, certainty, first.clause,
        term.fuzzy,
    )  # fmt: skip


def _describe(kind: str, entry: str, kb: KnowledgeBase) -> tuple[str, str]:
    if kind == "finding":
        finding = kb.findings[entry]
        return finding.label, finding.category
    if kind == "condition":
        return kb.conditions[entry].name, "condition"
    return kb.drugs[entry].name, "drug"


def _sudden_variants(mentions: list[Mention], lexicon: Lexicon, kb: KnowledgeBase) -> list[Mention]:
    """A finding said to start suddenly is also its sudden variant where the vocabulary has one
    ("suddenly breathless" is also "Sudden onset of breathlessness")."""
    found = list(mentions)
    for mention in mentions:
        variant = lexicon.sudden.get(mention.id) if mention.kind == "finding" else None
        if variant is None or mention.onset != "sudden":
            continue
        label, category = _describe("finding", variant, kb)
        found.append(replace(mention, id=variant, label=label, category=category))
    return found


def _allergy_findings(found: list[Allergy], kb: KnowledgeBase) -> list[Mention]:
    """An allergen no drug or drug group names may still name a finding when said as an allergy
    ("allergic to peanuts" is atopy), even inside a statement that also names a drug."""
    mentions = []
    for allergy in found:
        if allergy.match is not None:
            continue
        statement = kb.vocabulary.match_statement(f"allergic to {allergy.item.text}")
        if statement is None or not statement[1]:
            continue
        label, category = _describe("finding", statement[0], kb)
        item = allergy.item
        mentions.append(
            Mention("finding", statement[0], label, category, item.text, item.start, item.end,
                    "present", -1)
        )  # fmt: skip
    return mentions


def _past_conditions_as_history(mentions: list[Mention], kb: KnowledgeBase) -> list[Mention]:
    """A condition the patient had before is the history finding the vocabulary names for it
    ("had a DVT 5 years ago" is "previous DVT"; "stroke in 2019" with "history of" is "previous
    stroke")."""
    found = []
    for mention in mentions:
        if mention.kind != "condition" or mention.certainty != "past":
            continue
        for lead in _PAST_LEADS:
            statement = kb.vocabulary.match_statement(f"{lead} {mention.text}")
            if statement is None or not statement[1]:
                continue
            finding = kb.findings[statement[0]]
            if finding.category == "history":
                found.append(
                    replace(mention, kind="finding", id=finding.id, label=finding.label,
                            category="history", certainty="present")
                )  # fmt: skip
                break
    return found


def _pregnancy_from_gestation(
    readings: list[Reading], mentions: list[Mention], kb: KnowledgeBase
) -> list[Mention]:
    """A gestation ("32/40", "8 weeks pregnant") says the patient is pregnant."""
    gestation = next((r for r in readings if r.field == "gestation_weeks"), None)
    if gestation is None or "pregnant" not in kb.findings:
        return []
    if any(
        m.id == "pregnant" and m.start < gestation.end and gestation.start < m.end for m in mentions
    ):
        return []
    label, category = _describe("finding", "pregnant", kb)
    return [
        Mention("finding", "pregnant", label, category, gestation.text, gestation.start,
                gestation.end, "present", -1)
    ]  # fmt: skip


def _with_timing(
    mentions: list[Mention], found: list[Reading], clause_of: Callable[[int], int]
) -> list[Mention]:
    """Each finding with the duration and onset stated in its clause."""
    by_clause: dict[int, dict[str, str]] = {}
    for reading in found:
        slot = "duration" if reading.field == "duration" else "onset"
        value = reading.text if slot == "duration" else str(reading.value)
        by_clause.setdefault(clause_of(reading.start), {}).setdefault(slot, value)
    timed = []
    for mention in mentions:
        stated = by_clause.get(mention.clause, {})
        if mention.kind == "finding" and mention.certainty == "present" and stated:
            onset = cast(Onset | None, stated.get("onset"))  # an onset reading is one of the two
            mention = replace(mention, duration=stated.get("duration"), onset=onset)
        timed.append(mention)
    return timed


# ---------------------------------------------------------------- demographics and history


def _demographics(note: str, reading: NoteReading, kb: KnowledgeBase) -> list[Reading]:
    """Sex from words when no "72M" gave it (nouns and titles, then pronouns, then a finding only
    one sex can have that the note affirms), and consciousness from the words of an affirmed
    reduced-consciousness finding when no GCS, ACVPU or "responds to" gave it."""
    added: list[Reading] = []
    if reading.first("sex") is None:
        stated = sexes(note)
        nouns = [item for item in stated if item.unit is None]
        chosen = (nouns or stated)[:1]
        added += [replace(item, unit=None) for item in chosen] or _sex_of_findings(reading, kb)
    if reading.first("consciousness") is None:
        added += list(_consciousness_from_findings(reading.mentions))
    return added


def _sex_of_findings(reading: NoteReading, kb: KnowledgeBase) -> list[Reading]:
    """The sex of the first affirmed finding only one sex can have (``only_sex`` in the knowledge
    base: "9 weeks pregnant", "34+2", "breastfeeding"), as the reading of the patient's sex."""
    for mention in reading.mentions:
        finding = kb.findings.get(mention.id) if mention.kind == "finding" else None
        if finding is not None and finding.only_sex and mention.certainty == "present":
            text = mention.text
            return [Reading("sex", finding.only_sex, mention.start, mention.end, text, "finding")]
    return []


def _consciousness_from_findings(mentions: list[Mention]) -> Iterator[Reading]:
    for mention in mentions:
        if mention.id != "altered_consciousness" or mention.certainty != "present":
            continue
        words_said = normalise(mention.text)
        level = next((_ACVPU_WORDS[w] for w in words_said if w in _ACVPU_WORDS), "confused")
        yield Reading("consciousness", level, mention.start, mention.end, mention.text)
        return


def _unrecognized(
    note: str, reading: NoteReading, kb: KnowledgeBase
) -> list[tuple[UnrecognizedKind, Item]]:
    """Allergens, medications and past conditions written where one is expected that the
    knowledge base does not know."""
    spans: list[tuple[int, int]] = [(m.start, m.end) for m in (*reading.mentions, *reading.drugs)]
    spans += [(r.start, r.end) for r in reading.readings]
    spans += [(item.start, item.end) for item in reading.ingestions]
    unknown: dict[int, tuple[UnrecognizedKind, Item]] = {}
    for allergy in reading.allergies:
        if allergy.match is None and not _covered(allergy.item, spans):
            unknown[allergy.item.start] = ("allergy", allergy.item)
    candidates: list[tuple[UnrecognizedKind, Item]] = [*listed(note)]
    candidates += [("medication", item) for item in dosed(note)]
    for kind, item in candidates:
        if item.start in unknown or _covered(item, spans) or _known(item.text, kb):
            continue
        if not _inside_allergy(item, reading):
            unknown[item.start] = (kind, item)
    return [unknown[start] for start in sorted(unknown)]


def _covered(item: Item, spans: Sequence[tuple[int, int]]) -> bool:
    return any(start < item.end and item.start < end for start, end in spans)


def _known(text: str, kb: KnowledgeBase) -> bool:
    vocabulary = kb.vocabulary
    return any(
        match(text) is not None
        for match in (vocabulary.match_drug, vocabulary.match_statement, vocabulary.match_condition)
    )


def _inside_allergy(item: Item, reading: NoteReading) -> bool:
    return any(allergy.item.start <= item.start < allergy.item.end for allergy in reading.allergies)
