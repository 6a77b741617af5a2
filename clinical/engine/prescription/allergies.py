"""What each allergy of a prescription request says: the substance, matched to the knowledge
base's allergy groups and drugs (typos forgiven as the note reader forgives them), and the type of
reaction, read from the structured entry or from the words beside the substance ("penicillin
anaphylaxis", "Augmentin (rash)", "amoxicillin - diarrhoea"). The type (policy
``allergy_reactions``: immediate, severe, non-immediate, intolerance; unknown when not stated)
decides which cross-reactivity rules apply and whether the drug itself stays (an intolerance is
not an allergy). An allergy that names nothing the knowledge base knows, and no substance known
not to be a medicine, may be to any drug: the drugs are held back (see :mod:`.safety`)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from clinical.engine.contract.requests import AllergyEntry
from clinical.engine.knowledge.loader import KnowledgeBase
from clinical.engine.knowledge.schema import AllergyReaction
from clinical.engine.knowledge.vocabulary import id_as_name, normalise, words
from clinical.engine.note.terms import closest_word, words_by_initial
from clinical.engine.prescription.catalogue import Catalogue, names_within, unique

UNKNOWN = "unknown"
_UNKNOWN_LABEL = "reaction not stated or not recognised: treated as possibly immediate"
# From the most to the least cause for concern: the allergy that leads for a group.
_CONCERN = ("severe", "immediate", UNKNOWN, "non_immediate", "intolerance")

_ALLERGIC_TO = re.compile(r"^\s*allergic\s+to\s+", re.I)
# Words that already say the text is a reaction ("aspirin sensitivity"): "allergy" is not added.
_REACTION_WORDS = frozenset(
    {"allergy", "allergies", "allergic", "sensitivity", "hypersensitivity", "intolerance"}
)
_REACTION_SUFFIX = re.compile(rf"\s+({'|'.join(sorted(_REACTION_WORDS))})\s*$", re.I)
# Where the substance ends and its reaction begins: " - ", "(", ":", ";" or ",".
_SEPARATOR = re.compile(r"\s+[-\u2013]\s+|[(:;,]")


@dataclass(frozen=True)
class NamedAllergy:
    """One allergy as written, what the knowledge base reads it as, and its reaction type."""

    text: str
    groups: tuple[str, ...]
    drugs: tuple[str, ...]
    exact: bool
    reaction: str | None = None
    kind: str = UNKNOWN
    kind_label: str = _UNKNOWN_LABEL
    keeps_the_drug: bool = False
    corrected: str | None = None
    not_a_medicine: bool = False

    @property
    def recognised(self) -> bool:
        return bool(self.groups or self.drugs)

    @property
    def concern(self) -> int:
        """Lower is more concerning (a severe reaction leads)."""
        return _CONCERN.index(self.kind)

    @property
    def described(self) -> str:
        """How a reason names it: "penicillin allergy" for "penicillin" or "allergic to
        penicillin"; "aspirin sensitivity" stays as written."""
        text = _ALLERGIC_TO.sub("", self.text).strip() or self.text
        return text if _REACTION_WORDS.intersection(words(text)) else f"{text} allergy"


@dataclass(frozen=True)
class _Reactions:
    """The policy's reaction types with each phrase's words, and words to correct towards."""

    types: tuple[tuple[AllergyReaction, tuple[frozenset[str], ...]], ...]
    vocabulary: frozenset[str]
    by_initial: dict[str, list[str]]
    not_medicines: frozenset[tuple[str, ...]]


@functools.lru_cache(maxsize=8)
def _reactions(kb: KnowledgeBase) -> _Reactions:
    policy = kb.policy.prescribing
    types = tuple(
        (reaction, tuple(frozenset(normalise(phrase)) for phrase in reaction.phrases))
        for reaction in policy.allergy_reactions
    )
    spelt = {
        word for name in _allergen_names(kb) for word in words(name) if word not in _REACTION_WORDS
    }
    return _Reactions(
        types=types,
        vocabulary=frozenset(word for _, phrases in types for phrase in phrases for word in phrase),
        by_initial=words_by_initial(sorted(spelt)),
        not_medicines=frozenset(
            normalise(name) for name in (policy.not_medicines.names if policy.not_medicines else ())
        ),
    )


