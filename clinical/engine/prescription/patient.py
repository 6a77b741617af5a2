"""What a prescription request says about the patient, read once: the allergies and current
medications as the knowledge base names them, the allergy groups and the cross-reactions they
bring, and the history the request shows (the diagnosis, pregnancy, age, what the medicines
imply). Everything per knowledge base that does not depend on the request is derived once
(:class:`Catalogue`)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from clinical.engine.contract.requests import PatientInfo, PrescriptionRequest
from clinical.engine.knowledge.loader import KnowledgeBase
from clinical.engine.knowledge.schema import Condition, CrossReactivity, Derived
from clinical.engine.knowledge.vocabulary import Key, id_as_name, normalise, words
from clinical.engine.prescription.dosing import age_text

_ALLERGIC_TO = re.compile(r"^\s*allergic\s+to\s+", re.I)
# Words that already say the text is a reaction ("aspirin sensitivity"): "allergy" is not added.
_REACTION_WORDS = frozenset(
    {"allergy", "allergies", "allergic", "sensitivity", "hypersensitivity", "intolerance"}
)
_REACTION_SUFFIX = re.compile(rf"\s+({'|'.join(sorted(_REACTION_WORDS))})\s*$", re.I)


# ---------------------------------------------------------------- per knowledge base


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


# ---------------------------------------------------------------- the request's entries


@dataclass(frozen=True)
class NamedAllergy:
    """One allergy as written, and what the knowledge base reads it as."""

    text: str
    groups: tuple[str, ...]
    drugs: tuple[str, ...]
    exact: bool

    @property
    def described(self) -> str:
        """How a reason names it: "penicillin allergy" for "penicillin" or "allergic to
        penicillin"; "aspirin sensitivity" stays as written."""
        text = _ALLERGIC_TO.sub("", self.text).strip() or self.text
        return text if _REACTION_WORDS.intersection(words(text)) else f"{text} allergy"


@dataclass(frozen=True)
class CurrentMedication:
    """One current medication as written, and the drug ids it names (none, one, or several)."""

    text: str
    drugs: tuple[str, ...]
    exact: bool


def read_allergies(names: Iterable[str], kb: KnowledgeBase, cat: Catalogue) -> list[NamedAllergy]:
    allergies = []
    for text in names:
        match = kb.vocabulary.match_allergy(text) or kb.vocabulary.match_allergy(_allergen(text))
        if match is not None:
            drugs: tuple[str, ...] = (match.drug,) if match.drug else ()
            allergies.append(NamedAllergy(text, match.groups, drugs, exact=True))
            continue
        groups = names_within(text, cat.group_names, cat.longest_name)
        drugs = names_within(text, cat.drug_names, cat.longest_name)
        flagged = unique([*groups, *(g for d in drugs for g in kb.drugs[d].allergy_groups)])
        allergies.append(NamedAllergy(text, flagged, drugs, exact=False))
    return allergies


def _allergen(text: str) -> str:
    """What an allergy names, without "allergic to" or a trailing "allergy" ("codeine")."""
    return _REACTION_SUFFIX.sub("", _ALLERGIC_TO.sub("", text)).strip() or text


def read_medications(
    names: Iterable[str], kb: KnowledgeBase, cat: Catalogue
) -> list[CurrentMedication]:
    medications = []
    for text in names:
        drug = kb.vocabulary.match_drug(text)
        if drug is not None:
            medications.append(CurrentMedication(text, (drug,), exact=True))
        else:
            found = names_within(text, cat.drug_names, cat.longest_name)
            medications.append(CurrentMedication(text, found, exact=False))
    return medications


Entry = TypeVar("Entry")


def first_naming(entries: Iterable[tuple[tuple[str, ...], Entry]]) -> dict[str, Entry]:
    """Drug id -> the first request entry naming it, in request order."""
    named: dict[str, Entry] = {}
    for drug_ids, entry in entries:
        for drug_id in drug_ids:
            named.setdefault(drug_id, entry)
    return named


# ---------------------------------------------------------------- request-wide facts


@dataclass(frozen=True)
class PatientFacts:
    """Everything the per-drug checks need from the request, worked out once."""

    patient: PatientInfo
    condition: Condition
    allergies: list[NamedAllergy]
    medications: list[CurrentMedication]
    # Each allergy group the patient has, with the first allergy that flags it.
    allergic_groups: dict[str, NamedAllergy]
    # Drug id -> the allergy naming it; drug id -> the current medication naming it.
    named_drugs: dict[str, NamedAllergy]
    current: dict[str, CurrentMedication]
    # Target group -> (the patient's group, the cross-reactivity rule) for every rule.
    cross: dict[str, list[tuple[str, CrossReactivity]]]
    # History ids the request shows, each with how it shows it (for the exclusion reason).
    history: dict[str, str]
    # From this age a woman may be pregnant (the knowledge base's prescribing policy).
    pregnancy_possible_from_years: float

    @classmethod
    def of(
        cls, request: PrescriptionRequest, condition: Condition, kb: KnowledgeBase
    ) -> PatientFacts:
        cat = catalogue(kb)
        allergies = read_allergies(request.allergies, kb, cat)
        medications = read_medications(request.current_medications, kb, cat)
        groups: dict[str, NamedAllergy] = {}
        for allergy in allergies:
            for group in allergy.groups:
                groups.setdefault(group, allergy)
        return cls(
            patient=request.patient_info,
            condition=condition,
            allergies=allergies,
            medications=medications,
            allergic_groups=groups,
            named_drugs=first_naming((a.drugs, a) for a in allergies),
            current=first_naming((m.drugs, m) for m in medications),
            cross=_cross_reactions(groups, kb),
            history=_history_present(request.patient_info, condition, medications, kb, cat),
            pregnancy_possible_from_years=kb.policy.prescribing.pregnancy_possible_from_years.value,
        )

    def pregnancy_unknown(self) -> bool:
        return (
            self.patient.pregnant is None
            and self.patient.sex == "female"
            and self.patient.age >= self.pregnancy_possible_from_years
        )


def _cross_reactions(
    groups: Mapping[str, Any], kb: KnowledgeBase
) -> dict[str, list[tuple[str, CrossReactivity]]]:
    cross: dict[str, list[tuple[str, CrossReactivity]]] = {}
    for group in groups:
        for rule in kb.cross_reactions(group):
            if rule.group not in groups:
                cross.setdefault(rule.group, []).append((group, rule))
    return cross


def _history_present(
    patient: PatientInfo,
    condition: Condition,
    medications: list[CurrentMedication],
    kb: KnowledgeBase,
    cat: Catalogue,
) -> dict[str, str]:
    present = {condition.id: f"the diagnosis is {condition.name}"}
    if patient.pregnant:
        present["pregnant"] = "the patient is pregnant"
    for medication in medications:
        finding = kb.vocabulary.match_finding(medication.text)
        ids = [finding] if finding else []
        ids += [f for drug in medication.drugs for f in cat.drug_findings[drug]]
        for finding_id in ids:
            present.setdefault(finding_id, f"current medication {medication.text!r}")
    for finding_id, derived in cat.age_findings.items():
        if derived.holds(patient.age):
            present.setdefault(finding_id, f"age {age_text(patient.age)}")
    return present
