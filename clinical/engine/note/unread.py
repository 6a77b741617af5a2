"""What the note says that nothing read: "What I could not read".

The reader reads only what the knowledge base names (:mod:`.reader`); every other word is
dropped without a trace, and a diagnosis built on the rest looks as sure as one built on the
whole note. So every word that no item of the reading covers (a finding, condition or drug, a
measurement, an allergy, a cue such as "no" or "denies") and that is not scaffolding (function
words, the note's own headings, who is speaking, when) is reported, grouped into the phrases it
stands in, with its span: "went all floppy", "can't lift her cup". A clinician can then see the
words the diagnosis did not use, and triage says when decisive text may have been missed.

One pass over the note's words against a character map of what was read: linear in the note.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from clinical.engine.knowledge.vocabulary import normalise
from clinical.engine.note.context import CUES, HARD_TERMINATORS, SOFT_TERMINATORS
from clinical.engine.note.reading import NoteReading, Unread
from clinical.engine.note.text import ASKED_KEY, Word, words

# Words that carry no clinical content of their own: English function words, and the scaffolding
# of a clinical note (headings, who is speaking, when, how it is told). Anything else a note
# says and nothing reads is reported.
_FUNCTION_WORDS = """
a about above after again against all almost also am an and any anyone anything are around as
at be because been before being below between both but by can could did do does doing done down
during each either else enough even ever every few for from further get gets getting give go
goes going gone got had has have having he her here hers herself him himself his how i if in into
is it its itself just least less let like lot lots made make many may me might mine more most
much must my myself neither never next no nor not now of off often on once one only onto or other
others our ours ourselves out over own per quite rather really same see seem seems seen several
shall she should since so some someone something sometimes soon still such than that the their
theirs them themselves then there these they thing things this those though through thus till to
too toward towards under until up upon us very via was we well were what whatever when where
whether which while who whom whose why will with within without would yes yet you your yours
yourself yourselves im ive dont doesnt didnt cant wont isnt wasnt arent theyre youre hes shes
its thats theres
"""
_NOTE_SCAFFOLDING = """
patient pt pts client he she man woman men women boy girl lady gentleman gent male female m f
child children kid kids baby infant toddler son daughter mum mom mother dad father parent parents
wife husband partner brother sister grandmother grandfather gran nan grandad carer friend family
year years yr yrs yo y o old aged age month months mo mos week weeks wk wks day days hour hours
hr hrs minute minutes min mins today tonight yesterday tomorrow morning afternoon evening night
overnight ago last past recent recently earlier later currently present presents presenting
presented presentation attends attended attending comes came come brought bring seen see saw
visit review reviewed appointment clinic surgery gp ed ae department ward home house work school
says said say states stated reports reported reporting describes described complains complained
complaining noticed notices notice thinks thought feels feel feeling felt looks look looked
seems seemed appears appeared started starts start began begin begun onset since ongoing
continues continued persistent today's note notes history hpc pc hx pmh pmhx dh sh fh ros oe
exam examination examined obs observations impression assessment imp plan diagnosis differential
ddx summary background social drug drugs meds medication medications allergy allergies nkda nka
advice advised safety netting net safetynet follow up f u fu return reattend worsen worsens
worsening otherwise generally general usual usually normally well fine ok okay good nad
unremarkable stable better worse same mild moderate severe slight slightly bit little very
intermittent constant times time episode episodes first second third once twice now around
approx approximately about roughly since yes caller calling call called wants want wanted
know wait waiting please help checked check checking making taken take took mostly max big
case cases
"""
FILLER = frozenset(key for text in (_FUNCTION_WORDS, _NOTE_SCAFFOLDING) for key in normalise(text))
_MARKS = frozenset({",", "?", ASKED_KEY})
_LONGEST_CUE = max(len(key) for key in CUES)
# ConText's terminators ("but", "has") only bound a cue's reach: inside a phrase, scaffolding.
_SCAFFOLDING = FILLER | HARD_TERMINATORS | SOFT_TERMINATORS


def unread(note: str, reading: NoteReading) -> list[Unread]:
    """Every clinically meaningful phrase of ``note`` that no item of ``reading`` covers, in
    order: runs of unread words within a clause, trimmed of scaffolding at both ends, kept when
    a word of content remains."""
    tokens = _tokens(words(note))
    covered = _covered(len(note), [*_read_spans(reading), *_cue_spans(tokens)])
    phrases: list[Unread] = []
    run: list[Word] = []
    for word in tokens:
        if run and (word.clause != run[-1].clause or _breaks(word, covered)):
            phrases += _phrase(note, run)
            run = []
        if not _breaks(word, covered):
            run.append(word)
    phrases += _phrase(note, run)
    return phrases


def _read_spans(reading: NoteReading) -> Iterable[tuple[int, int]]:
    for mention in (*reading.mentions, *reading.drugs):
        yield mention.start, mention.end
    for measured in reading.timing:
        yield measured.start, measured.end
    for measurement in reading.readings:
        if not measurement.unclear:  # a number whose unit could not be told was not read
            yield measurement.start, measurement.end
    for allergy in reading.allergies:
        yield allergy.item.start, allergy.item.end
    for _, unknown in reading.unrecognized:
        yield unknown.start, unknown.end  # reported already, as unrecognised
    for ingestion in reading.ingestions:
        yield ingestion.start, ingestion.end
    if reading.no_known_allergies is not None:
        yield reading.no_known_allergies.start, reading.no_known_allergies.end


def _cue_spans(tokens: Sequence[Word]) -> Iterable[tuple[int, int]]:
    """Where ConText's cues stand ("no", "denies", "not at all"): read, so they end a phrase."""
    keys = [word.key for word in tokens]
    for index in range(len(tokens)):
        for length in range(min(_LONGEST_CUE, len(tokens) - index), 0, -1):
            if tuple(keys[index : index + length]) in CUES:
                yield tokens[index].start, tokens[index + length - 1].end
                break


def _covered(length: int, spans: Iterable[tuple[int, int]]) -> bytearray:
    """A map of the note's characters: 1 where an item was read."""
    covered = bytearray(length)
    for start, end in spans:
        covered[start:end] = b"\x01" * (end - start)
    return covered


def _tokens(found: Sequence[Word]) -> list[Word]:
    """One word per token: a shorthand's several keys share a span; the first stands for it."""
    tokens: list[Word] = []
    for word in found:
        if tokens and tokens[-1].start == word.start:
            if word.key not in FILLER and tokens[-1].key in FILLER:
                tokens[-1] = word
            continue
        tokens.append(word)
    return tokens


def _breaks(word: Word, covered: bytearray) -> bool:
    """A word that ends a phrase: one that was read, a cue, or a comma or query mark."""
    return word.key in _MARKS or any(covered[word.start : word.end])


def _content(word: Word) -> bool:
    return word.key not in _SCAFFOLDING and not word.key.isdigit() and len(word.key) > 1


def _phrase(note: str, run: Sequence[Word]) -> list[Unread]:
    meaningful = [index for index, word in enumerate(run) if _content(word)]
    if not meaningful:
        return []
    first, last = run[meaningful[0]], run[meaningful[-1]]
    return [Unread(note[first.start : last.end], first.start, last.end)]
