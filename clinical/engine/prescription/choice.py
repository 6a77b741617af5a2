"""Choosing a regimen option for one patient.

1. Options are tried in this order: the regimen's ``allergy_alternatives`` for each allergy group
   the patient has (the guideline's own answer for that allergy, preferred over a first-line drug
   kept only with a cross-reactivity caution), then ``first_line``, then ``alternatives``.
2. An option is chosen when every one of its drugs survives every check (:mod:`.safety`: allergy
   and cross-reactivity, contraindications, pregnancy, renal function), has a dose for this age,
   and meets no contraindicated interaction with current medications or within the option.
3. In pregnancy an option with a drug whose pregnancy advice prefers another drug
   (``prefer_alternative``) is kept only if no later option is free of it and of major
   interactions.
4. An option with a *major* interaction is kept only if no later option avoids it, and never
   when the interaction's source says not to start that drug with the other
   (``avoid_starting``): with every option
   excluded or carrying such an interaction, nothing is prescribed and the result says to seek
   specialist advice, with every reason (no unsafe fallback).

Every drug dropped on the way is recorded in :attr:`RegimenChoice.excluded` with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinical.engine.knowledge.loader import KnowledgeBase
from clinical.engine.knowledge.schema import (
    MONTHS_PER_YEAR,
    Drug,
    Referral,
    Regimen,
    RegimenDrug,
    RegimenOption,
)
from clinical.engine.prescription.dosing import Dose, DoseRefusal, applicable_band, dose_for
from clinical.engine.prescription.patient import PatientFacts, catalogue
from clinical.engine.prescription.pregnancy import advice_for
from clinical.engine.prescription.safety import Assessment, DrugChecks, FoundInteraction

FIRST_LINE = "first-line treatment"


@dataclass(frozen=True)
class Exclusion:
    name: str
    drug: str
    reason: str


@dataclass(frozen=True)
class Choice:
    """A regimen option worked out for this patient."""

    label: str
    option: RegimenOption
    doses: tuple[Dose, ...]
    interactions: tuple[FoundInteraction, ...]
    # Drugs of the option whose pregnancy advice is a caution, for a pregnant patient.
    pregnancy_cautions: tuple[Drug, ...] = ()

    @property
    def major(self) -> tuple[FoundInteraction, ...]:
        return tuple(f for f in self.interactions if f.interaction.severity == "major")

    @property
    def avoided(self) -> tuple[FoundInteraction, ...]:
        """Major interactions whose source says not to start this option's drug."""
        return tuple(f for f in self.major if f.avoided)


def by_severity(found: FoundInteraction) -> tuple[int, str, str]:
    return found.order


