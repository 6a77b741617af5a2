"""Urgency: the highest of what red-flag rules, early-warning scores and the differential say.

Red-flag rules (``red_flags/*.yaml``) fire on findings present; early-warning thresholds (NEWS2 5
or 7, a single NEWS2 parameter of 3, qSOFA 2, Bedside PEWS 5 or 8) are such rules too, over
findings derived from the scores, so every threshold is data with its source. The differential
adds the urgency its conditions usually carry, weighted by probability: the probability that the
patient has a condition needing at least a given level of care is compared with that level's
threshold below.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from clinical.engine.contract.results import Urgency as UrgencyLevel
from clinical.engine.diagnosis.differential import Ranked
from clinical.engine.knowledge.loader import KnowledgeBase
from clinical.engine.knowledge.schema import URGENCY_ORDER, RedFlagRule, TriagePolicy

LEVEL_WORDS = {
    "emergency": "emergency care",
    "urgent": "urgent (same-day) care",
    "routine": "routine review",
    "self_care": "self-care",
}


@dataclass(frozen=True)
class Urgency:
    level: UrgencyLevel
    reason: str


URGENCY_RANK = {level: rank for rank, level in enumerate(URGENCY_ORDER)}


# How many phrases the note left unread an urgency's reason quotes before "and N more".
_QUOTED_UNREAD = 5


def rank_of(level: str) -> int:
    return URGENCY_RANK[level]


class RedFlagIndex:
    """The red-flag rules by the findings they need, so a request checks only the rules that
    one of its present findings could fire."""

    def __init__(self, kb: KnowledgeBase) -> None:
        by_finding: dict[str, list[RedFlagRule]] = {}
        for rule in kb.red_flags.values():
            for finding in {*rule.all, *rule.any}:
                by_finding.setdefault(finding, []).append(rule)
        self._by_finding = {finding: tuple(rules) for finding, rules in by_finding.items()}

    def fired(self, present: Collection[str]) -> list[RedFlagRule]:
        """The rules whose findings are present, most urgent first, then by id."""
        candidates = {
            rule.id: rule for finding in present for rule in self._by_finding.get(finding, ())
        }
        fired = [
            rule
            for rule in candidates.values()
            if all(finding in present for finding in rule.all)
            and (not rule.any or any(finding in present for finding in rule.any))
        ]
        return sorted(fired, key=lambda rule: (-URGENCY_RANK[rule.urgency], rule.id))


@dataclass(frozen=True)
class Caught:
    """A condition not to be missed, held by the safety net: its place in the ranking and the key
    feature present (its findings)."""

    ranked: Ranked
    feature: tuple[str, ...]


class CantMissIndex:
    """The conditions not to be missed (``cant_miss`` in the knowledge base), by the findings of
    their key features, so a request checks only those one of its findings could catch."""

    def __init__(self, kb: KnowledgeBase) -> None:
        by_finding: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for condition in kb.conditions.values():
            rule = condition.cant_miss
            for feature in rule.features() if rule is not None else ():
                by_finding.setdefault(feature[0], []).append((condition.id, feature))
        self._by_finding = {finding: tuple(entries) for finding, entries in by_finding.items()}

    def caught(
        self, present: Collection[str], ranking: Sequence[Ranked], policy: TriagePolicy
    ) -> list[Caught]:
        """The conditions whose key feature is present and whose probability reaches the
        policy's threshold, most urgent and most probable first (one feature each)."""
        threshold = policy.cant_miss_probability.value
        place = {item.condition.id: item for item in ranking}
        found: dict[str, Caught] = {}
        for finding in sorted(present):
            for condition_id, feature in self._by_finding.get(finding, ()):
                item = place[condition_id]
                if condition_id in found or item.probability < threshold:
                    continue
                if all(part in present for part in feature):
                    found[condition_id] = Caught(item, feature)
        return sorted(
            found.values(),
            key=lambda c: (-URGENCY_RANK[c.ranked.condition.base_urgency], -c.ranked.probability),
        )


def apply_safety_net(
    urgency: Urgency, caught: Sequence[Caught], label: Callable[[str], str]
) -> Urgency:
    """Urgency raised to the level of each condition not to be missed that the net holds, with
    the reason saying which and why ("can't miss: subarachnoid haemorrhage, sudden severe
    headache"). Urgency is never only a function of the posterior mass."""
    top = max((c.ranked.condition.base_urgency for c in caught), key=rank_of, default=None)
    if top is None or rank_of(top) < rank_of(urgency.level):
        return urgency
    reasons = [
        f"can't miss: {c.ranked.condition.name} "
        f"({' with '.join(label(f) for f in c.feature)}, {_percent(c.ranked.probability)} of the "
        f"differential)"
        for c in caught
        if c.ranked.condition.base_urgency == top
    ]
    listed = "; ".join(reasons)
    if rank_of(top) == rank_of(urgency.level):
        # The level is already set by a red flag or the differential: that reason leads and the
        # net, which raises nothing, follows it.
        return Urgency(urgency.level, f"{urgency.reason.rstrip('.')}; {listed}.")
    return Urgency(top, f"{listed[:1].upper()}{listed[1:]}: {LEVEL_WORDS[top]}.")


