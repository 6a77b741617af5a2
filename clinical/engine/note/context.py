"""Whose finding, and is it there? The ConText algorithm over one clause.

ConText (Harkema et al., J Biomed Inform 2009; the rules medspaCy ships) decides for each term
whether it is negated ("denies chest pain", "cough: nil"), only possible ("?pneumonia",
"possible UTI"), someone else's ("family history of asthma", "mother had a stroke") or in the past
("history of", "previous", "resolved"). A cue reaches forward ("no ...") or backward
("... ruled out") over the clause's terms until a terminating word ("but", "reports", ...), and
only so many words past the cue or the last term it reached, so that "no cough, sputum or fever"
denies all three while a finding far later in a long clause is left alone. Past a comma a short
negation ("no", "without", ...) is ambiguous: "no fever, cough or rash" is one denied list, but
"no cough, tender swollen neck glands" states the glands. A list closed by "or" or "nor" stays
denied; otherwise what lies past the comma is read as only possible, never as present and never
as denied, and the clinician sees it marked uncertain. A list verb ("denies", "negative for")
keeps its reach across commas, as ConText does, until another negation opens a list of its own
("denies chest pain, no fever, productive cough" leaves the cough only possible).

Backward negations stay inside their list item: "vomiting: nil", "neck stiffness absent" and
"urine dip negative" deny only the term right before them ("fever and cough: nil" both), so
"headache, neck stiffness, fever, CT head normal" denies nothing, and "PE ruled out" reaches
back a few words but never past a comma. A review of systems answers a term: "Fever: no",
"chest pain: denies", "cough yes", "Chest pain? No." (an answer is a negation word that ends
its item); a term asked with no answer ("fever?") is only possible.

A pseudo-cue ("no improvement", "fit and well") is read and set aside so it neither cues nor
names anything.

The cue lists are grammar, not clinical knowledge, so they live here beside the algorithm.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from clinical.engine.contract.results import Certainty
from clinical.engine.knowledge.vocabulary import normalise
from clinical.engine.note.text import ASKED_KEY as ASKED

Category = Literal["negated", "possible", "family", "historical", "pseudo"]
Direction = Literal["forward", "backward", "both"]

# A cue reaches this many words past itself or past the last term it reached.
# Negations that govern a whole list past a comma ("denies fever, cough, rash"); the others
# ("no", "not", "without", ...) govern one past a comma only when "or" or "nor" closes it.
LIST_NEGATIONS = frozenset(
    normalise(phrase)
    for phrase in (
        "denies", "deny", "denied", "denying", "neither", "nor", "free of", "negative for",
        "no signs of", "no sign of", "no evidence of", "no history of", "no complaints of",
        "absence of", "ruled out", "rules out", "resolution of",
    )
)  # fmt: skip
LIST_CLOSERS = frozenset(normalise("or nor"))
# Words that answer the term before them when they end its item ("Fever: no", "cough yes").
ANSWERS_NO = frozenset(
    normalise("no nil none denies denied negative neg absent not")
)  # fmt: skip
ANSWERS = ANSWERS_NO | frozenset(normalise("yes present positive"))
# Backward negations that deny only the term right before them (and the terms joined to it by
# "and"/"or"): "urine dip negative", but not "abdominal pain, urine dip negative".
ADJACENT_ONLY = frozenset(normalise("negative unremarkable denied nil none normal absent"))
_JOINERS = frozenset(normalise("and or nor"))
# Words that may stand between a term and its answer: "pregnancy test negative".
_TEST_WORDS = frozenset(normalise("test tests screen result results swab"))
# How many words may stand between a term and the "?" (or "no") that answers it, or between two
# terms joined by "and"/"or" ("cough ? test ?", "cough, or fever"): an answer further away is
# about something else, and bounding the gap keeps a run of "?" after one term linear (each "?"
# re-read every word back to the term: quadratic).
_MOST_BETWEEN = 3
FORWARD_REACH = 6
BACKWARD_REACH = 5
# When several cues reach one term, the first of these that applies decides.
_PRECEDENCE: tuple[tuple[Category, Certainty], ...] = (
    ("family", "family"),
    ("negated", "absent"),
    ("possible", "possible"),
    ("historical", "past"),
)
_NEGATION_AUXILIARIES = ("dont", "doesnt", "didnt", "havent", "hasnt", "hadnt", "isnt", "wasnt")
_RELATIVES = (
    "mother",
    "father",
    "mum",
    "dad",
    "mom",
    "brother",
    "sister",
    "sibling",
    "parent",
    "grandmother",
    "grandfather",
    "grandparent",
    "aunt",
    "uncle",
    "cousin",
)
# A relative who reports what the patient has is not the one who has it: "mum says not feeding",
# "dad noticed a rash" are the child's findings, so these phrases are pseudo-cues (a relative's
# own history is still read: "mother had a stroke", "family history of asthma").
_REPORTING = (
    "says",
    "said",
    "reports",
    "reported",
    "reporting",
    "thinks",
    "thought",
    "noticed",
    "has noticed",
    "states",
    "stated",
    "describes",
    "described",
    "tells",
    "told",
    "mentions",
    "mentioned",
    "is worried",
    "worried",
    "concerned",
)
_REPORTERS = tuple(
    f"{relative}{plural} {verb}"
    for relative in _RELATIVES
    for plural in ("", "s")
    for verb in _REPORTING
)
_CUES: dict[tuple[Category, Direction], tuple[str, ...]] = {
    ("negated", "forward"): (
        "no",
        "not",
        "denies",
        "deny",
        "denied",
        "denying",
        "without",
        "never",
        "neither",
        "nor",
        "free of",
        "negative for",
        "no signs of",
        "no sign of",
        "no evidence of",
        "no history of",
        "no complaints of",
        "no further",
        "no longer",
        "absence of",
        "not any",
        "ruled out",
        "rules out",
        "resolution of",
        *_NEGATION_AUXILIARIES,
    ),
    ("negated", "backward"): (
        "negative",
        "not present",
        "not seen",
        "not found",
        "not detected",
        "ruled out",
        "excluded",
        "denied",
        "unremarkable",
        "has gone",
        "have gone",
    ),
    ("negated", "both"): ("nil", "none", "normal", "absent"),
    ("possible", "forward"): (
        "possible",
        "possibly",
        "probable",
        "probably",
        "likely",
        "suspected",
        "suspect",
        "suspicious for",
        "suspicion of",
        "query",
        "questionable",
        "may have",
        "might have",
        "may be",
        "might be",
        "could be",
        "could have",
        "maybe",
        "perhaps",
        "concern for",
        "concerning for",
        "worried about",
        "worried it",
        "rule out",
        "consider",
        "cannot exclude",
        "cant exclude",
        "cannot rule out",
        "cant rule out",
        "differential",
        "think i have",
        "wonder if",
        "vs",
        "versus",
    ),
    ("possible", "backward"): (
        "unlikely",
        "likely",
        "suspected",
        "queried",
        "not excluded",
        "not ruled out",
        "cannot be excluded",
        "to be excluded",
        "to be ruled out",
        "possible",
    ),
    ("family", "forward"): ("family history of", "family history", *_RELATIVES),
    ("family", "backward"): ("in the family", "runs in the family", "runs in family"),
    ("historical", "forward"): (
        "history of",
        "past history of",
        "past medical history",
        "previous",
        "previously",
        "prior",
        "known",
        "background of",
    ),
    ("historical", "backward"): (
        "resolved",
        "has resolved",
        "now resolved",
        "settled",
        "in the past",
        "years ago",
        "as a child",
        "last year",
        "previously",
    ),
    ("pseudo", "forward"): (
        "no change",
        "no increase",
        "not only",
        "not just",
        "no improvement",
        "not improving",
        "not improved",
        "not resolved",
        "not resolving",
        "not settled",
        "not settling",
        "no better",
        "not better",
        "not relieved",
        "not eased",
        "no relief",
        "not helped",
        "not responding",
        "gram negative",
        "not sure",
        "not certain",
        "no doubt",
        "day history",
        "week history",
        "hour history",
        "month history",
        "year history",
        "never cleared",
        "never went away",
        "never settled",
        "never got better",
        "never resolved",
        "not cleared",
        "hasnt cleared",
        "not gone away",
        "not going away",
        "wont go away",
        "fit and well",
        "fit and healthy",
        "otherwise fit",
        "previously fit",
        "otherwise well",
        "keeping fit",
        *_REPORTERS,
    ),
}
# Words that end every cue's reach, and words that end a forward cue's reach only ("no fever,
# has a cough"; but "cough has resolved" is one statement).
HARD_TERMINATORS = frozenset(
    normalise(
        "but however although though except apart aside yet whereas which who whose because "
        "presents presenting presented complains complaining complained reports reported "
        "reporting states stated says said describes described due secondary then"
    )
)
# Words that end the reach of every cue but a negation: "possible appendicitis, RIF tenderness"
# (a finding after a comma is stated, not queried) but "no fever, cough or rash".
LIST_BREAKS = frozenset({",", *normalise("with given as")})
SOFT_TERMINATORS = frozenset(
    normalise("has have had having is are was were now still currently developed started got")
)


@dataclass(frozen=True)
class Cue:
    category: Category
    direction: Direction
    length: int


def _cue_table() -> dict[tuple[str, ...], Cue]:
    """Phrase keys to cues; a phrase listed both ways reaches both ways."""
    table: dict[tuple[str, ...], Cue] = {("?",): Cue("possible", "forward", 1)}
    for (category, direction), phrases in _CUES.items():
        for phrase in phrases:
            key = normalise(phrase)
            known = table.get(key)
            reach = direction
            if known is not None and known.category == category and known.direction != direction:
                reach = "both"
            table[key] = Cue(category, reach, len(key))
    return table


CUES = _cue_table()
# Both-way cues that reach forward only to the very next word ("nil vomiting", but "vomiting:
# nil"; "normal temperature", but "temperature normal").
SHORT_REACH = frozenset(normalise("nil none normal absent"))
_LONGEST_CUE = max(len(key) for key in CUES)
# Words the typo corrector must leave alone: they mean something here already.
CUE_WORDS = (
    frozenset(word for key in CUES for word in key)
    | HARD_TERMINATORS
    | SOFT_TERMINATORS
    | LIST_BREAKS
)


@dataclass(frozen=True)
class Found:
    """A term the caller recognised: kind, entry, first key index and length (in the clause)."""

    kind: str
    entry: str
    first: int
    length: int
    fuzzy: bool = False

    @property
    def last(self) -> int:
        return self.first + self.length - 1


@dataclass
class Assertion:
    """A term with every cue category that reached it."""

    term: Found
    categories: set[Category] = field(default_factory=set)

    @property
    def certainty(self) -> Certainty:
        for category, certainty in _PRECEDENCE:
            if category in self.categories:
                return certainty
        return "present"


@dataclass
class _Pending:
    """A cue that reaches backward (or both ways, when nothing ahead took it)."""

    category: Category
    position: int
    used_forward: bool = False
    both: bool = False
    adjacent: bool = False


@dataclass
class _Reach:
    category: Category
    until: int
    chain: bool = True
    pending: _Pending | None = None
    # A short negation past a comma with no "or"/"nor" ahead: what it reaches is only possible.
    whole_list: bool = False
    ambiguous: bool = False


def _closed_lists(keys: Sequence[str]) -> list[bool]:
    """For each index (and one past the end): does "or"/"nor" come at or after it before a
    terminating word?"""
    closed = [False] * (len(keys) + 1)
    for index in range(len(keys) - 1, -1, -1):
        key = keys[index]
        if key in LIST_CLOSERS:
            closed[index] = True
        elif key not in HARD_TERMINATORS and key not in SOFT_TERMINATORS:
            closed[index] = closed[index + 1]
    return closed


def cue_at(keys: Sequence[str], index: int) -> Cue | None:
    """The longest cue starting at ``index``."""
    for length in range(min(_LONGEST_CUE, len(keys) - index), 0, -1):
        cue = CUES.get(tuple(keys[index : index + length]))
        if cue is not None:
            return cue
    return None


@dataclass
class _Scan:
    keys: Sequence[str]
    assertions: list[Assertion] = field(default_factory=list)
    reaching: list[_Reach] = field(default_factory=list)
    pending: list[_Pending] = field(default_factory=list)
    barriers: list[int] = field(default_factory=list)
    commas: list[int] = field(default_factory=list)
    after_cue: int = -1
    # For each index: whether "or"/"nor" comes at or after it before the clause turns (computed
    # on the first comma that needs it, in one pass, so a long list stays linear).
    closed_from: list[bool] | None = None

    def adjacent_terms(self, index: int) -> list[Assertion]:
        """The term ending right before ``index`` (past a "?" mark or a word like "test") and
        those joined to it by "and"/"or", nearest first."""
        found: list[Assertion] = []
        expected, gap_ok = index - 1, _TEST_WORDS | {ASKED}
        for assertion in reversed(self.assertions):
            last = assertion.term.last
            if last > expected or expected - last > _MOST_BETWEEN:
                break
            if not all(key in gap_ok for key in self.keys[last + 1 : expected + 1]):
                break
            found.append(assertion)
            expected, gap_ok = assertion.term.first - 1, _JOINERS
        return found

    def answer(self, index: int) -> bool:
        """Read ``keys[index]`` as the answer to the term before it, when it ends its item;
        whether it was one."""
        keys = self.keys
        if keys[index] not in ANSWERS or (index + 1 < len(keys) and keys[index + 1] != ","):
            return False
        if keys[index] in ANSWERS_NO:
            for assertion in self.adjacent_terms(index):
                assertion.categories.add("negated")
        self.reaching.clear()
        return True

    def asked(self, index: int) -> None:
        """A "?" after a term: the term is only possible, unless an answer follows."""
        if index + 1 < len(self.keys) and self.keys[index + 1] in ANSWERS:
            return
        for assertion in self.adjacent_terms(index):
            assertion.categories.add("possible")

    def take_term(self, term: Found) -> None:
        assertion = Assertion(term)
        for reach in self.reaching:
            if term.first > reach.until:
                continue
            assertion.categories.add("possible" if reach.ambiguous else reach.category)
            if reach.chain:
                reach.until = term.last + FORWARD_REACH
            if reach.pending is not None:
                reach.pending.used_forward = True
        self.assertions.append(assertion)

    def take_cue(self, cue: Cue, index: int) -> None:
        if cue.category == "pseudo":
            return
        end = index + cue.length - 1
        self.after_cue = end + 1
        if self.keys[index] == "?" or self.keys[index] in SHORT_REACH:
            self.reaching.append(_Reach(cue.category, end + 1, chain=False))
        elif cue.direction in ("forward", "both"):
            whole_list = tuple(self.keys[index : end + 1]) in LIST_NEGATIONS
            if cue.category == "negated":
                # "denies chest pain, no fever, productive cough": the new negation opens its own
                # list, and the reach past its comma is its own.
                self.reaching = [reach for reach in self.reaching if reach.category != "negated"]
            self.reaching.append(_Reach(cue.category, end + FORWARD_REACH, whole_list=whole_list))
        if cue.direction in ("backward", "both"):
            adjacent = cue.length == 1 and self.keys[index] in ADJACENT_ONLY
            pending = _Pending(cue.category, index, both=cue.direction == "both", adjacent=adjacent)
            self.pending.append(pending)
            if self.reaching and cue.direction == "both":
                self.reaching[-1].pending = pending

    def break_list(self, index: int) -> None:
        if self.keys[index] == ",":
            self.commas.append(index)
        self.reaching = [reach for reach in self.reaching if reach.category == "negated"]
        if self.keys[index] == "," and self.reaching and not self._closed_list_ahead(index):
            for reach in self.reaching:
                reach.ambiguous = reach.ambiguous or not reach.whole_list

    def _closed_list_ahead(self, index: int) -> bool:
        """Whether "or"/"nor" comes after this comma before the clause ends or turns."""
        if self.closed_from is None:
            self.closed_from = _closed_lists(self.keys)
        return self.closed_from[index + 1]

    def terminate(self, index: int, hard: bool) -> None:
        if index == self.after_cue:
            return
        self.reaching.clear()
        if hard:
            self.barriers.append(index)

    def resolve_backward(self) -> None:
        for item in self.pending:
            if item.both and item.used_forward:
                continue
            if item.adjacent:
                for assertion in self.adjacent_terms(item.position):
                    assertion.categories.add(item.category)
                continue
            stops = self.barriers + (self.commas if item.category == "negated" else [])
            barrier = max((b for b in stops if b < item.position), default=-1)
            reach_from = item.position - BACKWARD_REACH
            for assertion in reversed(self.assertions):
                term = assertion.term
                if term.last >= item.position or term.first <= barrier:
                    continue
                if term.last < reach_from:
                    break
                assertion.categories.add(item.category)
                reach_from = term.first - BACKWARD_REACH


def _take(scan: _Scan, index: int, match: Callable[[int], Found | None]) -> int:
    """Read what starts at ``index``; the next index to read."""
    keys = scan.keys
    if keys[index] == ASKED:
        scan.asked(index)
        return index + 1
    if scan.answer(index):
        return index + 1
    cue = cue_at(keys, index)
    if cue is not None and cue.category == "pseudo":
        return index + cue.length
    term = match(index) if keys[index] != "?" else None
    if term is not None:
        scan.take_term(term)
        return index + term.length
    if cue is not None:
        scan.take_cue(cue, index)
        return index + cue.length
    if keys[index] in HARD_TERMINATORS or keys[index] in SOFT_TERMINATORS:
        scan.terminate(index, keys[index] in HARD_TERMINATORS)
    elif keys[index] in LIST_BREAKS:
        scan.break_list(index)
    return index + 1


def assert_clause(keys: Sequence[str], match: Callable[[int], Found | None]) -> list[Assertion]:
    """Every term ``match`` finds in the clause, with the cue categories that reach it."""
    scan = _Scan(keys)
    index = 0
    while index < len(keys):
        index = _take(scan, index, match)
    scan.resolve_backward()
    return scan.assertions
