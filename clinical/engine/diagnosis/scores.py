"""Scoring a patient on the knowledge base's score tables (their format: knowledge.score_tables).

Conditions are read with three-valued logic: an unknown input leaves its item unscored and listed
in ``missing``, never silently zero. An incomplete result adds up what is known and names the rest
in ``missing``; its risk, advice and flags are given only when no value of the missing items could
change them (None otherwise). An item known only in part (a band with ``up_to``, a criterion with
``unmet_up_to`` not met) counts the points it scores at least in ``components`` and is listed in
``missing`` too: the total stays a floor.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any, NamedTuple, cast

from clinical.engine.contract import results
from clinical.engine.contract.requests import DiagnosisRequest
from clinical.engine.knowledge.score_tables import (
    OUTCOME_FIELDS,
    OXYGEN_INPUT,
    Band,
    Condition,
    Item,
    ScoreTable,
    Value,
    decimal,
)


@dataclass(frozen=True)
class Observations:
    """What is known about the patient: measured inputs, and findings known present or absent.

    An input that was not measured is simply absent from ``values``.
    """

    values: Mapping[str, Value] = field(default_factory=dict)
    present: frozenset[str] = frozenset()
    absent: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        values: Mapping[str, Value | None],
        present: Iterable[str] = (),
        absent: Iterable[str] = (),
    ) -> Observations:
        known = {name: value for name, value in values.items() if value is not None}
        return cls(MappingProxyType(known), frozenset(present), frozenset(absent))

    @classmethod
    def from_request(
        cls, request: DiagnosisRequest, present: Iterable[str], absent: Iterable[str]
    ) -> Observations:
        return cls.of(request.measured(), present, absent)


def _test(condition: Condition, seen: Observations) -> bool | None:
    """True, False, or None when what the condition needs is unknown."""
    if condition.any_of is not None:
        return _any(_test(part, seen) for part in condition.any_of)
    if condition.all_of is not None:
        return _all(_test(part, seen) for part in condition.all_of)
    if condition.first_known is not None:
        results = (_test(part, seen) for part in condition.first_known)
        return next((result for result in results if result is not None), None)
    if condition.finding is not None:
        return _finding(condition.finding, condition.present, seen)
    value = seen.values.get(condition.input or "")
    if condition.known is not None:
        return (value is not None) == condition.known
    if value is None:
        return None
    if condition.values is not None:
        return value in condition.values
    return condition.contains(float(value))


def _finding(finding: str, present: bool, seen: Observations) -> bool | None:
    if finding in seen.present:
        return present
    if finding in seen.absent:
        return not present
    return None


def _any(results: Iterable[bool | None]) -> bool | None:
    """Kleene's or: one true answer settles it; an unknown among falses leaves it unknown."""
    collected = list(results)
    if True in collected:
        return True
    return None if None in collected else False


def _all(results: Iterable[bool | None]) -> bool | None:
    collected = list(results)
    if False in collected:
        return False
    return None if None in collected else True


def _rounded(value: float, resolution: float | None) -> float:
    """The value as the chart records it (e.g. 35.05 C is charted 35.1), half up."""
    if resolution is None:
        return value
    step = decimal(resolution)
    return float((decimal(value) / step).quantize(Decimal(1), ROUND_HALF_UP) * step)


class Scored(NamedTuple):
    """What an item scores: ``points``, or, when ``up_to`` is given, at least ``points`` and at
    most ``up_to`` (the request cannot tell the cells between apart)."""

    points: int
    up_to: int | None = None


def _band_points(bands: tuple[Band, ...], value: Value, oxygen: bool | None) -> Scored:
    for band in bands:
        if not band.applies_on(oxygen):
            continue
        if band.values is not None and value in band.values:
            return Scored(band.points, band.up_to)
        if band.values is None and not isinstance(value, str) and band.contains(float(value)):
            return Scored(band.points, band.up_to)
    raise ValueError(f"no band scores {value!r}")


def _item_points(item: Item, seen: Observations, scale: int | None) -> Scored | None:
    """What an item scores, or None when it cannot be scored from what is known."""
    if item.when is not None:
        met = _test(item.when, seen)
        if met is None:
            return None
        return Scored(item.points or 0) if met else Scored(0, item.unmet_up_to)
    value = seen.values.get(item.input or "")
    if value is None:
        return None
    bands = item.bands if item.bands is not None else (item.scales or {})[scale or 0]
    if not isinstance(value, str | bool):
        value = _rounded(float(value), item.resolution)
    oxygen = seen.values.get(OXYGEN_INPUT)
    states: list[bool | None] = (
        [oxygen]
        if isinstance(oxygen, bool)
        else [None]
        if not any(b.breathing for b in bands)
        else [False, True]
    )
    points = {_band_points(bands, value, state) for state in states}
    return points.pop() if len(points) == 1 else None


def _scale_for(table: ScoreTable, scale: int | None) -> int | None:
    if scale is None:
        return table.default_scale()
    if scale not in (table.scales or ()):
        raise ValueError(f"{table.id} has no scale {scale}; it has {list(table.scales or ())}")
    return scale