def _allergen_names(kb: KnowledgeBase) -> Iterable[str]:
    for group in kb.allergy_groups.values():
        yield from (id_as_name(group.id), group.name, *group.synonyms)
    for drug in kb.drugs.values():
        yield from (id_as_name(drug.id), drug.name, *drug.synonyms)


def read_allergies(
    items: Iterable[str | AllergyEntry], kb: KnowledgeBase, cat: Catalogue
) -> list[NamedAllergy]:
    return [read_allergy(item, kb, cat) for item in items]


def read_allergy(item: str | AllergyEntry, kb: KnowledgeBase, cat: Catalogue) -> NamedAllergy:
    """One allergy, text or structured, read for its substance and its reaction type."""
    reactions = _reactions(kb)
    if isinstance(item, AllergyEntry):
        text, substance, reaction = item.as_text(), item.substance, item.reaction
    else:
        text = item
        substance, reaction = _split(item, reactions.vocabulary)
    kind = _kind_of(reaction, reactions)
    matched = _match(substance, kb, cat)
    corrected = None
    if matched is None:
        corrected = _corrected(substance, reactions)
        matched = _match(corrected, kb, cat) if corrected else None
        matched = (matched[0], matched[1], False) if matched else None
    groups, drugs, exact = matched or ((), (), False)
    return NamedAllergy(
        text=text,
        groups=groups,
        drugs=drugs,
        exact=exact and (reaction is None or kind is not None),
        reaction=reaction,
        kind=kind.id if kind else UNKNOWN,
        kind_label=kind.label if kind else _UNKNOWN_LABEL,
        keeps_the_drug=bool(kind and kind.keeps_the_drug),
        corrected=corrected if matched else None,
        not_a_medicine=not matched and normalise(_allergen(substance)) in reactions.not_medicines,
    )


def _split(text: str, reaction_words: frozenset[str]) -> tuple[str, str | None]:
    """ "penicillin - anaphylaxis" -> ("penicillin", "anaphylaxis"); "penicillin anaphylaxis"
    likewise, by the reaction words it ends with; "penicillin" -> ("penicillin", None)."""
    separator = _SEPARATOR.search(text)
    if separator is not None and separator.start() > 0:
        reaction = text[separator.end() :].replace(")", " ").strip(" -,;:")
        return text[: separator.start()].strip(), reaction or None
    written = text.split()
    cut = len(written)
    while cut > 1 and set(normalise(written[cut - 1])) <= reaction_words:
        cut -= 1
    if cut == len(written):
        return text, None
    return " ".join(written[:cut]), " ".join(written[cut:])


def _kind_of(reaction: str | None, reactions: _Reactions) -> AllergyReaction | None:
    """The first reaction type one of whose phrases the reaction holds; None if none does."""
    if not reaction:
        return None
    held = set(normalise(reaction))
    for reaction_type, phrases in reactions.types:
        if any(phrase <= held for phrase in phrases):
            return reaction_type
    return None


def _match(
    substance: str, kb: KnowledgeBase, cat: Catalogue
) -> tuple[tuple[str, ...], tuple[str, ...], bool] | None:
    """(groups, drugs, exact) for a substance; None when it names nothing known."""
    vocabulary = kb.vocabulary
    match = vocabulary.match_allergy(substance) or vocabulary.match_allergy(_allergen(substance))
    if match is not None:
        return match.groups, ((match.drug,) if match.drug else ()), True
    groups = names_within(substance, cat.group_names, cat.longest_name)
    drugs = names_within(substance, cat.drug_names, cat.longest_name)
    if not (groups or drugs):
        return None
    flagged = unique([*groups, *(g for d in drugs for g in kb.drugs[d].allergy_groups)])
    return flagged, drugs, False


def _corrected(substance: str, reactions: _Reactions) -> str | None:
    """The substance with each misspelt word put right ("penicilin" -> "penicillin"), or None
    when no word needed it."""
    written = words(substance)
    fixed = [closest_word(word, reactions.by_initial) or word for word in written]
    return " ".join(fixed) if fixed != written else None


def _allergen(text: str) -> str:
    """What an allergy names, without "allergic to" or a trailing "allergy" ("codeine")."""
    return _REACTION_SUFFIX.sub("", _ALLERGIC_TO.sub("", text)).strip() or text
