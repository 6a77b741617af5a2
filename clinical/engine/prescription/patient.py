"""What a prescription request says about the patient, read once: the allergies and current
medications as the knowledge base names them, the allergy groups and the cross-reactions they
bring, and the history the request shows (the diagnosis, pregnancy, age, what the medicines
imply). Everything per knowledge base that does not depend on the request is derived once
(:class:`Catalogue`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from clinical.engine.contract.requests import PatientInfo, PrescriptionRequest
from clinical.engine.knowledge.loader import KnowledgeBase
from clinical.engine.knowledge.schema import Condition, CrossReactivity, Figure
from clinical.engine.prescription.allergies import NamedAllergy, read_allergies
from clinical.engine.prescription.catalogue import Catalogue, catalogue, names_within
from clinical.engine.prescription.dosing import age_text
from clinical.engine.prescription.pregnancy import Span, gestation_span

__all__ = ["Catalogue", "CurrentMedication", "NamedAllergy", "PatientFacts", "catalogue"]

# ---------------------------------------------------------------- the request's entries


@dataclass(frozen=True)
class CurrentMedication:
    """One current medication as written, and the drug ids it names (none, one, or several)."""

    text: str
    drugs: tuple[str, ...]
    exact: bool


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
    # Each allergy group the patient is allergic to, with the most concerning allergy flagging
    # it; groups flagged only by an intolerance (which keeps the drug) are in ``tolerated``.
    allergic_groups: dict[str, NamedAllergy]
    tolerated: dict[str, NamedAllergy]
    # Drug id -> the allergy naming it; drug id -> the current medication naming it.
    named_drugs: dict[str, NamedAllergy]
    # Allergies the knowledge base could not read and that are not known non-medicines.
    unreadable: list[NamedAllergy]
    current: dict[str, CurrentMedication]
    # Target group -> (the patient's group, the cross-reactivity rule) for every rule.
    cross: dict[str, list[tuple[str, CrossReactivity]]]
    # History ids the request shows, each with how it shows it (for the exclusion reason).
    history: dict[str, str]
    # From this age a woman may be pregnant, until the second (the knowledge base's prescribing
    # policy); past the third she is taken not to be breastfeeding unless the request says so.
    pregnancy_possible_from_years: float
    pregnancy_possible_until_years: float
    breastfeeding_plausible_until_years: float
    # The weeks of gestation the request states (a trimester is a range), if any.
    gestation: Span | None

    @classmethod
    def of(
        cls, request: PrescriptionRequest, condition: Condition, kb: KnowledgeBase
    ) -> PatientFacts:
        cat = catalogue(kb)
        policy = kb.policy.prescribing
        allergies = read_allergies(request.allergies, kb, cat)
        medications = read_medications(request.current_medications, kb, cat)
        leading = sorted(allergies, key=lambda allergy: allergy.concern)
        groups: dict[str, NamedAllergy] = {}
        for allergy in leading:
            for group in allergy.groups:
                groups.setdefault(group, allergy)
        allergic = {g: a for g, a in groups.items() if not a.keeps_the_drug}
        return cls(
            patient=request.patient_info,
            condition=condition,
            allergies=allergies,
            medications=medications,
            allergic_groups=allergic,
            tolerated={g: a for g, a in groups.items() if a.keeps_the_drug},
            named_drugs=first_naming((a.drugs, a) for a in leading),
            unreadable=[a for a in allergies if not a.recognised and not a.not_a_medicine],
            current=first_naming((m.drugs, m) for m in medications),
            cross=_cross_reactions(allergic, kb),
            history=_history_present(request.patient_info, condition, medications, kb, cat),
            pregnancy_possible_from_years=policy.pregnancy_possible_from_years.value,
            pregnancy_possible_until_years=_figure(policy.pregnancy_possible_until_years),
            breastfeeding_plausible_until_years=_figure(policy.breastfeeding_plausible_until_years),
            gestation=gestation_span(request.patient_info, kb.policy.prescribing),
        )

    def pregnancy_unknown(self) -> bool:
        """Whether to ask about pregnancy: not stated, and a woman of an age to be pregnant."""
        return (
            self.patient.is_pregnant is None
            and self.patient.sex == "female"
            and self.pregnancy_possible_from_years
            <= self.patient.age
            < self.pregnancy_possible_until_years
        )

    def breastfeeding_plausible(self) -> bool:
        """Whether to ask about breastfeeding: not denied, and a woman of an age to be."""
        if self.patient.breastfeeding is not None:
            return self.patient.breastfeeding
        return (
            self.pregnancy_possible_from_years
            <= self.patient.age
            < self.breastfeeding_plausible_until_years
        )


def _cross_reactions(
    groups: Mapping[str, NamedAllergy], kb: KnowledgeBase
) -> dict[str, list[tuple[str, CrossReactivity]]]:
    """Target group -> (the patient's group, the rule) for every rule that applies after the
    patient's type of reaction (an action of "none" does not)."""
    cross: dict[str, list[tuple[str, CrossReactivity]]] = {}
    for group, allergy in groups.items():
        for rule in kb.cross_reactions(group):
            if rule.group not in groups and rule.action_after(allergy.kind) != "none":
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
    if patient.is_pregnant:
        present["pregnant"] = "the patient is pregnant"
    if patient.breastfeeding:
        present["breastfeeding"] = "the patient is breastfeeding"
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


def _figure(figure: Figure | None) -> float:
    """A policy age bound; none given is no bound."""
    return figure.value if figure is not None else float("inf")
