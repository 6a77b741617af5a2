"""A prescription's ``complete.result``: the chosen medications with their doses, every drug
excluded and why, the interactions, monitoring, follow-up and warnings, and what the request
named that the knowledge base does not know."""

from __future__ import annotations

from typing import Any, Literal

from clinical.engine.contract import results
from clinical.engine.knowledge.loader import KnowledgeBase
from clinical.engine.knowledge.schema import Condition, Drug, RegimenDrug
from clinical.engine.prescription.choice import Choice, RegimenChoice, by_severity
from clinical.engine.prescription.dosing import Dose, format_dose
from clinical.engine.prescription.patient import NamedAllergy, PatientFacts, catalogue
from clinical.engine.prescription.pregnancy import screen_current_medicines
from clinical.engine.prescription.safety import DrugChecks, FoundInteraction


class PrescriptionReport:
    """The result of one prescription worked out: what was chosen and what was checked."""

    def __init__(
        self,
        kb: KnowledgeBase,
        facts: PatientFacts,
        checks: DrugChecks,
        choice: RegimenChoice,
        chosen: Choice | None,
    ) -> None:
        self.kb = kb
        self.cat = catalogue(kb)
        self.facts = facts
        self.condition: Condition = facts.condition
        self.checks = checks
        self.choice = choice
        self.chosen = chosen

    def result(self) -> results.PrescriptionResult:
        medications = self._medications()
        return {
            "diagnosis": self.condition.name,
            "icd10": self.condition.icd10,
            "condition_id": self.condition.id,
            "urgency": self.condition.base_urgency,
            "allergy_check": self._allergy_check(),
            "medications": medications,
            "excluded": [
                {"name": e.name, "drug": e.drug, "reason": e.reason}
                for e in self.choice.excluded.values()
            ],
            "interactions": [f.as_dict() for f in self._interactions()],
            "monitoring": self._monitoring(),
            "follow_up": self._follow_up(),
            "warnings": self._warnings(),
            "non_drug": list(self.choice.regimen.non_drug) if self.choice.regimen else [],
            "unrecognized_allergies": [a.text for a in self.facts.allergies if not a.exact],
            "unrecognized_medications": [m.text for m in self.facts.medications if not m.exact],
            "engine_version": self.kb.engine_version,
            "disclaimer": self.kb.disclaimer,
        }

    def _allergy_check(self) -> results.AllergyCheck:
        return {
            "recognized": [
                {
                    "allergy": allergy.text,
                    "groups": [self.cat.group_label[g] for g in allergy.groups],
                    "drugs": [self.kb.drugs[d].name for d in allergy.drugs],
                    "matched": _matched(allergy),
                    "reaction": allergy.kind,  # type: ignore[typeddict-item]
                }
                for allergy in self.facts.allergies
                if allergy.groups or allergy.drugs
            ],
            "unrecognized": [a.text for a in self.facts.allergies if not (a.groups or a.drugs)],
            "groups": [self.cat.group_label[group] for group in self.facts.allergic_groups],
            "cross_reactivity": [
                {
                    "from": self.cat.group_label[source],
                    "to": self.cat.group_label[rule.group],
                    "action": rule.action_after(  # type: ignore[typeddict-item]
                        self.facts.allergic_groups[source].kind
                    ),
                    "text": rule.text,
                    "source": rule.source,
                }
                for rules in self.facts.cross.values()
                for source, rule in rules
            ],
        }

    def _medications(self) -> list[results.Medication]:
        if self.chosen is None:
            return []
        return [
            self._medication(item, dose)
            for item, dose in zip(self.chosen.option.drugs, self.chosen.doses, strict=True)
        ]

    def _medication(self, item: RegimenDrug, dose: Dose) -> results.Medication:
        assert self.chosen is not None and self.choice.regimen is not None
        drug = self.kb.drugs[item.drug]
        label = self.chosen.label
        rationale = f"{label[:1].upper()}{label[1:]} for {self.condition.name}"
        if self.choice.excluded:
            rationale += " (other options were excluded: see excluded)"
        return {
            "name": drug.name,
            "drug": drug.id,
            "dose": format_dose(dose.dose_mg, drug.dose_unit),
            "dose_mg": _json_number(dose.dose_mg),
            "route": dose.route,
            "frequency": dose.frequency,
            "duration": item.duration or "as directed by the prescriber",
            "rationale": f"{rationale} [{self.choice.regimen.source}]; {dose.basis}",
            "source": self.choice.regimen.source,
            "adjustments": list(dose.adjustments),
            "check_before_prescribing": list(self.checks.assess(drug.id).checks),
        }

    def _interactions(self) -> list[FoundInteraction]:
        if self.chosen is None:
            return []
        unique = {found.key: found for found in reversed(self.chosen.interactions)}
        return sorted(unique.values(), key=by_severity)

    def _dose_changes(self, drug_id: str) -> list[str]:
        if self.chosen is None:
            return []
        return [
            change
            for item, dose in zip(self.chosen.option.drugs, self.chosen.doses, strict=True)
            if item.drug == drug_id
            for change in dose.adjustments
        ]

    def _chosen_drugs(self) -> list[Drug]:
        if self.chosen is None:
            return []
        return [self.kb.drugs[item.drug] for item in self.chosen.option.drugs]

    def _monitoring(self) -> list[results.MonitoringItem]:
        items: dict[str, results.MonitoringItem] = {}
        if self.choice.regimen is not None:
            for text in self.choice.regimen.monitoring:
                items.setdefault(
                    text,
                    {
                        "text": text,
                        "for": self.condition.name,
                        "source": self.choice.regimen.source,
                    },
                )
        for drug in self._chosen_drugs():
            for text in drug.monitoring:
                items.setdefault(text, {"text": text, "for": drug.name, "source": drug.sources[0]})
        return list(items.values())

    def _follow_up(self) -> str:
        if self.choice.regimen is None:
            return (
                f"The knowledge base holds no treatment regimen for {self.condition.name}: "
                "follow local guidance or seek specialist advice."
            )
        return self.choice.regimen.follow_up

    def _warnings(self) -> list[str]:
        warnings = [
            *self._allergy_alerts(),
            *self._pathway_warnings(),
            *self._input_warnings(),
            *screen_current_medicines(
                self.kb,
                self.facts.patient,
                {drug: m.text for drug, m in self.facts.current.items()},
                self.facts.gestation,
            ),
            *self._contraindicated_current_medicines(),
        ]
        for drug in self._chosen_drugs():
            assessment = self.checks.assess(drug.id)
            warnings += assessment.warnings
            warnings += [f"{drug.name}: {change}" for change in self._dose_changes(drug.id)]
            if assessment.checks:
                checks = "; ".join(check.rstrip(".") for check in assessment.checks)
                warnings.append(f"{drug.name}: confirm first (the request does not say): {checks}.")
        warnings += [
            f"{f.interaction.severity.capitalize()} interaction, {f.first.name} + {f.second.name}: "
            f"{f.interaction.advice} [{f.interaction.source}]"
            for f in self._interactions()
            if f.interaction.severity in ("contraindicated", "major")
        ]
        return list(dict.fromkeys(warnings))

    def _contraindicated_current_medicines(self) -> list[str]:
        """A current medicine the request shows a contraindication to (codeine under 12)."""
        return [
            f"Current medication {medication.text!r} ({self.kb.drugs[drug_id].name}): "
            f"{reason}. Stop or switch it."
            for drug_id, medication in self.facts.current.items()
            for reason in self.checks.contraindications_shown(drug_id, medication.text)
        ]

    def _pathway_warnings(self) -> list[str]:
        name = self.condition.name
        warnings = []
        if self.condition.base_urgency == "emergency":
            warnings.append(
                f"{name} is an emergency: a hospital pathway. Arrange immediate assessment or "
                "transfer; any medication here is only what to give before or during transfer."
            )
        referral = self.choice.referral()
        if referral is not None:
            warnings.append(
                f"No medication suggested: {referral.text} [{referral.source}] Seek specialist "
                "advice now."
            )
        elif self.choice.regimen is None:
            warnings.append(
                f"No medication suggested: no regimen for {name} in the knowledge base."
            )
        elif not self.choice.regimen.first_line:
            warnings.append(
                f"No medication suggested: {name} is not treated with a drug from this service; "
                "follow the follow-up advice."
            )
        elif self.chosen is None:
            reasons = "; ".join(f"{e.name}: {e.reason}" for e in self.choice.excluded.values())
            warnings.append(
                f"No medication suggested: every option in the regimen for {name} was excluded "
                "for this patient or carries an interaction its source says to avoid. Seek "
                f"specialist advice. Reasons: {reasons}."
            )
        return warnings

    def _allergy_alerts(self) -> list[str]:
        """What the prescriber must settle first: allergies the engine could not read."""
        alerts = []
        for allergy in self.facts.allergies:
            if allergy.recognised:
                continue
            if allergy.not_a_medicine:
                alerts.append(
                    f"Allergy {allergy.text!r} was not recognised as a medicine (read as an "
                    "allergen that is not a drug): no drug was held back for it; check the "
                    "excipients yourself."
                )
            else:
                alerts.append(
                    f"Allergy {allergy.text!r} was not recognised: it may be to any of these "
                    "drugs, so every one is held back. Say what the allergy is (the drug or "
                    "group, and the reaction) before prescribing."
                )
        return alerts

    def _input_warnings(self) -> list[str]:
        warnings = []
        for allergy in self.facts.allergies:
            if not allergy.recognised:
                continue
            if allergy.corrected is not None:
                warnings.append(
                    f"Allergy {allergy.text!r} was read as {allergy.corrected!r} (spelling "
                    "corrected): check that this is what it names."
                )
            elif not allergy.exact:
                read_as = [self.cat.group_label[g] for g in allergy.groups] or [
                    self.kb.drugs[d].name for d in allergy.drugs
                ]
                warnings.append(
                    f"Allergy {allergy.text!r} was not recognised as a whole; "
                    f"checked as {', '.join(read_as)}."
                )
        for medication in self.facts.medications:
            if not medication.drugs:
                warnings.append(
                    f"Current medication {medication.text!r} was not recognised: its interactions "
                    "were not checked."
                )
            elif not medication.exact:
                names = ", ".join(self.kb.drugs[d].name for d in medication.drugs)
                warnings.append(
                    f"Current medication {medication.text!r} was not recognised as a whole; "
                    f"checked for interactions as {names}."
                )
        return warnings


def _json_number(value: Any) -> int | float:
    return int(value) if value == int(value) else float(value)


def _matched(
    allergy: NamedAllergy,
) -> Literal["exact", "by a name within it", "spelling corrected"]:
    if allergy.corrected is not None:
        return "spelling corrected"
    return "exact" if allergy.exact else "by a name within it"