class RegimenChoice:
    """The options of one regimen worked through for one patient (see the module docstring)."""

    def __init__(
        self, kb: KnowledgeBase, facts: PatientFacts, checks: DrugChecks, regimen: Regimen | None
    ) -> None:
        self.kb = kb
        self.cat = catalogue(kb)
        self.facts = facts
        self.checks = checks
        self.regimen = regimen
        self._options: dict[int, Choice | None] = {}
        self.excluded: dict[tuple[str, str], Exclusion] = {}

    def ordered_options(self) -> list[tuple[str, RegimenOption]]:
        """Allergy alternatives for the patient's groups, then first line, then alternatives."""
        regimen = self.regimen
        if regimen is None or not regimen.first_line or self.referral() is not None:
            return []
        options: list[tuple[str, RegimenOption]] = []
        for group, group_options in regimen.allergy_alternatives.items():
            if group in self.facts.allergic_groups:
                label = f"alternative for {self.cat.group_label[group]} allergy"
                options += [(label, option) for option in group_options]
        options += [(FIRST_LINE, option) for option in regimen.first_line]
        options += [("alternative treatment", option) for option in regimen.alternatives]
        return options

    def referral(self) -> Referral | None:
        """The regimen's referral rule when the patient is young enough for it to apply."""
        refer = self.regimen.refer if self.regimen is not None else None
        if refer is None or self.facts.patient.age * MONTHS_PER_YEAR >= refer.age_below_months:
            return None
        return refer

    def choose(self) -> Choice | None:
        """The first workable option without a major interaction, else the first workable one
        whose major interactions its sources do not say to avoid, else None.

        When allergy alternatives lead, the first-line options are worked out first all the same,
        so that ``excluded`` says why the first-line drug was not given.
        """
        options = self.ordered_options()
        if options and options[0][0] != FIRST_LINE:
            for label, option in options:
                if label == FIRST_LINE:
                    self._worked(label, option)
        cautioned: list[Choice] = []  # no major interaction, but a pregnancy caution
        with_major: list[Choice] = []
        for label, option in options:
            choice = self._worked(label, option)
            if choice is None:
                continue
            if not choice.major and not choice.pregnancy_cautions:
                for passed in (*cautioned, *with_major):
                    self._passed_over(passed)
                return choice
            (with_major if choice.major else cautioned).append(choice)
        if cautioned:
            for passed in with_major:
                self._passed_over(passed)
            return cautioned[0]
        fallback = next((choice for choice in with_major if not choice.avoided), None)
        for passed in with_major:
            if passed is not fallback:
                self._passed_over(passed)
        return fallback

    def _worked(self, label: str, option: RegimenOption) -> Choice | None:
        """:meth:`_work_out`, once per option."""
        if id(option) not in self._options:
            self._options[id(option)] = self._work_out(label, option)
        return self._options[id(option)]

    def _work_out(self, label: str, option: RegimenOption) -> Choice | None:
        """The option with doses and interactions, or None (its exclusions recorded)."""
        doses: list[Dose] = []
        workable = True
        for item in option.drugs:
            assessment = self.checks.assess(item.drug)
            reasons = list(assessment.reasons)
            dose = self._dose(item, assessment)
            if isinstance(dose, DoseRefusal):
                reasons.append(dose.reason)
            else:
                doses.append(dose)
            self._exclude(assessment.drug, reasons)
            workable = workable and not reasons
        pairs = self._within_option(option)
        if not workable or pairs is None:
            return None
        found = [f for item in option.drugs for f in self.checks.assess(item.drug).interactions]
        interactions = tuple(sorted([*found, *pairs], key=by_severity))
        return Choice(label, option, tuple(doses), interactions, self._pregnancy_cautions(option))

    def _pregnancy_cautions(self, option: RegimenOption) -> tuple[Drug, ...]:
        """For a pregnant patient, the option's drugs whose pregnancy advice is a caution that
        prefers another drug (NICE NG138: erythromycin, not clarithromycin, in pregnancy)."""
        if not self.facts.patient.is_pregnant:
            return ()
        drugs = (self.kb.drugs[item.drug] for item in option.drugs)
        return tuple(
            drug
            for drug in drugs
            if (advice := advice_for(drug, self.facts.gestation))
            and advice.category == "caution"
            and advice.prefer_alternative
        )

    def _dose(self, item: RegimenDrug, assessment: Assessment) -> Dose | DoseRefusal:
        band = applicable_band(assessment.drug, self.facts.patient.egfr)
        adult_from = self.kb.policy.prescribing.adult_dose_from_years.value
        return dose_for(
            assessment.drug, item, self.facts.patient, band, adult_from_years=adult_from
        )

    def _within_option(self, option: RegimenOption) -> list[FoundInteraction] | None:
        """Interactions between the option's own drugs; None when a pair is contraindicated."""
        found: list[FoundInteraction] = []
        ids = [item.drug for item in option.drugs]
        for index, first in enumerate(ids):
            for second in ids[index + 1 :]:
                for interaction in self.kb.interactions_between(first, second):
                    a, b = self.kb.drugs[first], self.kb.drugs[second]
                    if interaction.severity == "contraindicated":
                        reason = (
                            f"contraindicated with {a.name} in the same option: "
                            f"{interaction.mechanism} [{interaction.source}]"
                        )
                        self._exclude(b, [reason])
                        return None
                    found.append(FoundInteraction(a, b, interaction, within_option=True))
        return found

    def _exclude(self, drug: Drug, reasons: list[str]) -> None:
        if reasons:
            exclusion = Exclusion(drug.name, drug.id, "; ".join(reasons))
            self.excluded.setdefault((exclusion.drug, exclusion.reason), exclusion)

    def _passed_over(self, choice: Choice) -> None:
        """A workable option left for another, or for none, because of its major interactions
        or, in pregnancy, a drug the pregnancy advice cautions against."""
        for drug in choice.pregnancy_cautions:
            advice = advice_for(drug, self.facts.gestation)
            assert advice is not None
            reason = (
                f"in pregnancy: {advice.advice} [{advice.source}]; an option without a "
                "pregnancy caution was preferred"
            )
            self._exclude(drug, [reason])
        for found in choice.major:
            other = "in the same option" if found.within_option else "(current medication)"
            why = (
                f"the source says to avoid the combination: {found.interaction.advice}"
                if found.avoided
                else "another option without a major interaction was preferred"
            )
            reason = (
                f"major interaction with {found.second.name} {other}: "
                f"{found.interaction.mechanism} [{found.interaction.source}]; {why}"
            )
            self._exclude(found.first, [reason])
