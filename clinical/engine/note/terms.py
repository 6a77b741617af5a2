"""The knowledge base's names as a note scanner sees them: findings, conditions and drugs, with
typos forgiven.

Matching is the vocabulary's own (:class:`clinical.engine.knowledge.vocabulary.NameIndex`): the same
stems, synonyms and word-order rule. A run of words can only name an entry if each of its words
occurs in some name, so the scan tries only runs of known words. A word no name contains is compared
with the names' words by optimal string alignment distance (rapidfuzz), which counts a swap of two
letters as one edit ("haedache"); it is read as the closest known word when that is one edit away
(two for words of eight letters or more), starts with the same letter, and is the only word that
close. A corrected word counts only inside a name that matches, so a typo never invents a finding on
its own."""

from __future__ import annotations

import functools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA

from clinical.engine.knowledge.loader import KnowledgeBase
from clinical.engine.knowledge.vocabulary import (
    FILLER_WORDS,
    Key,
    NameIndex,
    id_as_name,
    normalise,
    stem,
    unordered,
    words,
)

TermKind = Literal["finding", "condition", "drug"]
# Words shorter than this are corrected only for two swapped letters ("pian"): too many short
# words are one other edit apart ("rush", "rash"); shorter still, never.
MIN_FUZZY_LENGTH = 5
MIN_SWAP_LENGTH = 4
# A condition is named by its last word alone only when that word is at least this long.
MIN_HEAD_LENGTH = 6
# From this length two edits are forgiven, below it one.
TWO_EDIT_LENGTH = 8
_CORRECTION_CACHE_SIZE = 8192


@dataclass(frozen=True)
class Term:
    """A name found in the note: its kind, the entry it names, and the keys it spans."""

    kind: TermKind
    entry: str
    first: int
    length: int
    fuzzy: bool


def _names(entries: Iterable[tuple[str, str, Sequence[str]]]) -> Iterable[str]:
    for entry_id, main, synonyms in entries:
        yield id_as_name(entry_id)
        yield main
        yield from synonyms


@dataclass
class Lexicon:
    """Name indexes by kind, the words they are made of, and typo correction."""

    indexes: dict[TermKind, NameIndex]
    exact: dict[TermKind, dict[Key, str]]
    bags: dict[TermKind, dict[Key, str | None]]
    longest: dict[TermKind, int]
    most_repeats: int
    heads: dict[Key, str]
    sudden: dict[str, str]
    known: frozenset[str]
    words_of: dict[TermKind, frozenset[str]]
    protected: frozenset[str]
    _by_initial: dict[str, list[str]]
    _corrections: dict[str, str | None]

    @classmethod
    def of(cls, kb: KnowledgeBase, protected: Iterable[str] = ()) -> Lexicon:
        vocabulary = kb.vocabulary
        names_of: dict[TermKind, list[str]] = {
            "finding": list(_names((f.id, f.label, f.synonyms) for f in kb.findings.values())),
            "condition": list(_names((c.id, c.name, c.synonyms) for c in kb.conditions.values())),
            "drug": list(_names((d.id, d.name, d.synonyms) for d in kb.drugs.values())),
        }
        words_of = {
            kind: frozenset(word for name in names for word in normalise(name))
            for kind, names in names_of.items()
        }
        names = [name for kind_names in names_of.values() for name in kind_names]
        known = frozenset().union(*words_of.values())
        spelt = sorted({word for name in names for word in words(name)})
        heads = _condition_heads(kb, words_of["finding"])
        sudden = _sudden_variants(kb)
        by_initial = words_by_initial(spelt)
        indexes: dict[TermKind, NameIndex] = {
            "finding": vocabulary.findings,
            "condition": vocabulary.conditions,
            "drug": vocabulary.drugs,
        }
        longest = {kind: index.longest for kind, index in indexes.items()}
        exact, bags = _keyed(kb)
        most_repeats = max(
            max(Counter(key).values()) for kind in exact.values() for key in kind if key
        )
        return cls(
            indexes,
            exact,
            bags,
            longest,
            most_repeats,
            heads,
            sudden,
            known,
            words_of,
            frozenset(protected),
            by_initial,
            {},
        )

    def correct(self, key: str, written: str) -> str | None:
        """The key of the known word that ``written`` (whose key is ``key``) is a typo of."""
        if key in self.known or key in self.protected or len(written) < MIN_SWAP_LENGTH:
            return None
        if written in self._corrections:
            return self._corrections[written]
        if len(self._corrections) >= _CORRECTION_CACHE_SIZE:
            self._corrections.clear()
        closest = self._closest(written)
        answer = self._corrections[written] = None if closest is None else stem(closest)
        return answer

    def _closest(self, written: str) -> str | None:
        return closest_word(written, self._by_initial)

    def may_name(self, keys: Sequence[str], kinds: Sequence[TermKind]) -> bool:
        """Whether any of ``keys`` occurs in a name of one of ``kinds`` (else skip the scan)."""
        return any(not self.words_of[kind].isdisjoint(keys) for kind in kinds)

    def run(self, keys: Sequence[str], start: int, longest: int) -> list[int]:
        """Positions of the known words from ``start`` that could belong to one name; a comma
        between them is passed over ("red, hot and swollen"), and no name repeats a word more
        often than the names do ("1 1 1 1 ..." stops at once)."""
        positions: list[int] = []
        seen: dict[str, int] = {}
        index = start
        while index < len(keys) and len(positions) < longest:
            key = keys[index]
            if key == ",":
                index += 1
                continue
            seen[key] = seen.get(key, 0) + 1
            if key not in self.known or seen[key] > self.most_repeats:
                break
            positions.append(index)
            index += 1
        return positions

    def match(
        self, keys: Sequence[str], start: int, kinds: Sequence[TermKind], longest: int
    ) -> tuple[TermKind, str, int] | None:
        """The longest name starting at ``start`` among ``kinds`` (earlier kinds win a tie), as
        (kind, entry, number of keys spanned)."""
        if keys[start] in FILLER_WORDS or keys[start] == ",":
            return None
        positions = self.run(keys, start, longest)
        for count in range(len(positions), 0, -1):
            last = positions[count - 1]
            if keys[last] in FILLER_WORDS:
                continue
            key = tuple(keys[position] for position in positions[:count])
            found = self._entry(key, kinds)
            if found is not None:
                return found[0], found[1], last - start + 1
        return None

    def _entry(self, key: Key, kinds: Sequence[TermKind]) -> tuple[TermKind, str] | None:
        """What ``key`` names, as :meth:`NameIndex.match_key` would answer kind by kind (exact
        words, else the same words in any order), the word-order key computed once."""
        bag: Key | None = None
        for kind in kinds:
            entry = self.exact[kind].get(key)
            if entry is None:
                bag = unordered(key) if bag is None else bag
                entry = self.bags[kind].get(bag)
            if entry is None and kind == "condition":
                entry = self.heads.get(key)
            if entry is not None:
                return kind, entry
        return None


