"""The Bayesian differential: naive Bayes with leak terms over the knowledge base's conditions.

For a condition ``c`` listing finding ``f`` with likelihood ``p``, and ``f``'s leak (base rate)
``l``, the finding's probability is the noisy-OR ``1 - (1 - p)(1 - l)``; a condition that does not
list ``f`` explains it at the leak rate ``l``. Scored against that background, a present finding
multiplies the odds of ``c`` by ``LR+ = 1 + p(1 - l)/l`` and a finding known absent by
``LR- = 1 - p``; a finding nobody mentioned is not evidence either way. The prior is the condition's
relative frequency times its age-band and sex factors (zero for ``only_sex`` of the other sex), and
each history finding present multiplies by its risk factor. Posteriors are normalised over all
conditions. Every table is built once per knowledge base, so a request only adds up a few logs.

Two thresholds on one measurement (CRP above 20 and above 100) are one observation, not two: when
a condition lists both, a present narrow finding stands for the band and the broad one adds
nothing; an absent broad finding stands for the band and the narrow one adds nothing.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from clinical.engine.contract.results import EvidenceStatus
from clinical.engine.knowledge.loader import KnowledgeBase
from clinical.engine.knowledge.schema import Condition, narrower

PROBABILITY_DECIMALS = 4
_UNITS = 10**PROBABILITY_DECIMALS
# A remainder (in units of 10^-decimals) too small to matter unless nearly every value has one.
_NEGLIGIBLE_REMAINDER = 1e-6

Terms = tuple[tuple[int, float], ...]


@dataclass(frozen=True)
class Contribution:
    """One piece of evidence for or against a condition, as a likelihood ratio."""

    finding: str
    status: EvidenceStatus
    ratio: float


@dataclass(frozen=True)
class Explanation:
    """Why a condition scored as it did: its prior and each finding's likelihood ratio."""

    condition: Condition
    prior: float
    prior_factors: tuple[tuple[str, float], ...]
    raised: tuple[Contribution, ...]
    lowered: tuple[Contribution, ...]


@dataclass(frozen=True)
class Case:
    """One request's evidence, sorted, with the terms nested thresholds make redundant."""

    present: tuple[str, ...]
    absent: tuple[str, ...]
    age_years: float | None  # None: not stated (priors averaged over the adult range)
    sex: str | None  # None: not stated (priors averaged over both sexes)
    shadowed: tuple[tuple[int, str], ...]


class Ranked(NamedTuple):
    """A condition's place in the differential (a tuple: 52 of them are made per request)."""

    condition: Condition
    model_index: int  # the condition's place in the model's tables
    probability: float  # rounded to PROBABILITY_DECIMALS; all of them sum to exactly 1 unit-wise


def positive_ratio(p: float, leak: float) -> float:
    return 1.0 + p * (1.0 - leak) / leak


def negative_ratio(p: float) -> float:
    return 1.0 - p