def _options(item: Item, scored: Scored | None, scale: int | None) -> set[int]:
    """The points an item not fully scored could still turn out to score."""
    possible = item.possible_points(scale)
    if scored is None:
        return possible
    return {points for points in possible if scored.points <= points <= (scored.up_to or 0)}


def _reachable(
    exact: Mapping[str, int], still_open: Iterable[set[int]]
) -> set[tuple[int, int | None]]:
    """Every ``(total, highest item score)`` the items not fully scored (the points each could
    still score) could bring about, given the points of those that are (``exact``)."""
    reachable = {(sum(exact.values()), max(exact.values(), default=None))}
    for options in still_open:
        reachable = {
            (total + points, points if top is None else max(top, points))
            for total, top in reachable
            for points in options
        }
    return reachable


def _settled(answers: set[Any]) -> Any:
    """The one answer every completion of the missing items agrees on, else None (unknown)."""
    return next(iter(answers)) if len(answers) == 1 else None


def _outcome_fields(table: ScoreTable, reachable: set[tuple[int, int | None]]) -> dict[str, Any]:
    used = [name for name in OUTCOME_FIELDS if any(getattr(o, name) for o in table.outcomes)]
    matches = {
        next((o for o in table.outcomes if o.holds(total, top)), None) for total, top in reachable
    }
    outcome = _settled(matches)
    return {name: getattr(outcome, name) if outcome else None for name in used}


def evaluate_score(
    table: ScoreTable, seen: Observations, *, scale: int | None = None
) -> dict[str, Any]:
    """One score's wire result: total, outcome, components, missing, complete, flags.

    The total adds the items that could be scored (an item known only in part at the points it
    scores at least). An outcome field (risk, advice, ...) or a flag is given only when every way
    the missing items could score leads to the same answer, and is None otherwise: a partial
    NEWS2 of 0 is not "low risk", while one item scoring 3 already makes ``red_score`` true.
    """
    scale = _scale_for(table, scale)
    scored = {item.id: _item_points(item, seen, scale) for item in table.items}
    components = {item_id: got.points for item_id, got in scored.items() if got is not None}
    missing = [
        item for item in table.items if (got := scored[item.id]) is None or got.up_to is not None
    ]
    exact = {
        item_id: got.points
        for item_id, got in scored.items()
        if got is not None and got.up_to is None
    }
    reachable = _reachable(exact, (_options(item, scored[item.id], scale) for item in missing))
    result: dict[str, Any] = {table.score_name: sum(components.values())}
    result |= _outcome_fields(table, reachable)
    result |= {
        "components": components,
        "missing": [item.id for item in missing],
        "complete": not missing,
    }
    result |= {
        name: _settled({flag.holds(total, top) for total, top in reachable})
        for name, flag in table.flags.items()
    }
    if scale is not None:
        result["scale"] = scale
    result["source"] = table.source
    return result


def is_reported(table: ScoreTable, seen: Observations) -> bool:
    """Whether the table applies to this patient and enough of it is known to be worth showing."""
    if not all(_test(condition, seen) for condition in table.report_when):
        return False
    if table.report_when_any_known is None:
        return True
    items = {item.id: item for item in table.items}
    scale = table.default_scale()
    return any(_item_points(items[i], seen, scale) is not None for i in table.report_when_any_known)


def _reporting_views(
    seen: Observations, unstated_ages: tuple[float, float] | None
) -> list[Observations]:
    """What decides whether a table is reported: the observations, or, when the age is not
    stated, the observations at each end of the range it is assessed over (a table for adults
    is reported for a note that states no age). The table still scores an age item as missing."""
    if "age" in seen.values or unstated_ages is None:
        return [seen]
    return [
        Observations(MappingProxyType({**seen.values, "age": age}), seen.present, seen.absent)
        for age in unstated_ages
    ]


def compute_scores(
    request: DiagnosisRequest,
    present: Collection[str],
    absent: Collection[str],
    tables: Mapping[str, ScoreTable],
    *,
    scales: Mapping[str, int] | None = None,
    unstated_ages: tuple[float, float] | None = None,
) -> results.Scores:
    """The wire ``scores`` dict: every table that applies to this request, by score id.

    ``present``/``absent`` are finding ids known present or absent (derived vital-sign findings
    included). ``scales`` picks a table's alternative scale, e.g. ``{"news2": 2}`` for a patient
    with hypercapnic respiratory failure whose target SpO2 is 88-92%; the default is the first.
    """
    seen = Observations.from_request(request, present, absent)
    chosen = scales or {}
    scores = {
        table_id: evaluate_score(table, seen, scale=chosen.get(table_id))
        for table_id, table in tables.items()
        if any(is_reported(table, view) for view in _reporting_views(seen, unstated_ages))
    }
    # Each table's result has its contract shape: the loader checks every table's keys.
    return cast(results.Scores, scores)
