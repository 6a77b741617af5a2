"""How the diagnosis explains itself: differential items, tests, red flags, risk factors.

A clinician must be able to check every number, so each differential item names the findings that
raised or lowered it with their likelihood ratios, and its prior with the factors applied.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from clinical.engine.contract import results
from clinical.engine.diagnosis.differential import Contribution, Explanation, Ranked
from clinical.engine.diagnosis.evidence import Evidence
from clinical.engine.knowledge.loader import KnowledgeBase
from clinical.engine.knowledge.schema import RedFlagRule, TriagePolicy

MAX_RAISED = 4
MAX_LOWERED = 3


def ratio_text(ratio: float) -> str:
    if ratio >= 10:
        return f"{ratio:.0f}"
    if ratio >= 1:
        return f"{ratio:.1f}"
    return f"{ratio:.2f}"


def percent_text(probability: float) -> str:
    """A percentage that never rounds a possibility away (0.04% is "<0.1%", 99.96% ">99.9%")."""
    if 0 < probability < 0.001:
        return "<0.1%"
    if 0.999 < probability < 1:
        return ">99.9%"
    decimals = 0 if 0.1 <= probability < 0.9 else 1
    return f"{probability * 100:.{decimals}f}%"


def lower_first(label: str) -> str:
    """ "Shortness of breath" reads "shortness of breath" mid-sentence; "COPD" and "NEWS2" stay."""
    if len(label) > 1 and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def _listed(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


class Explainer:
    """Words for the evidence, prepared once per knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.labels = {finding_id: finding.label for finding_id, finding in kb.findings.items()}
        self.mid_sentence = {
            finding_id: lower_first(label) for finding_id, label in self.labels.items()
        }
        raises: dict[str, list[results.RaisedCondition]] = {}
        for condition_id in sorted(kb.conditions):
            condition = kb.conditions[condition_id]
            for finding_id, factor in sorted(condition.risk_factors.items()):
                raises.setdefault(finding_id, []).append(
                    {"condition_id": condition_id, "diagnosis": condition.name, "factor": factor}
                )
        self.raises = raises

    def contribution_text(self, item: Contribution) -> str:
        label = self.mid_sentence[item.finding]
        if item.status == "risk_factor":
            return f"risk factor {label} (x{ratio_text(item.ratio)})"
        if item.status == "absent":
            return f"no {label} (LR {ratio_text(item.ratio)})"
        return f"{label} (LR {ratio_text(item.ratio)})"

    def reasoning_text(self, ranked: Ranked, explanation: Explanation) -> str:
        """One sentence per kind of evidence, strongest first."""
        raised = [self.contribution_text(item) for item in explanation.raised[:MAX_RAISED]]
        lowered = [self.contribution_text(item) for item in explanation.lowered[:MAX_LOWERED]]
        sentences = [f"{explanation.condition.name}: {percent_text(ranked.probability)}."]
        sentences.append(
            f"Raised by {_listed(raised)}." if raised else "No reported finding points to it."
        )
        if lowered:
            sentences.append(f"Lowered by {_listed(lowered)}.")
        factors = ", ".join(f"{name} x{factor:g}" for name, factor in explanation.prior_factors)
        prior = f"Prior {percent_text(explanation.prior)}"
        sentences.append(f"{prior} ({factors})." if factors else f"{prior}.")
        return " ".join(sentences)

    def differential_item(
        self, ranked: Ranked, explanation: Explanation
    ) -> results.DifferentialItem:
        """The protocol's ``{diagnosis, icd10, probability, reasoning}`` plus what it rests on."""
        condition = ranked.condition
        labels = self.labels
        return {
            "diagnosis": condition.name,
            "icd10": condition.icd10,
            "probability": ranked.probability,
            "reasoning": self.reasoning_text(ranked, explanation),
            "condition_id": condition.id,
            "base_urgency": condition.base_urgency,
            "prior": round(explanation.prior, 6),
            "evidence": [
                {
                    "finding": item.finding,
                    "label": labels[item.finding],
                    "status": item.status,
                    "likelihood_ratio": round(item.ratio, 3),
                }
                for item in (*explanation.raised, *explanation.lowered)
            ],
        }

    def risk_factor_reports(self, evidence: Evidence) -> list[results.RiskFactor]:
        """Each history finding present that raises some condition, with what it raises."""
        return [
            {**report.as_dict(), "raises": [item.copy() for item in self.raises[report.finding]]}
            for report in evidence.of_via("history")
            if report.status == "present" and report.finding in self.raises
        ]


def recommended_tests(
    shown: Sequence[Ranked], policy: TriagePolicy
) -> list[results.RecommendedTest]:
    """The primary's tests, then those of other conditions still worth excluding."""
    tests: list[results.RecommendedTest] = []
    seen: set[str] = set()
    for position, item in enumerate(shown):
        if position and item.probability < policy.supporting_probability.value:
            continue
        for test in item.condition.recommended_tests:
            if test.text not in seen:
                seen.add(test.text)
                tests.append({"text": test.text, "source": test.source, "for": item.condition.id})
    return tests


def primary_red_flags(
    fired: Sequence[RedFlagRule],
    shown: Sequence[Ranked],
    present: Collection[str],
    policy: TriagePolicy,
) -> list[results.RedFlagItem]:
    """Red flags present now, then warning signs to safety-net on for the leading conditions."""
    flags: list[results.RedFlagItem] = [
        {
            "status": "present",
            "id": rule.id,
            "text": rule.text,
            "urgency": rule.urgency,
            "findings": sorted(finding for finding in (*rule.all, *rule.any) if finding in present),
            "source": rule.source,
        }
        for rule in fired
    ]
    seen = {flag["text"] for flag in flags}
    for position, item in enumerate(shown):
        watch = position == 0 or (
            item.probability >= policy.watch_for_probability.value
            and item.condition.base_urgency in ("emergency", "urgent")
        )
        for flag in item.condition.red_flags if watch else ():
            if flag.text not in seen:
                seen.add(flag.text)
                flags.append(
                    {
                        "status": "watch_for",
                        "text": flag.text,
                        "for": item.condition.id,
                        "source": flag.source,
                    }
                )
    return flags