class DifferentialModel:
    """Log-likelihood-ratio tables for one knowledge base (see the module docstring)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.conditions: tuple[Condition, ...] = tuple(
            kb.conditions[condition_id] for condition_id in sorted(kb.conditions)
        )
        self.present_ratio: list[dict[str, float]] = []
        self.absent_ratio: list[dict[str, float]] = []
        present: dict[str, list[tuple[int, float]]] = {}
        absent: dict[str, list[tuple[int, float]]] = {}
        risk: dict[str, list[tuple[int, float]]] = {}
        for index, condition in enumerate(self.conditions):
            ratios_present, ratios_absent = {}, {}
            for finding_id, likelihood in sorted(condition.findings.items()):
                leak = kb.findings[finding_id].base_rate
                ratios_present[finding_id] = positive_ratio(likelihood.p, leak)
                ratios_absent[finding_id] = negative_ratio(likelihood.p)
                present.setdefault(finding_id, []).append(
                    (index, math.log(ratios_present[finding_id]))
                )
                absent.setdefault(finding_id, []).append(
                    (index, math.log(ratios_absent[finding_id]))
                )
            for finding_id, factor in sorted(condition.risk_factors.items()):
                risk.setdefault(finding_id, []).append((index, math.log(factor)))
            self.present_ratio.append(ratios_present)
            self.absent_ratio.append(ratios_absent)
        self.present_terms: dict[str, Terms] = {key: tuple(v) for key, v in present.items()}
        self.absent_terms: dict[str, Terms] = {key: tuple(v) for key, v in absent.items()}
        self.risk_terms: dict[str, Terms] = {key: tuple(v) for key, v in risk.items()}
        self.narrowings = _narrowings(kb, self.conditions)
        low, high = kb.policy.triage.unstated_ages
        self.unstated_ages: tuple[int, ...] = tuple(range(math.ceil(low), math.floor(high) + 1))

    def case(
        self,
        present: Collection[str],
        absent: Collection[str],
        age_years: float | None,
        sex: str | None,
    ) -> Case:
        """The request's evidence in the fixed order every sum below uses (so the floating-point
        result, and thus the output, does not depend on set iteration order or the process)."""
        present_sorted, absent_sorted = tuple(sorted(present)), tuple(sorted(absent))
        return Case(
            present=present_sorted,
            absent=absent_sorted,
            age_years=age_years,
            sex=sex,
            shadowed=self._shadowed(set(present_sorted), set(absent_sorted)),
        )

    def _shadowed(self, present: set[str], absent: set[str]) -> tuple[tuple[int, str], ...]:
        """(condition index, finding) terms another threshold on the same input already covers:
        a broad finding present under a narrow one present, a narrow one absent under a broad
        one absent (see the module docstring)."""
        hidden: set[tuple[int, str]] = set()
        for index, narrow, broad in self.narrowings:
            if narrow in present and broad in present:
                hidden.add((index, broad))
            elif broad in absent and narrow in absent:
                hidden.add((index, narrow))
        return tuple(sorted(hidden))

    @functools.lru_cache(maxsize=512)  # noqa: B019 - one model per knowledge base, kept for its life
    def log_priors(self, age_years: int | None, sex: str | None) -> tuple[float, ...]:
        """Log prior of each condition for a patient of this completed age and sex (either may
        be unknown: see :meth:`prior_factors`)."""
        return tuple(
            math.log(prior) if prior > 0 else -math.inf
            for prior in (self.prior(condition, age_years, sex) for condition in self.conditions)
        )

    def prior_factors(
        self, condition: Condition, age_years: float | None, sex: str | None
    ) -> list[tuple[str, float]]:
        """The multipliers applied to the condition's base prior, each with what it is for.

        An age or sex the request does not state is averaged over: both sexes (a condition only
        one sex can have keeps half its weight) and the adult range of completed ages, so the
        prior is that of a patient drawn from either; the one factor says so."""
        if age_years is not None and sex is not None:
            return self.known_prior_factors(condition, age_years, sex)
        ages: tuple[float, ...] = (age_years,) if age_years is not None else self.unstated_ages
        sexes = (sex,) if sex is not None else ("female", "male")
        products = [
            math.prod(factor for _, factor in self.known_prior_factors(condition, age, each))
            for age in ages
            for each in sexes
        ]
        unstated = [
            *(["age not stated (adult average)"] if age_years is None else []),
            *(["sex not stated (both considered)"] if sex is None else []),
        ]
        return [("; ".join(unstated), math.fsum(products) / len(products))]

    @staticmethod
    def known_prior_factors(
        condition: Condition, age_years: float, sex: str
    ) -> list[tuple[str, float]]:
        """The multipliers for a patient of this age and sex, each with what it is for."""
        prior = condition.prior
        factors = [
            (f"age {band_label(band.min, band.max)}", band.factor)
            for band in prior.age
            if band.covers(age_years)
        ]
        if prior.sex is not None and getattr(prior.sex, sex) != 1.0:
            factors.append((sex, getattr(prior.sex, sex)))
        if prior.only_sex is not None and prior.only_sex != sex:
            factors.append((f"{prior.only_sex} only", 0.0))
        return factors

    def prior(self, condition: Condition, age_years: float | None, sex: str | None) -> float:
        value = condition.prior.value
        for _, factor in self.prior_factors(condition, age_years, sex):
            value *= factor
        return value

    def log_scores(self, case: Case) -> list[float]:
        age = None if case.age_years is None else math.floor(case.age_years)
        scores = list(self.log_priors(age, case.sex))
        for finding_id in case.present:
            for index, value in self.present_terms.get(finding_id, ()):
                scores[index] += value
            for index, value in self.risk_terms.get(finding_id, ()):
                scores[index] += value
        for finding_id in case.absent:
            for index, value in self.absent_terms.get(finding_id, ()):
                scores[index] += value
        present = set(case.present)
        for index, finding_id in case.shadowed:
            ratios = self.present_ratio if finding_id in present else self.absent_ratio
            scores[index] -= math.log(ratios[index][finding_id])
        return scores

    def rank(self, case: Case) -> list[Ranked]:
        """Every condition, most probable first (ties broken by id), probabilities rounded."""
        scores = self.log_scores(case)
        rounded = round_distribution(normalise(scores))
        # Conditions are stored in id order and the sort is stable (reverse=True keeps equal
        # keys in their original order), so ties go by id.
        order = sorted(range(len(scores)), key=scores.__getitem__, reverse=True)
        conditions, new = self.conditions, tuple.__new__
        return [new(Ranked, (conditions[i], i, rounded[i])) for i in order]

    def explain(self, index: int, case: Case) -> Explanation:
        """The prior and each likelihood ratio behind one condition's score."""
        condition = self.conditions[index]
        hidden = {finding for shadow_index, finding in case.shadowed if shadow_index == index}
        present_ratio, absent_ratio = self.present_ratio[index], self.absent_ratio[index]
        raised = [
            Contribution(finding_id, "present", present_ratio[finding_id])
            for finding_id in case.present
            if finding_id in present_ratio and finding_id not in hidden
        ]
        raised += [
            Contribution(finding_id, "risk_factor", condition.risk_factors[finding_id])
            for finding_id in case.present
            if finding_id in condition.risk_factors
        ]
        lowered = [
            Contribution(finding_id, "absent", absent_ratio[finding_id])
            for finding_id in case.absent
            if finding_id in absent_ratio and finding_id not in hidden
        ]
        factors = tuple(self.prior_factors(condition, case.age_years, case.sex))
        return Explanation(
            condition=condition,
            prior=math.prod((condition.prior.value, *(factor for _, factor in factors))),
            prior_factors=factors,
            raised=tuple(sorted(raised, key=lambda item: (-item.ratio, item.finding))),
            lowered=tuple(sorted(lowered, key=lambda item: (item.ratio, item.finding))),
        )


