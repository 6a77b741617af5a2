"""The safety checks of one drug for one patient: allergy and cross-reactivity, contraindications,
pregnancy, renal function and interactions with current medications, each reason with the source
it rests on. A check either excludes the drug (a reason), cautions (a warning), or asks the
prescriber to confirm what the request does not say (a check)."""

from __future__ import annotations

from dataclasses import dataclass, field

from clinical.engine.contract import results
from clinical.engine.contract.results import INTERACTION_SEVERITIES
from clinical.engine.knowledge.loader import KnowledgeBase
from clinical.engine.knowledge.schema import Contraindication, CrossReactivity, Drug, Interaction
from clinical.engine.prescription.dosing import age_text, applicable_band, number
from clinical.engine.prescription.patient import NamedAllergy, PatientFacts, catalogue
from clinical.engine.prescription.pregnancy import advice_for, describe_span, stricter_by_gestation

_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(INTERACTION_SEVERITIES)}


@dataclass(frozen=True)
class FoundInteraction:
    """An interaction of a prescribed drug (``first``) with a current medication or another
    drug of the same option (``second``)."""

    first: Drug
    second: Drug
    interaction: Interaction
    within_option: bool = False

    @property
    def avoided(self) -> bool:
        """The source says not to start this drug with the other (within an option, either)."""
        sides = (self.first, self.second) if self.within_option else (self.first,)
        return any(self.interaction.avoids_starting(drug.id, drug.tags) for drug in sides)

    @property
    def key(self) -> tuple[str, str, int]:
        """Identity for de-duplication (interaction models hold lists, so are not hashable)."""
        return (self.first.id, self.second.id, id(self.interaction))

    def as_dict(self) -> results.Interaction:
        return {
            "drugs": [self.first.name, self.second.name],
            "drug_ids": [self.first.id, self.second.id],
            "severity": self.interaction.severity,
            "mechanism": self.interaction.mechanism,
            "advice": self.interaction.advice,
            "source": self.interaction.source,
        }

    @property
    def order(self) -> tuple[int, str, str]:
        """Most severe first, then by the drugs' names."""
        return (_SEVERITY_RANK[self.interaction.severity], self.first.name, self.second.name)


@dataclass
class Assessment:
    """One drug checked against this patient, independent of the regimen option it is in."""

    drug: Drug
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    interactions: list[FoundInteraction] = field(default_factory=list)