def _keyed(
    kb: KnowledgeBase,
) -> tuple[dict[TermKind, dict[Key, str]], dict[TermKind, dict[Key, str | None]]]:
    """Each kind's names by exact key and by word-order key (None where two entries share the
    words), as the vocabulary indexes them, for look-ups that compute the word-order key once."""
    entries: dict[TermKind, list[tuple[str, str, Sequence[str]]]] = {
        "finding": [(f.id, f.label, f.synonyms) for f in kb.findings.values()],
        "condition": [(c.id, c.name, c.synonyms) for c in kb.conditions.values()],
        "drug": [(d.id, d.name, d.synonyms) for d in kb.drugs.values()],
    }
    exact: dict[TermKind, dict[Key, str]] = {}
    bags: dict[TermKind, dict[Key, str | None]] = {}
    for kind, listed in entries.items():
        exact[kind], bags[kind] = {}, {}
        for entry_id, main, synonyms in listed:
            for name in (id_as_name(entry_id), main, *synonyms):
                key = normalise(name)
                exact[kind].setdefault(key, entry_id)
                bag = unordered(key)
                if bag:
                    owner = bags[kind].get(bag, entry_id)
                    bags[kind][bag] = entry_id if owner == entry_id else None
    return exact, bags


# Last words of condition names that are everyday words ("emergency department").
_ORDINARY_HEADS = frozenset(normalise("emergency accident toxicity appendix"))
_PARENTHESIS = re.compile(r"\([^)]*\)")


def _condition_heads(kb: KnowledgeBase, finding_words: frozenset[str]) -> dict[Key, str]:
    """The last word of condition names that only one condition ends with and that no finding
    name uses ("pneumonia" for "Community-acquired pneumonia", so "?pneumonia" is read)."""
    owners: dict[str, set[str]] = defaultdict(set)
    for condition in kb.conditions.values():
        for name in (condition.name, *condition.synonyms):
            key = normalise(_PARENTHESIS.sub(" ", name))
            if len(key) > 1:
                owners[key[-1]].add(condition.id)
    return {
        (word,): next(iter(ids))
        for word, ids in owners.items()
        if len(ids) == 1
        and word not in finding_words
        and len(word) >= MIN_HEAD_LENGTH
        and word.isalpha()
    }


_SUDDEN_WORDS = frozenset(normalise("sudden suddenly onset of"))


def _sudden_variants(kb: KnowledgeBase) -> dict[str, str]:
    """Findings that a sudden onset turns into another finding: "sudden breathlessness" names
    "Sudden onset of breathlessness", so shortness of breath said to start suddenly is that too."""
    variants: dict[str, str] = {}
    findings = kb.vocabulary.findings
    for finding in sorted(kb.findings.values(), key=lambda f: f.id):
        for name in (finding.label, *finding.synonyms):
            key = normalise(name)
            if not key or key[0] != "sudden":
                continue
            rest = key[1:]
            while rest and rest[0] in _SUDDEN_WORDS:
                rest = rest[1:]
            plain = findings.match_key(rest)
            if plain is not None and plain != finding.id:
                variants.setdefault(plain, finding.id)
    return variants


def words_by_initial(spelt: Iterable[str]) -> dict[str, list[str]]:
    """Known words long enough to correct towards, by their first letter."""
    by_initial: dict[str, list[str]] = defaultdict(list)
    for word in spelt:
        if len(word) >= MIN_SWAP_LENGTH and word.isalpha():
            by_initial[word[0]].append(word)
    return dict(by_initial)


def closest_word(written: str, by_initial: dict[str, list[str]]) -> str | None:
    """The known word ``written`` is a typo of (see the module docstring), or None."""
    if not written.isalpha():
        return None
    choices = by_initial.get(written[0], [])
    limit = 2 if len(written) >= TWO_EDIT_LENGTH else 1
    close = process.extract(written, choices, scorer=OSA.distance, score_cutoff=limit, limit=2)
    if not close or (len(close) > 1 and close[1][1] == close[0][1]):
        return None
    word = close[0][0]
    if len(written) < MIN_FUZZY_LENGTH and sorted(word) != sorted(written):
        return None
    return word


@functools.cache
def lexicon_for(kb: KnowledgeBase, protected: frozenset[str]) -> Lexicon:
    """One lexicon per knowledge base (built once, on the first note)."""
    return Lexicon.of(kb, protected)
