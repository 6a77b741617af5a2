"""Matching free names (what a clinician or patient typed) to knowledge-base ids.

A name is normalised to a key before it is compared: case and accents folded, apostrophes dropped
("can't" is "cant"), every other punctuation mark a word break, and each word reduced to a stem
that a singular and its plural share ("crackle"/"crackles", "rash"/"rashes", "allergy"/"allergies")
and the other forms of a verb share ("drooped"/"drooping"); "cannot" and "couldn't" read as "can't".
A name matches an entry when its key equals the key of the entry's id, label/name or a synonym.
Failing that, the same words in another order match ("pain chest", "pain in the chest") as long
as only one entry owns that set of words, so word order never makes a match ambiguous.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

Key = tuple[str, ...]

_APOSTROPHES = re.compile(r"['\u2019\u2018`]")
_NON_WORD = re.compile(r"[^a-z0-9]+")
# Words that carry no meaning for matching when the words are compared as a set. Negations
# ("no", "not", "without") are deliberately absent: "no fever" must never match "fever".
FILLER_WORDS = frozenset({"a", "an", "the", "my", "of", "in", "on", "at", "to"})
_KEEP_FINAL_S = ("ss", "us", "is")
_STATEMENT_CACHE_SIZE = 4096
# Leading words that deny a finding, longest first ("no history of" before "no").
NEGATION_CUES: tuple[tuple[str, ...], ...] = tuple(
    tuple(cue.split())
    for cue in (
        "no history of",
        "no signs of",
        "no evidence of",
        "negative for",
        "absence of",
        "denies any",
        "denies",
        "denied",
        "without",
        "not",
        "no",
    )
)
# Plurals in "es" after a sibilant ("rash"/"rashes", "virus"/"viruses"): the singular's own final
# "e" ("ache", "size") is dropped too, so both forms meet at one stem without touching "hive".
_SIBILANT_E = ("sse", "she", "che", "xe", "ze", "use")
# Verb endings a note uses where the vocabulary has another form of the same verb ("face drooped",
# "face drooping"; "vomited", "vomiting"): each is dropped from words long enough to keep a stem
# of four letters, so "drooped" and "drooping" meet at "droop". "-eed" words ("bleed", "exceed")
# are whole words, not "-ed" forms.
_VERB_ENDINGS = ("ing", "ed")
_MIN_VERB_STEM = 4
# Contracted and written-out forms of "cannot" that notes use interchangeably.
_SAME_WORD = {"cannot": "cant", "couldnt": "cant"}


def stem(word: str) -> str:
    """The form a word shares with its plural (``s``/``es``/``ies``) and its other verb forms
    (``ed``/``ing``): not a word, a key."""
    word = _SAME_WORD.get(word, word)
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(_KEEP_FINAL_S):
        word = word[:-1]
    if len(word) > 3 and word.endswith(_SIBILANT_E):
        word = word[:-1]
    return _verb_stem(word)


def _verb_stem(word: str) -> str:
    if word.endswith("eed"):
        return word
    for ending in _VERB_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_VERB_STEM:
            return word[: -len(ending)]
    return word


def words(name: str) -> list[str]:
    """The lower-case ASCII words of ``name``, apostrophes removed, punctuation as breaks."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    folded = _APOSTROPHES.sub("", folded.lower())
    return [word for word in _NON_WORD.split(folded) if word]


def normalise(name: str) -> Key:
    """The matching key of ``name``: its stemmed words in order."""
    return tuple(stem(word) for word in words(name))


def unordered(key: Key) -> Key:
    """The word-order-free key: the meaningful stems, sorted (repeats kept)."""
    return tuple(sorted(word for word in key if word not in FILLER_WORDS))


def id_as_name(entry_id: str) -> str:
    return entry_id.replace("_", " ")


class NameClashError(ValueError):
    """Two entries claim the same name; ``owner`` is the id already holding it."""

    def __init__(self, name: str, owner: str) -> None:
        self.name = name
        self.owner = owner
        super().__init__(f"{name!r} already names {owner!r}")