def differential_urgency(ranking: Sequence[Ranked], policy: TriagePolicy) -> Urgency:
    """The highest level whose conditions together reach the policy's share for it (the
    knowledge base's ``policy/triage.yaml``), naming them."""
    # Conditions with any probability left after rounding, in ranking order, with their level.
    weighted = [
        (URGENCY_RANK[item.condition.base_urgency], item)
        for item in ranking
        if item.probability > 0
    ]
    mass = 0.0
    for level in ("emergency", "urgent", "routine"):
        floor = URGENCY_RANK[level]
        members = [item for rank, item in weighted if rank >= floor]
        mass = math.fsum(item.probability for item in members)
        if mass >= policy.share(level):
            named = ", ".join(_percent_of(item) for item in _named(members))
            return Urgency(
                level,
                f"conditions usually needing {LEVEL_WORDS[level]} or more make up "
                f"{_percent(mass)} of the differential ({named})",
            )
    named = ", ".join(_percent_of(item) for item in _named(ranking))
    return Urgency(
        "self_care",
        f"conditions usually needing a clinician's review make up only {_percent(mass)} of the "
        f"differential (most likely: {named})",
    )


def decide_urgency(
    fired: Sequence[RedFlagRule],
    ranking: Sequence[Ranked],
    policy: TriagePolicy,
    present: Collection[str] = (),
    label: Callable[[str], str] | None = None,
) -> Urgency:
    """The most urgent of the fired rules and the differential, with every reason at that level.

    A rule that fires on any of several findings names those present (given their ``label``),
    so "NICE NG143 red feature (respiratory)" says which: grunting, or a rate above 60."""
    from_differential = differential_urgency(ranking, policy)
    level = max(
        [from_differential.level, *(rule.urgency for rule in fired)],
        key=rank_of,
    )
    reasons = [
        f"red flag: {rule.text.rstrip('.')}{_features_present(rule, present, label)}"
        for rule in fired
        if rule.urgency == level
    ]
    if from_differential.level == level:
        reasons.append(from_differential.reason)
    reason = "; ".join(reasons)
    return Urgency(level, f"{reason[:1].upper()}{reason[1:]}.")


def _features_present(
    rule: RedFlagRule, present: Collection[str], label: Callable[[str], str] | None
) -> str:
    """ " (present: ...)" naming which of a rule's alternatives fired, or nothing for a rule with
    one alternative at most (its text already says it)."""
    if label is None or len(rule.any) < 2:
        return ""
    named = [label(finding) for finding in rule.any if finding in present]
    return f" (present: {', '.join(named)})" if named else ""


def settle_self_care(urgency: Urgency, stated: bool, unsettled: Sequence[str]) -> Urgency:
    """Self-care is advised only on stated evidence, since it is advice not to see anyone.

    With no finding present but what age gives, the differential is only how common each
    condition is; with findings the note leaves only possible ("no cough, tender glands",
    "fever?"), a clinician has to settle them. Either way the floor is a routine review.
    """
    if not stated and urgency.level in ("self_care", "routine"):
        # Routine or not, a level from priors alone says nothing about this patient: say so.
        return Urgency(
            "routine",
            "Nothing in the request was read as a finding present, so the differential only "
            "says how common each condition is: a clinician should assess before self-care "
            "is advised.",
        )
    if urgency.level != "self_care":
        return urgency
    if unsettled:
        listed = ", ".join(unsettled)
        return Urgency(
            "routine",
            f"Self-care would be advised, but the note leaves {listed} uncertain: a clinician "
            f"should settle that first. {urgency.reason}",
        )
    return urgency


def note_unread(urgency: Urgency, unread: Sequence[str]) -> Urgency:
    """Say when the note holds words nothing read: decisive text may have been missed.

    The reader reads only what the knowledge base names, so a diagnosis of a partly read note
    looks as sure as one of a note read whole. Self-care is advice not to see anyone, so it is
    not given on a note the engine did not understand in full: the floor is a routine review.
    An emergency needs no caveat to be acted on.
    """
    if not unread or urgency.level == "emergency":
        return urgency
    quoted = ", ".join(f'"{text}"' for text in unread[:_QUOTED_UNREAD])
    if len(unread) > _QUOTED_UNREAD:
        quoted += f" and {len(unread) - _QUOTED_UNREAD} more"
    if urgency.level == "self_care":
        return Urgency(
            "routine",
            f"Self-care would be advised, but parts of the note were not understood ({quoted}): "
            f"a clinician should read them before self-care is advised. {urgency.reason}",
        )
    return Urgency(
        urgency.level,
        f"{urgency.reason} Not understood in the note: {quoted}; decisive text may have been "
        "missed.",
    )


def age_not_stated(urgency: Urgency, unstated: bool) -> Urgency:
    """Say when the note stated no age, and never advise self-care without one.

    The differential then averages the adult ages and urgency takes the most urgent of its
    ends (see the stream); a child's thresholds need the age, so self-care, advice not to see
    anyone, is floored to a routine review, where a clinician learns the age."""
    if not unstated:
        return urgency
    if urgency.level == "self_care":
        return Urgency(
            "routine",
            "Age not stated: self-care is not advised without it, so a clinician should "
            f"review. {urgency.reason}",
        )
    return Urgency(urgency.level, f"{urgency.reason} Age not stated: assessed as an adult's.")


def _named(items: Sequence[Ranked]) -> list[Ranked]:
    """The (at most three) conditions worth naming in a reason: 1% or more."""
    return [item for item in items[:3] if item.probability >= 0.01] or list(items[:1])


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def _percent_of(item: Ranked) -> str:
    return f"{item.condition.name} {_percent(item.probability)}"