class DrugChecks:
    """Every check that depends on the drug alone, done once per drug per request."""

    def __init__(self, kb: KnowledgeBase, facts: PatientFacts) -> None:
        self.kb = kb
        self.cat = catalogue(kb)
        self.facts = facts
        self._assessed: dict[str, Assessment] = {}

    def assess(self, drug_id: str) -> Assessment:
        if drug_id not in self._assessed:
            assessment = Assessment(self.kb.drugs[drug_id])
            self._check_allergy(assessment)
            self._check_contraindications(assessment)
            self._check_pregnancy(assessment)
            self._check_renal(assessment)
            self._check_current_medications(assessment)
            self._assessed[drug_id] = assessment
        return self._assessed[drug_id]

    def _check_allergy(self, a: Assessment) -> None:
        drug = a.drug
        if drug.id in self.facts.named_drugs:
            allergy = self.facts.named_drugs[drug.id]
            if allergy.keeps_the_drug:
                a.warnings.append(f"{drug.name}: {self._intolerance(allergy)}")
            else:
                a.reasons.append(
                    f"{allergy.described} ({drug.name} is named as an allergy; "
                    f"{allergy.kind_label})"
                )
        for group in drug.allergy_groups:
            if group in self.facts.allergic_groups:
                allergy = self.facts.allergic_groups[group]
                if drug.id not in allergy.drugs:
                    a.reasons.append(
                        f"{allergy.described} ({drug.name} belongs to the "
                        f"{self.cat.group_label[group]} allergy group; {allergy.kind_label})"
                        f"{self.cat.group_cited[group]}"
                    )
            elif group in self.facts.tolerated and drug.id not in self.facts.named_drugs:
                a.warnings.append(f"{drug.name}: {self._intolerance(self.facts.tolerated[group])}")
            for source_group, rule in self.facts.cross.get(group, ()):
                self._apply_cross_reactivity(a, source_group, rule)
        for allergy in self.facts.unreadable:
            a.reasons.append(
                f"allergy {allergy.text!r} was not recognised: it may be to {drug.name}, which is "
                "held back until the prescriber says what the allergy is"
            )

    def _intolerance(self, allergy: NamedAllergy) -> str:
        source = self._reaction_source(allergy.kind)
        return (
            f"{allergy.text!r} is recorded: an {allergy.kind_label}; the drug may be given, "
            f"telling the patient it may recur{source}"
        )

    def _reaction_source(self, kind: str) -> str:
        for reaction in self.kb.policy.prescribing.allergy_reactions:
            if reaction.id == kind:
                return f" [{reaction.source}]"
        return ""

    def _apply_cross_reactivity(
        self, a: Assessment, source_group: str, rule: CrossReactivity
    ) -> None:
        allergy = self.facts.allergic_groups[source_group]
        labels = self.cat.group_label
        note = (
            f"{allergy.described} ({allergy.kind_label}): cross-reactivity between "
            f"{labels[source_group]} and {labels[rule.group]} ({a.drug.name}): {rule.text} "
            f"[{rule.source}]"
        )
        if rule.action_after(allergy.kind) == "exclude":
            a.reasons.append(note)
        else:
            a.warnings.append(f"{a.drug.name}: caution, {note}")

    def _check_contraindications(self, a: Assessment) -> None:
        for rule in a.drug.contraindications:
            if not self._applies_to_sex(rule):
                continue
            reason = self._contraindication(rule)
            if reason is not None:
                a.reasons.append(reason)
            elif rule.history is not None and rule.history not in self.cat.age_findings:
                a.checks.append(_labelled(self._history_label(rule.history), rule.text))
            elif rule.pregnant and self.facts.pregnancy_unknown():
                a.checks.append(f"pregnancy not stated: {rule.text}")

    def contraindications_shown(self, drug_id: str, written: str) -> list[str]:
        """For a current medicine (as ``written``): each contraindication the request shows,
        other than pregnancy (screened with its advice) and a history only it implies."""
        shown = []
        for rule in self.kb.drugs[drug_id].contraindications:
            implied = (
                self.facts.history.get(rule.history or "") == f"current medication {written!r}"
            )
            if rule.pregnant or implied or not self._applies_to_sex(rule):
                continue
            reason = self._contraindication(rule)
            if reason is not None:
                shown.append(reason)
        return shown

    def _applies_to_sex(self, rule: Contraindication) -> bool:
        """A rule on a finding only the other sex can have (breastfeeding) is not asked about,
        nor one on breastfeeding the request denies or the age makes implausible."""
        if rule.history == "breastfeeding" and not self.facts.breastfeeding_plausible():
            return False
        finding = self.kb.findings.get(rule.history) if rule.history is not None else None
        return finding is None or finding.applies_to(self.facts.patient.sex)

    def _contraindication(self, rule: Contraindication) -> str | None:
        """The exclusion reason if the request shows the contraindication, else None."""
        if rule.age_from_years is not None and self.facts.patient.age >= rule.age_from_years:
            return (
                f"age {age_text(self.facts.patient.age)} is {number(rule.age_from_years)} years "
                f"or over: {rule.text} [{rule.source}]"
            )
        if rule.age_below_years is not None and self.facts.patient.age < rule.age_below_years:
            return (
                f"age {age_text(self.facts.patient.age)} is below {number(rule.age_below_years)} "
                f"years: {rule.text} [{rule.source}]"
            )
        if rule.pregnant and self.facts.patient.is_pregnant:
            return f"pregnancy: contraindicated: {rule.text} [{rule.source}]"
        if rule.history is not None and rule.history in self.facts.history:
            return (
                f"contraindicated in {self._history_label(rule.history)} "
                f"({self.facts.history[rule.history]}): {rule.text} [{rule.source}]"
            )
        return None

    def _history_label(self, history_id: str) -> str:
        if history_id in self.kb.findings:
            return self.kb.findings[history_id].label.lower()
        return self.kb.conditions[history_id].name

    def _check_pregnancy(self, a: Assessment) -> None:
        patient = self.facts.patient
        advice = advice_for(a.drug, self.facts.gestation)
        if patient.is_pregnant and advice is not None and advice.category != "compatible":
            where = describe_span(patient)
            if advice.category == "avoid":
                a.reasons.append(f"pregnancy{where}: avoid ({advice.advice}) [{advice.source}]")
            else:
                a.warnings.append(
                    f"{a.drug.name} in pregnancy{where}: {advice.advice} [{advice.source}]"
                )
        if patient.is_pregnant and self.facts.gestation is None:
            for rule in stricter_by_gestation(a.drug):
                a.checks.append(f"gestation not stated: {rule.span}: {rule.advice}")
        elif advice is not None and advice.category == "avoid" and self.facts.pregnancy_unknown():
            a.checks.append(f"pregnancy not stated: avoid in pregnancy ({advice.advice})")

    def _check_renal(self, a: Assessment) -> None:
        band = applicable_band(a.drug, self.facts.patient.egfr)
        if band is None or band.action == "reduce":
            return  # a reduction is applied to the dose
        where = f"eGFR {number(self.facts.patient.egfr or 0)} below {number(band.egfr_below)}"
        if band.action == "avoid":
            a.reasons.append(f"{where}: avoid ({band.advice}) [{band.source}]")
        else:
            a.warnings.append(f"{a.drug.name}: {where}: caution: {band.advice} [{band.source}]")

    def _also_taking(self, interaction: Interaction, other_id: str) -> bool:
        """Whether a pair that needs a third medicine (``when_also_taking``) has it."""
        if not interaction.when_also_taking:
            return True
        return any(
            _takes(self.kb.drugs[drug_id], interaction.when_also_taking)
            for drug_id in self.facts.current
            if drug_id != other_id
        )

    def _check_current_medications(self, a: Assessment) -> None:
        for other_id, medication in self.facts.current.items():
            if other_id == a.drug.id:
                a.warnings.append(
                    f"{a.drug.name} is already a current medication ({medication.text!r}): "
                    "check before adding it again"
                )
                continue
            other = self.kb.drugs[other_id]
            for interaction in self.kb.interactions_between(a.drug.id, other_id):
                if not self._also_taking(interaction, other_id):
                    continue
                found = FoundInteraction(a.drug, other, interaction)
                if interaction.severity == "contraindicated":
                    a.reasons.append(
                        f"contraindicated with {other.name} (current medication "
                        f"{medication.text!r}): {interaction.mechanism} "
                        f"{interaction.advice} [{interaction.source}]"
                    )
                else:
                    a.interactions.append(found)


def _takes(drug: Drug, names: list[str]) -> bool:
    return drug.id in names or any(f"tag:{tag}" in names for tag in drug.tags)


def _labelled(label: str, text: str) -> str:
    """``text`` prefixed with ``label`` unless it already says it."""
    return text if label.lower() in text.lower() else f"{label}: {text}"