@dataclass
class NameIndex:
    """Names of one kind of entry (findings, drugs, ...) to their ids."""

    kind: str
    _exact: dict[Key, str] = field(default_factory=dict)
    _unordered: dict[Key, str | None] = field(default_factory=dict)
    _display: dict[Key, str] = field(default_factory=dict)

    def add(self, name: str, entry_id: str) -> None:
        """Register ``name`` for ``entry_id``; raises :class:`NameClashError` on a clash."""
        key = normalise(name)
        if not key:
            raise ValueError(f"{name!r} has no letters or digits to match on")
        owner = self._exact.get(key)
        if owner is not None and owner != entry_id:
            raise NameClashError(name, owner)
        self._exact[key] = entry_id
        self._display.setdefault(key, name)
        bag = unordered(key)
        if not bag:
            return
        previous = self._unordered.get(bag, entry_id)
        self._unordered[bag] = entry_id if previous == entry_id else None

    def add_all(self, names: Iterable[str], entry_id: str) -> None:
        for name in names:
            self.add(name, entry_id)

    def match(self, name: str) -> str | None:
        """The id ``name`` denotes, or None when it names nothing (or is ambiguous)."""
        return self.match_key(normalise(name))

    def match_key(self, key: Key) -> str | None:
        """The id an already normalised name denotes (exact words, else the same words)."""
        if not key:
            return None
        exact = self._exact.get(key)
        if exact is not None:
            return exact
        return self._unordered.get(unordered(key))

    @property
    def longest(self) -> int:
        """The most words any name has (how far a scan of free text must look ahead)."""
        return max((len(key) for key in self._exact), default=0)

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """Known names closest in spelling to ``name`` (for "did you mean" messages)."""
        target = " ".join(normalise(name))
        candidates = {" ".join(key): key for key in self._exact}
        close = difflib.get_close_matches(target, sorted(candidates), n=limit, cutoff=0.6)
        return [self._display[candidates[item]] for item in close]

    def __len__(self) -> int:
        return len(self._exact)


@dataclass(frozen=True)
class AllergyMatch:
    """What a named allergy excludes: a whole group, or one drug and the groups it belongs to."""

    groups: tuple[str, ...]
    drug: str | None = None


@dataclass
class Vocabulary:
    """Every name the engine understands, by kind. Built by the knowledge-base loader."""

    findings: NameIndex = field(default_factory=lambda: NameIndex("findings"))
    drugs: NameIndex = field(default_factory=lambda: NameIndex("drugs"))
    allergy_groups: NameIndex = field(default_factory=lambda: NameIndex("allergy_groups"))
    conditions: NameIndex = field(default_factory=lambda: NameIndex("conditions"))
    icd10: dict[str, str] = field(default_factory=dict)
    drug_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _statements: dict[str, tuple[str, bool] | None] = field(default_factory=dict, repr=False)

    def match_finding(self, name: str) -> str | None:
        """The finding id for a symptom, sign, vital/lab finding or history name."""
        return self.findings.match(name)

    def match_statement(self, name: str) -> tuple[str, bool] | None:
        """A finding named as present ("fever") or negated ("no fever", "denies chest pain").

        The whole name is tried first, so a synonym that starts with a negation word ("no bowel
        movement") keeps its own meaning. Answers are remembered: the same few hundred names
        arrive again and again.
        """
        if name in self._statements:
            return self._statements[name]
        if len(self._statements) >= _STATEMENT_CACHE_SIZE:
            self._statements.clear()
        answer = self._statements[name] = self._match_statement(name)
        return answer

    def _match_statement(self, name: str) -> tuple[str, bool] | None:
        finding = self.findings.match(name)
        if finding is not None:
            return finding, True
        lowered = words(name)
        for cue in NEGATION_CUES:
            if tuple(lowered[: len(cue)]) == cue and len(lowered) > len(cue):
                finding = self.findings.match(" ".join(lowered[len(cue) :]))
                if finding is not None:
                    return finding, False
        return None

    def match_drug(self, name: str) -> str | None:
        """The drug id for a drug name or synonym (brand, spelling variant)."""
        return self.drugs.match(name)

    def match_allergy_group(self, name: str) -> str | None:
        """The allergy group id for a group name or synonym ("penicillin allergy", "pcn")."""
        return self.allergy_groups.match(name)

    def match_allergy(self, name: str) -> AllergyMatch | None:
        """A named allergy: a group, else a drug (which excludes it and flags its groups)."""
        group = self.allergy_groups.match(name)
        if group is not None:
            return AllergyMatch(groups=(group,))
        drug = self.drugs.match(name)
        if drug is not None:
            return AllergyMatch(groups=self.drug_groups.get(drug, ()), drug=drug)
        return None

    def match_condition(self, name: str) -> str | None:
        """The condition id for a condition name, id or ICD-10 code ("J18.9", "j189")."""
        code = icd10_key(re.sub(r"\s", "", name))
        if code in self.icd10:
            return self.icd10[code]
        return self.conditions.match(name)


def icd10_key(code: str) -> str:
    return code.replace(".", "").upper()
