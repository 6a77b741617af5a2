"""What the prescription engine derives from a knowledge base once, whatever the request: the
drug and allergy-group names to find inside longer text, and the history findings drugs and ages
imply."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from clinical.engine.knowledge.loader import KnowledgeBase
from clinical.engine.knowledge.schema import Derived
from clinical.engine.knowledge.vocabulary import Key, id_as_name, normalise


@dataclass(frozen=True)
class Catalogue:
    """What the engine derives from a knowledge base once, whatever the request."""

    drug_names: dict[Key, str]
    group_names: dict[Key, str]
    longest_name: int
    drug_findings: dict[str, tuple[str, ...]]
    age_findings: dict[str, Derived]
    group_label: dict[str, str]
    group_cited: dict[str, str]


@functools.lru_cache(maxsize=8)
def catalogue(knowledge_base: KnowledgeBase) -> Catalogue:
    """Name keys for finding drug and group names inside longer text, and finding links."""
    drug_names: dict[Key, str] = {}
    for drug in knowledge_base.drugs.values():
        for name in (id_as_name(drug.id), drug.name, *drug.synonyms):
            drug_names.setdefault(normalise(name), drug.id)
    group_names: dict[Key, str] = {}
    for group in knowledge_base.allergy_groups.values():
        for name in (id_as_name(group.id), group.name, *group.synonyms):
            group_names.setdefault(normalise(name), group.id)
    vocabulary = knowledge_base.vocabulary
    drug_findings = {
        drug.id: unique(
            finding
            for name in (id_as_name(drug.id), drug.name, *drug.synonyms)
            if (finding := vocabulary.match_finding(name)) is not None
            and knowledge_base.findings[finding].category == "history"
        )
        for drug in knowledge_base.drugs.values()
    }
    age_findings = {
        finding.id: derived
        for finding in knowledge_base.findings.values()
        if (derived := finding.derived) is not None and derived.input == "age"
    }
    return Catalogue(
        drug_names=drug_names,
        group_names=group_names,
        longest_name=max((len(key) for key in (*drug_names, *group_names)), default=0),
        drug_findings=drug_findings,
        age_findings=age_findings,
        group_label={group.id: group.name for group in knowledge_base.allergy_groups.values()},
        group_cited={
            group.id: f" [{group.sources[0]}]" if group.sources else ""
            for group in knowledge_base.allergy_groups.values()
        },
    )


def unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def names_within(text: str, names: Mapping[Key, str], longest: int) -> tuple[str, ...]:
    """Ids whose names occur as whole words inside ``text``, longest match first, left to right.

    This is how "simvastatin 40 mg at night" still meets simvastatin's interactions, and how
    "penicillin (rash)" is still a penicillin allergy: a name that does not match as a whole is
    reported back, and whatever known name it contains is checked all the same.
    """
    key = normalise(text)
    found: list[str] = []
    start = 0
    while start < len(key):
        for length in range(min(longest, len(key) - start), 0, -1):
            entry = names.get(key[start : start + length])
            if entry is not None:
                found.append(entry)
                start += length
                break
        else:
            start += 1
    return unique(found)