def _narrowings(
    kb: KnowledgeBase, conditions: Sequence[Condition]
) -> tuple[tuple[int, str, str], ...]:
    """(condition index, narrow finding, broad finding) for each pair of nested thresholds that
    one condition lists both of."""
    pairs = []
    for index, condition in enumerate(conditions):
        derived = {
            finding_id: rule
            for finding_id in sorted(condition.findings)
            if (rule := kb.findings[finding_id].derived) is not None
        }
        pairs += [
            (index, narrow, broad)
            for narrow, narrow_rule in derived.items()
            for broad, broad_rule in derived.items()
            if narrower(narrow_rule, broad_rule)
        ]
    return tuple(pairs)


def band_label(low: float | None, high: float | None) -> str:
    """An age band's words: "4 or under", "65 or over", "16-64" (a band has at least one end)."""
    if low is None:
        return f"{high:g} or under"
    if high is None:
        return f"{low:g} or over"
    return f"{low:g}-{high:g}"


def normalise(log_scores: Sequence[float]) -> list[float]:
    """Softmax: probabilities proportional to exp(score), computed without overflow."""
    top = max(log_scores)
    if top == -math.inf:
        return [1.0 / len(log_scores)] * len(log_scores)
    exp = math.exp
    weights = [exp(score - top) for score in log_scores]
    total = math.fsum(weights)
    return [weight / total for weight in weights]


def round_distribution(probabilities: Sequence[float]) -> list[float]:
    """Round to PROBABILITY_DECIMALS so the rounded values still sum to exactly one.

    Largest remainder: every value is floored to whole units of 10^-decimals, and the units left
    over go to the largest remainders (ties to the earlier index, which is the id order). Only
    remainders of at least _NEGLIGIBLE_REMAINDER are sorted when there are enough of them to take
    every unit left over: any smaller remainder ranks below all of those, so the outcome is the
    same as sorting every value (most conditions of a differential have next to no probability).
    """
    scaled = [probability * _UNITS for probability in probabilities]
    units = [int(value) for value in scaled]  # the floor: probabilities are never negative
    missing = _UNITS - sum(units)
    if missing:
        shortfall = [unit - value for unit, value in zip(units, scaled, strict=True)]
        candidates = [i for i, gap in enumerate(shortfall) if gap <= -_NEGLIGIBLE_REMAINDER]
        if len(candidates) < missing:
            candidates = list(range(len(scaled)))
        for i in sorted(candidates, key=shortfall.__getitem__)[:missing]:
            units[i] += 1
    return [unit / _UNITS for unit in units]
