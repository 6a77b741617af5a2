"""The declared shape of every knowledge-base entry (docs/knowledge-base.md is the contract).

One pydantic model per kind. These models check what one entry can check on its own (types,
ranges, exactly-one-of rules); references between entries are checked by
:mod:`clinical.engine.knowledge.loader` once every file is read.
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
import re
import typing
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from clinical.engine.contract.fields import ACVPU_LETTERS, LAB_INPUTS, VITAL_INPUTS, Sex
from clinical.engine.contract.results import (
    Consciousness,
    CrossReactivityAction,
    FindingCategory,
    InteractionSeverity,
    RedFlagUrgency,
    Urgency,
)

SNAKE_ID = r"^[a-z][a-z0-9_]*$"
Id = Annotated[str, Field(pattern=SNAKE_ID, max_length=80)]
Text = Annotated[str, Field(min_length=1)]
Probability = Annotated[float, Field(gt=0.0, lt=1.0)]
Positive = Annotated[float, Field(gt=0.0)]

URGENCY_ORDER: tuple[str, ...] = ("self_care", "routine", "urgent", "emergency")
SCORE_INPUTS = (
    "news2_total",
    "news2_highest_parameter",
    "qsofa",
    "crb65",
    "curb65",
    "bedside_pews_total",
)
# History inputs: the age, and the weeks of a pregnancy.
HISTORY_INPUTS = ("age", "gestation_weeks")
DERIVED_INPUTS = (*VITAL_INPUTS, *LAB_INPUTS, *HISTORY_INPUTS, *SCORE_INPUTS)
COMPARISONS = ("at_least", "above", "below", "at_most", "in")
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "at_least": operator.ge,
    "above": operator.gt,
    "below": operator.lt,
    "at_most": operator.le,
}


class Entry(BaseModel):
    """Unknown fields are errors (a misspelt field would otherwise be silently ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Figure(Entry):
    """A number the engine works with, with the source that gives it or, where no source does,
    an estimate stating its reasoning (exactly one of the two)."""

    value: float
    source: Id | None = None
    estimate: Text | None = None

    @model_validator(mode="after")
    def _sourced_or_reasoned(self) -> Figure:
        if (self.source is None) == (self.estimate is None):
            raise ValueError("give a source or an estimate explaining the figure (one of them)")
        return self


class Source(Entry):
    title: Text
    publisher: Text
    year: int = Field(ge=1900, le=2100)
    kind: Literal["guideline", "label", "paper", "formulary", "textbook", "review"]
    url: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None


class AgeRange(Entry):
    """The ages (in years, fractions for infants) a threshold is published for: ``at_least``
    includes its edge, ``below`` excludes it (NICE NG143's "12-24 months" is ``at_least: 1,
    below: 2``)."""

    at_least: float | None = Field(None, ge=0)
    below: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _bounded_and_ordered(self) -> AgeRange:
        if self.at_least is None and self.below is None:
            raise ValueError("give at_least, below or both")
        if self.at_least is not None and self.below is not None and self.at_least >= self.below:
            raise ValueError("at_least must be below `below`")
        return self

    def contains(self, age_years: float) -> bool:
        low = 0.0 if self.at_least is None else self.at_least
        return low <= age_years and (self.below is None or age_years < self.below)


class Derived(Entry):
    """A measured input turned into a finding present (comparison holds) or absent.

    ``ages`` limits the rule to the ages its source publishes the threshold for: an adult heart
    rate threshold says nothing of an infant (NEWS2 is not validated under 16), and NICE NG143's
    tachycardia bands hold only within their age band. Outside it, or when the age is unknown,
    the finding is unknown: neither present nor absent."""

    input: Literal[DERIVED_INPUTS]  # type: ignore[valid-type]
    at_least: float | None = None
    above: float | None = None
    below: float | None = None
    at_most: float | None = None
    in_: list[str] | None = Field(None, alias="in")
    ages: AgeRange | None = None
    source: Id

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("in_")
    @classmethod
    def _levels_are_acvpu(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        levels = [ACVPU_LETTERS.get(item.strip().lower(), item.strip().lower()) for item in value]
        unknown = [item for item in levels if item not in ACVPU_LETTERS.values()]
        if unknown or not levels:
            raise ValueError("must list consciousness levels A, C, V, P or U")
        return levels

    @model_validator(mode="after")
    def _exactly_one_comparison(self) -> Derived:
        given = [name for name in COMPARISONS if self.comparison_value(name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(COMPARISONS)} (got {len(given)})")
        if (self.input == "consciousness") != (given[0] == "in"):
            raise ValueError(
                "consciousness takes `in` (a list of levels); numbers take a threshold"
            )
        return self

    def comparison_value(self, name: str) -> Any:
        return self.in_ if name == "in" else getattr(self, name)

    @property
    def comparison(self) -> tuple[str, Any]:
        """The one comparison, as (name, threshold or levels)."""
        for name in COMPARISONS:
            value = self.comparison_value(name)
            if value is not None:
                return name, value
        raise AssertionError("validated to hold exactly one comparison")

    def holds(self, value: float | str) -> bool:
        """Whether a measured ``value`` makes the finding present."""
        return self.test(value)

    def applies_at(self, age_years: float | None, unstated: tuple[float, float]) -> bool:
        """Whether the threshold is published for a patient of this age (any age when the rule
        names none). An age not stated is assessed over the ``unstated`` range (the adult
        one): the rule applies when it holds at both ends."""
        if self.ages is None:
            return True
        if age_years is None:
            return all(self.ages.contains(age) for age in unstated)
        return self.ages.contains(age_years)

    @functools.cached_property
    def test(self) -> Callable[[float | str], bool]:
        """``holds`` as one prepared function (it runs for every rule of every request)."""
        name, threshold = self.comparison
        if name == "in":
            levels = frozenset(threshold)
            return levels.__contains__
        compare = _COMPARE[name]
        return lambda value: compare(float(value), threshold)


_UPPER = ("at_least", "above")
_INCLUSIVE = ("at_least", "at_most")


def narrower(strict: Derived, weak: Derived) -> bool:
    """Whether every value that makes ``strict`` present also makes ``weak`` present (on the same
    input): CRP above 100 is narrower than CRP above 20, SpO2 91 or less than SpO2 below 94."""
    if strict is weak or strict.input != weak.input or strict.ages != weak.ages:
        return False
    (strict_kind, a), (weak_kind, b) = strict.comparison, weak.comparison
    if strict_kind == "in" or weak_kind == "in":
        return strict_kind == weak_kind and set(a) <= set(b)
    if (strict_kind in _UPPER) != (weak_kind in _UPPER):
        return False
    beyond = a > b if strict_kind in _UPPER else a < b
    edge_kept = not (strict_kind in _INCLUSIVE and weak_kind not in _INCLUSIVE)
    return beyond or (a == b and edge_kept)


class Finding(Entry):
    id: Id
    label: Text
    category: FindingCategory
    synonyms: list[Text] = []
    base_rate: Probability
    derived: Derived | None = None
    # A finding only one sex can have (breastfeeding, pregnancy): a drug rule naming it never
    # applies to, and is never asked about for, a patient of the other sex.
    only_sex: Sex | None = None

    def applies_to(self, sex: str) -> bool:
        return self.only_sex is None or self.only_sex == sex


class AgeBand(Entry):
    """A prior multiplier for ages in completed years ``min``..``max`` (both inclusive)."""

    min: float | None = Field(None, ge=0)
    max: float | None = Field(None, ge=0)
    factor: Positive

    @model_validator(mode="after")
    def _bounded_and_ordered(self) -> AgeBand:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not exceed max")
        return self

    def covers(self, age_years: float) -> bool:
        completed = math.floor(age_years)
        low = -math.inf if self.min is None else self.min
        high = math.inf if self.max is None else self.max
        return low <= completed <= high


class SexFactors(Entry):
    male: Positive = 1.0
    female: Positive = 1.0


class Prior(Entry):
    value: Probability
    age: list[AgeBand] = []
    sex: SexFactors | None = None
    only_sex: Sex | None = None
    estimate: Text | None = None
    source: Id | None = None

    @model_validator(mode="after")
    def _reasoned(self) -> Prior:
        if self.estimate is None and self.source is None:
            raise ValueError("give a source or an estimate explaining the figure")
        bands = sorted(self.age, key=lambda band: -math.inf if band.min is None else band.min)
        for lower, upper in itertools.pairwise(bands):
            lower_max = math.inf if lower.max is None else lower.max
            upper_min = -math.inf if upper.min is None else upper.min
            if upper_min <= lower_max:
                raise ValueError("age bands overlap")
        return self


class Likelihood(Entry):
    """P(finding | condition); a bare number in the file is an estimate (no source)."""

    p: Probability
    source: Id | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_number(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return {"p": value}
        return value


class Citation(Entry):
    text: Text
    source: Id


KeyFeature = Id | Annotated[list[Id], Field(min_length=2)]


class CantMiss(Entry):
    """A serious condition not to be missed: when one of its key features is present (a finding,
    or a list of findings all present together), urgency rises to the condition's own level even
    at a low probability, down to the triage policy's ``cant_miss_probability``. Key features are
    the discriminators its source gives, specific enough that their presence alone makes the
    condition worth excluding."""

    key_features: Annotated[list[KeyFeature], Field(min_length=1)]
    source: Id

    def features(self) -> list[tuple[str, ...]]:
        """Each key feature as the findings that must all be present."""
        return [(item,) if isinstance(item, str) else tuple(item) for item in self.key_features]


class Condition(Entry):
    id: Id
    name: Text
    icd10: Annotated[str, Field(pattern=r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,2})?$")]
    system: Literal[
        "respiratory",
        "cardiovascular",
        "neurological",
        "abdominal",
        "urinary",
        "endocrine",
        "skin",
        "ent",
        "eye",
        "musculoskeletal",
        "allergic",
        "infectious",
        "mental_health",
        "obstetric",
        "gynaecological",
        "haematological",
        "renal",
        "toxicological",
        "other",
    ]
    base_urgency: Urgency
    # Other names a clinician uses for the condition ("UTI", "flu", "heart attack"): a
    # prescription's diagnosis matches them like the name. One synonym names one condition.
    synonyms: list[Text] = []
    prior: Prior
    findings: Annotated[dict[Id, Likelihood], Field(min_length=1)]
    likelihood_estimate: Text | None = None
    risk_factors: dict[Id, Positive] = {}
    red_flags: list[Citation] = []
    recommended_tests: list[Citation] = []
    cant_miss: CantMiss | None = None
    sources: Annotated[list[Id], Field(min_length=1)]

    @model_validator(mode="after")
    def _estimates_explained(self) -> Condition:
        bare = [name for name, item in self.findings.items() if item.source is None]
        if bare and self.likelihood_estimate is None:
            raise ValueError(
                f"likelihood_estimate is required: bare-number likelihoods for {', '.join(bare)}"
            )
        return self


class RedFlagRule(Entry):
    id: Id
    text: Text
    all: list[Id] = []
    any: list[Id] = []
    # routine: a visit within days, for a feature that needs a clinician but not today (a
    # suspected cancer pathway referral); it still lifts self-care advice.
    urgency: RedFlagUrgency
    source: Id

    @model_validator(mode="after")
    def _has_a_condition(self) -> RedFlagRule:
        if not self.all and not self.any:
            raise ValueError("give `all`, `any` or both")
        return self


class AdultDose(Entry):
    dose_mg: Positive
    frequency: Text
    max_daily_mg: Positive | None = None


MONTHS_PER_YEAR = 12


def in_months(years: float | None, months: float | None) -> float | None:
    """An age given in years or in months, as months (None when neither is given)."""
    if years is not None:
        return years * MONTHS_PER_YEAR
    return months


class WeightRange(Entry):
    """Body-weight limits of a dose band, each bound inclusive or not as the source words it
    ("30 kg or less", "more than 30 kg", "10-19 kg", "20 kg and above")."""

    at_least: Positive | None = None
    above: Positive | None = None
    below: Positive | None = None
    at_most: Positive | None = None

    @model_validator(mode="after")
    def _one_bound_each_side(self) -> WeightRange:
        if self.at_least is not None and self.above is not None:
            raise ValueError("give at most one of at_least and above")
        if self.below is not None and self.at_most is not None:
            raise ValueError("give at most one of below and at_most")
        if self.lower is None and self.upper is None:
            raise ValueError("give a lower bound (at_least/above), an upper one (below/at_most)")
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ValueError("the lower bound exceeds the upper one")
        return self

    @property
    def lower(self) -> float | None:
        return self.at_least if self.at_least is not None else self.above

    @property
    def upper(self) -> float | None:
        return self.below if self.below is not None else self.at_most

    def covers(self, weight_kg: float) -> bool:
        if self.at_least is not None and weight_kg < self.at_least:
            return False
        if self.above is not None and weight_kg <= self.above:
            return False
        if self.below is not None and weight_kg >= self.below:
            return False
        return not (self.at_most is not None and weight_kg > self.at_most)

    def overlaps(self, other: WeightRange) -> bool:
        """Whether some weight lies in both ranges."""
        low_a, low_b = self.lower or 0.0, other.lower or 0.0
        high_a, high_b = self.upper or math.inf, other.upper or math.inf
        if min(high_a, high_b) > max(low_a, low_b):
            return True
        if min(high_a, high_b) < max(low_a, low_b):
            return False
        edge = min(high_a, high_b)  # the ranges touch at one weight: is it in both?
        return self.covers(edge) and other.covers(edge)

    def describe(self) -> str:
        parts = []
        if self.at_least is not None:
            parts.append(f"{self.at_least:g} kg or more")
        if self.above is not None:
            parts.append(f"over {self.above:g} kg")
        if self.below is not None:
            parts.append(f"under {self.below:g} kg")
        if self.at_most is not None:
            parts.append(f"{self.at_most:g} kg or less")
        return " and ".join(parts)


class DoseBand(Entry):
    """A child dose for an age range, from the minimum age (inclusive) up to the maximum age
    (exclusive: BNF for Children's "2-5 years" is from the 2nd birthday to the 6th, written
    ``min_age_years: 2, max_age_years: 6``), optionally for a body-weight range. The dose is
    fixed (``dose_mg``) or by weight (``mg_per_kg``, capped at ``max_dose_mg``)."""

    min_age_years: float | None = Field(None, ge=0)
    min_age_months: float | None = Field(None, ge=0)
    max_age_years: float | None = Field(None, gt=0)
    max_age_months: float | None = Field(None, gt=0)
    weight: WeightRange | None = None
    dose_mg: Positive | None = None
    mg_per_kg: Positive | None = None
    max_dose_mg: Positive | None = None
    frequency: Text
    max_daily_mg: Positive | None = None

    @model_validator(mode="after")
    def _well_formed(self) -> DoseBand:
        if self.min_age_years is not None and self.min_age_months is not None:
            raise ValueError("give the minimum age in years or in months, not both")
        if self.max_age_years is not None and self.max_age_months is not None:
            raise ValueError("give the maximum age in years or in months, not both")
        if (self.dose_mg is None) == (self.mg_per_kg is None):
            raise ValueError("give exactly one of dose_mg and mg_per_kg")
        if self.max_dose_mg is not None and self.mg_per_kg is None:
            raise ValueError("max_dose_mg caps a mg_per_kg dose only")
        if self.until_months is not None and self.until_months <= self.from_months:
            raise ValueError("the maximum age must be above the minimum age")
        return self

    @property
    def from_months(self) -> float:
        return in_months(self.min_age_years, self.min_age_months) or 0.0

    @property
    def until_months(self) -> float | None:
        return in_months(self.max_age_years, self.max_age_months)

    def covers_age(self, age_months: float) -> bool:
        until = self.until_months
        return self.from_months <= age_months and (until is None or age_months < until)

    def covers(self, age_months: float, weight_kg: float) -> bool:
        return self.covers_age(age_months) and (
            self.weight is None or self.weight.covers(weight_kg)
        )

    def overlaps(self, other: DoseBand) -> bool:
        """Whether one child (an age and a weight) could fall in both bands."""
        end_a, end_b = self.until_months or math.inf, other.until_months or math.inf
        if min(end_a, end_b) <= max(self.from_months, other.from_months):
            return False
        if self.weight is None or other.weight is None:
            return True
        return self.weight.overlaps(other.weight)


class PaediatricDose(Entry):
    """How a child (under 18) is dosed, in the order the engine tries them: the adult dose from
    ``adult_dose_from_years``; else the band covering the child's age (and weight); else
    ``mg_per_kg`` per dose, capped at ``max_dose_mg``. ``not_licensed`` says why a child no
    form covers gets no dose (for a drug not licensed in children, the only field besides
    ``source``)."""

    mg_per_kg: Positive | None = None
    frequency: Text | None = None
    max_dose_mg: Positive | None = None
    min_age_months: float | None = Field(None, ge=0)
    bands: list[DoseBand] = []
    adult_dose_from_years: float | None = Field(None, ge=0)
    not_licensed: Text | None = None
    source: Id | None = None

    @model_validator(mode="after")
    def _one_way_at_least(self) -> PaediatricDose:
        if (self.mg_per_kg is None) != (self.frequency is None):
            raise ValueError("mg_per_kg and frequency go together")
        if self.max_dose_mg is not None and self.mg_per_kg is None:
            raise ValueError("max_dose_mg caps a mg_per_kg dose only")
        if (
            self.mg_per_kg is None
            and not self.bands
            and self.adult_dose_from_years is None
            and self.not_licensed is None
        ):
            raise ValueError(
                "give mg_per_kg, bands, adult_dose_from_years or not_licensed (with its reason)"
            )
        for first, second in itertools.combinations(self.bands, 2):
            if first.overlaps(second):
                raise ValueError("two dose bands cover the same age and weight")
        if self.adult_dose_from_years is not None:
            adult_from = self.adult_dose_from_years * MONTHS_PER_YEAR
            for band in self.bands:
                if (band.until_months or math.inf) > adult_from:
                    raise ValueError("a dose band reaches past adult_dose_from_years")
        return self


class RenalBand(Entry):
    egfr_below: Positive
    action: Literal["reduce", "avoid", "caution"]
    dose_mg: Positive | None = None
    frequency: Text | None = None
    advice: Text
    source: Id
    # The source's reduction is for repeated doses: a single dose is given in full (optional).
    repeated_doses_only: bool = False

    @model_validator(mode="after")
    def _reduction_says_how(self) -> RenalBand:
        if self.action == "reduce" and self.dose_mg is None and self.frequency is None:
            raise ValueError("action reduce needs dose_mg and/or frequency")
        return self


PREGNANCY_CATEGORIES = ("compatible", "caution", "avoid")


class PregnancyAdvice(Entry):
    advice: Text
    category: Literal["compatible", "caution", "avoid"]
    source: Id
    # For a woman already taking the drug who is pregnant: what to do (stop, switch to what).
    if_taking: Text | None = None
    # The source prefers another drug in pregnancy (a caution it says to avoid if possible):
    # a later option without this caution is chosen first.
    prefer_alternative: bool = False


class GestationAdvice(PregnancyAdvice):
    """Pregnancy advice for a span of gestation, from ``from_weeks`` up to ``before_weeks``."""

    from_weeks: float = Field(0, ge=0)
    before_weeks: float | None = Field(None, gt=0)

    def overlaps(self, low: float, high: float) -> bool:
        """Whether a gestation of ``low`` to ``high`` weeks falls (partly) in this span."""
        return high >= self.from_weeks and (self.before_weeks is None or low < self.before_weeks)

    @property
    def span(self) -> str:
        if self.before_weeks is None:
            return f"from {self.from_weeks:g} weeks"
        if self.from_weeks == 0:
            return f"before {self.before_weeks:g} weeks"
        return f"from {self.from_weeks:g} to {self.before_weeks:g} weeks"


class Contraindication(Entry):
    """Names a history finding (or condition) id, an age limit, or pregnancy: exactly one."""

    history: Id | None = None
    age_below_years: float | None = Field(None, gt=0)
    # From this age ("not recommended over 65"): optional.
    age_from_years: float | None = Field(None, gt=0)
    pregnant: Literal[True] | None = None
    text: Text
    source: Id

    @model_validator(mode="after")
    def _exactly_one_rule(self) -> Contraindication:
        given = [
            value
            for value in (self.history, self.age_below_years, self.age_from_years, self.pregnant)
            if value is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of history, age_below_years, age_from_years, pregnant"
            )
        return self


class OverdoseRule(Entry):
    """How an ingestion of the drug stated as a quantity is judged an overdose: more than its
    adult maximum daily dose (``adult.max_daily_mg``), or at least ``toxic_mg_per_kg``; with no
    strength written, a tablet is taken as ``usual_tablet_mg``."""

    finding: Id
    usual_tablet_mg: Figure
    toxic_mg_per_kg: Figure


class Drug(Entry):
    id: Id
    name: Text
    synonyms: list[Text] = []
    drug_class: Text
    tags: list[Id] = []
    allergy_groups: list[Id] = []
    route: Text
    # What ``dose_mg`` figures count: milligrams, or units for a drug dosed in units (nystatin).
    dose_unit: Literal["mg", "units"] = "mg"
    adult: AdultDose
    paediatric: PaediatricDose | None = None
    renal: list[RenalBand] = []
    pregnancy: PregnancyAdvice | None = None
    # Advice by gestation where the source gives it; it overrides ``pregnancy`` for a gestation
    # it covers (when the request states the gestation).
    pregnancy_by_gestation: list[GestationAdvice] = []
    contraindications: list[Contraindication] = []
    monitoring: list[Text] = []
    overdose: OverdoseRule | None = None
    sources: Annotated[list[Id], Field(min_length=1)]

    @field_validator("renal")
    @classmethod
    def _one_band_per_threshold(cls, bands: list[RenalBand]) -> list[RenalBand]:
        thresholds = [band.egfr_below for band in bands]
        if len(set(thresholds)) != len(thresholds):
            raise ValueError("two renal bands share an egfr_below threshold")
        return sorted(bands, key=lambda band: band.egfr_below)


class CrossReactivity(Entry):
    """From an allergy to one group towards ``group``: ``action`` unless ``by_reaction`` gives
    the action for the type of reaction the patient had ("none": no concern after it)."""

    group: Id
    action: CrossReactivityAction
    text: Text
    source: Id
    by_reaction: dict[ReactionKind, CrossReactivityAction | Literal["none"]] = {}

    def action_after(self, reaction: str) -> str:
        """What to do with ``group`` after a reaction of type ``reaction``."""
        return self.by_reaction.get(reaction, self.action)  # type: ignore[call-overload]


class AllergyGroup(Entry):
    id: Id
    name: Text
    synonyms: list[Text] = []
    cross_reactivity: list[CrossReactivity] = []
    sources: list[Id] = []


TAG_PREFIX = "tag:"
_INTERACTANT = re.compile(r"^(tag:)?[a-z][a-z0-9_]*$")


class Interaction(Entry):
    between: Annotated[list[str], Field(min_length=2, max_length=2)]
    severity: InteractionSeverity
    mechanism: Text
    advice: Text
    source: Id
    # The members of ``between`` the source says not to start while the other is taken ("avoid;
    # use X instead"): an option starting one is never kept as a fallback (issue 16). Starting
    # the other side is not refused (an anticoagulant for a clot in someone taking an NSAID: the
    # advice is about the NSAID).
    avoid_starting: list[str] = []
    # The pair counts only when the patient also takes one of these (drug ids or tag:<tag>):
    # the "triple whammy" of an NSAID with an ACE inhibitor and a diuretic (optional).
    when_also_taking: list[str] = []

    @field_validator("between", "when_also_taking")
    @classmethod
    def _drug_ids_or_tags(cls, value: list[str]) -> list[str]:
        for item in value:
            if not _INTERACTANT.match(item):
                raise ValueError(f"{item!r} is neither a drug id nor tag:<tag>")
        if len(value) == 2 and value[0] == value[1] and not value[0].startswith(TAG_PREFIX):
            raise ValueError("a drug cannot interact with itself")
        return value

    @model_validator(mode="after")
    def _avoided_side_is_in_the_pair(self) -> Interaction:
        for item in self.avoid_starting:
            if item not in self.between:
                raise ValueError(f"avoid_starting names {item!r}, which is not in between")
        return self

    def avoids_starting(self, drug_id: str, tags: Iterable[str]) -> bool:
        """Whether the source says not to start ``drug_id`` (with ``tags``) with the other."""
        names = {drug_id, *(f"{TAG_PREFIX}{tag}" for tag in tags)}
        return bool(names.intersection(self.avoid_starting))

    @property
    def label(self) -> str:
        return " + ".join(self.between)


class RegimenDrug(Entry):
    drug: Id
    # One dose only (fluconazole 150 mg for thrush): a renal reduction for repeated doses does
    # not apply (optional).
    single_dose: bool = False
    dose_mg: Positive | None = None
    frequency: Text | None = None
    route: Text | None = None
    duration: Text | None = None
    paediatric_mg_per_kg: Positive | None = None
    # The indication's own cap on a weight-based child dose (NICE NG95: amoxicillin 30 mg/kg,
    # up to 1 g a dose), replacing the drug's max_dose_mg.
    paediatric_max_dose_mg: Positive | None = None


class RegimenOption(Entry):
    drugs: Annotated[list[RegimenDrug], Field(min_length=1)]


class Referral(Entry):
    """Below this age the source says to refer, not to prescribe in primary care."""

    age_below_months: float = Field(gt=0)
    text: Text
    source: Id


class Regimen(Entry):
    condition: Id
    # Optional: a patient this young is referred and gets no prescription here.
    refer: Referral | None = None
    first_line: list[RegimenOption]
    alternatives: list[RegimenOption] = []
    allergy_alternatives: dict[Id, list[RegimenOption]] = {}
    follow_up: Text
    monitoring: list[Text] = []
    non_drug: list[Text] = []
    source: Id

    @property
    def id(self) -> str:
        return self.condition

    def options(self) -> list[RegimenOption]:
        """Every option, in the order the file lists them (first line, allergy, alternatives)."""
        allergy = [option for group in self.allergy_alternatives.values() for option in group]
        return [*self.first_line, *allergy, *self.alternatives]


ENTRY_MODELS: dict[str, type[Entry]] = {
    "sources": Source,
    "findings": Finding,
    "red_flags": RedFlagRule,
    "conditions": Condition,
    "drugs": Drug,
    "allergy_groups": AllergyGroup,
    "interactions": Interaction,
    "regimens": Regimen,
}


# ---------------------------------------------------------------- the engine's policy


class GcsLevel(Entry):
    """The ACVPU level a GCS total from ``gcs_at_least`` up is read as."""

    gcs_at_least: int = Field(ge=3, le=15)
    level: Consciousness


class GcsReading(Entry):
    """GCS totals read as ACVPU, from the highest level down; every total from 3 has a level."""

    levels: Annotated[list[GcsLevel], Field(min_length=1)]
    source: Id

    @field_validator("levels")
    @classmethod
    def _every_total_has_a_level(cls, levels: list[GcsLevel]) -> list[GcsLevel]:
        floors = [level.gcs_at_least for level in levels]
        if floors != sorted(floors, reverse=True) or len(set(floors)) != len(floors):
            raise ValueError("list the levels from the highest GCS down, each floor once")
        if floors[-1] != 3:
            raise ValueError("the last level must start at GCS 3, so every total has a level")
        return levels

    def level(self, total: int) -> str:
        return next(level.level for level in self.levels if total >= level.gcs_at_least)


class NoteReadingPolicy(Entry):
    """Figures the note reader needs: how many tablets a container or a handful holds when a
    note does not say, the finding a self-poisoning is, and GCS read as ACVPU."""

    tablets_per_container: Figure
    tablets_per_handful: Figure
    self_poisoning: Id
    gcs_to_acvpu: GcsReading


class TriagePolicy(Entry):
    """How the differential's probabilities weigh in urgency, and which of its conditions lend
    their tests and warning signs to the result."""

    emergency_share: Figure
    urgent_share: Figure
    routine_share: Figure
    supporting_probability: Figure
    watch_for_probability: Figure
    cant_miss_probability: Figure
    unstated_age_from: Figure
    unstated_age_to: Figure

    @property
    def unstated_ages(self) -> tuple[float, float]:
        """The ages (years) a note that states none is assessed over: the adult range."""
        return self.unstated_age_from.value, self.unstated_age_to.value

    def share(self, level: str) -> float:
        """The probability mass of conditions at ``level`` or above that makes it the urgency."""
        return float(getattr(self, f"{level}_share").value)


ReactionKind = Literal["immediate", "severe", "non_immediate", "intolerance", "unknown"]
REACTION_KINDS: tuple[str, ...] = typing.get_args(ReactionKind)


class AllergyReaction(Entry):
    """A type of allergic reaction and the phrases that name it in a reaction as written."""

    id: ReactionKind
    label: Text
    # An intolerance is not an allergy: the drug and its group stay, with a warning.
    keeps_the_drug: bool = False
    phrases: Annotated[list[Text], Field(min_length=1)]
    source: Id


class NotMedicines(Entry):
    names: list[Text]
    source: Id


class PrescribingPolicy(Entry):
    adult_dose_from_years: Figure
    pregnancy_possible_from_years: Figure
    # Past these ages no pregnancy or breastfeeding check is asked unless the request says so.
    pregnancy_possible_until_years: Figure | None = None
    breastfeeding_plausible_until_years: Figure | None = None
    # Where a trimester stated in a request begins, in completed weeks.
    second_trimester_from_weeks: Figure | None = None
    third_trimester_from_weeks: Figure | None = None
    # Tried in order; none matching (or no reaction stated) is "unknown".
    allergy_reactions: list[AllergyReaction] = []
    # Allergens that are not medicines (latex, foods, stings): an allergy to one holds back no
    # drug, where an allergy the knowledge base cannot read holds back every drug.
    not_medicines: NotMedicines | None = None


class Policy(Entry):
    """The engine's own figures, each with its source or reasoning (``policy/*.yaml``)."""

    note_reading: NoteReadingPolicy
    triage: TriagePolicy
    prescribing: PrescribingPolicy
