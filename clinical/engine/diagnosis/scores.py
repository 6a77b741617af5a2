"""Published clinical scores (NEWS2, qSOFA, CURB-65, CRB-65, Centor, McIsaac), read from tables.

Every band edge, point and risk group lives in ``knowledge/scores/*.yaml`` beside the source that
published it; this module holds no clinical threshold. It validates the tables when they load (a
table with a gap or overlap between bands, a total no outcome covers, or an unknown input is
refused with the file, the score and the field) and interprets them generically:

- an *item* is either a row of bands (``at_least``/``at_most`` inclusive, ``above``/``below``
  exclusive, ``in`` for a category), as in the NEWS2 chart, or a criterion worth ``points`` when its
  condition holds, as in "1 point for each of the following";
- a *condition* tests a measured input (vital sign, lab, age), or a finding known present or
  absent, or combines conditions (``any_of``, ``all_of``, ``first_known``) with three-valued logic:
  an unknown input leaves the item unscored and listed in ``missing``, never silently zero;
- *outcomes* map the total (and, for the NEWS2 red score, any single item's points) to the risk
  and advice of the source, first match wins; *flags* are named yes/no readings of the same kind.

An incomplete result adds up what is known and names the rest in ``missing``; its risk, advice and
flags are given only when no value of the missing items could change them (None otherwise).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from clinical.engine.contract.errors import KnowledgeBaseError
from clinical.engine.contract.requests import (
    CONSCIOUSNESS_LEVELS,
    DiagnosisRequest,
    Labs,
    Sex,
    Vitals,
)

SCORES_DIR = Path(__file__).resolve().parents[1] / "knowledge" / "scores"
SCORES_KEY = "scores"

NUMERIC_INPUTS = frozenset(
    {
        "age",
        "temperature",
        "heart_rate",
        "systolic_bp",
        "diastolic_bp",
        "respiratory_rate",
        "oxygen_saturation",
        *Labs.model_fields,
    }
)
CATEGORICAL_INPUTS: Mapping[str, tuple[str | bool, ...]] = MappingProxyType(
    {
        "consciousness": CONSCIOUSNESS_LEVELS,
        "supplemental_oxygen": (False, True),
        "sex": get_args(Sex),
    }
)
OXYGEN_INPUT = "supplemental_oxygen"
OXYGEN_STATES: Mapping[str, bool] = MappingProxyType({"air": False, "oxygen": True})
OUTCOME_FIELDS = ("risk", "advice", "probability", "mortality")
RESULT_FIELDS = frozenset({"components", "missing", "complete", "scale", "source", *OUTCOME_FIELDS})

SnakeId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
Category = str | bool
Value = float | str | bool


# ---------------------------------------------------------------- table format


class _TableModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Range(_TableModel):
    """Bounds as a published table prints them: ``at_least``/``at_most`` include the edge,
    ``above``/``below`` exclude it; a side left out is open."""

    at_least: float | None = None
    above: float | None = None
    at_most: float | None = None
    below: float | None = None

    @property
    def lower(self) -> tuple[float, bool] | None:
        """The lower edge and whether it is included, or None when open."""
        if self.at_least is not None:
            return self.at_least, True
        return None if self.above is None else (self.above, False)

    @property
    def upper(self) -> tuple[float, bool] | None:
        if self.at_most is not None:
            return self.at_most, True
        return None if self.below is None else (self.below, False)

    @property
    def bounded(self) -> bool:
        return self.lower is not None or self.upper is not None

    def contains(self, value: float) -> bool:
        lower, upper = self.lower, self.upper
        if lower is not None and (value < lower[0] or (value == lower[0] and not lower[1])):
            return False
        return upper is None or value < upper[0] or (value == upper[0] and upper[1])

    @model_validator(mode="after")
    def _one_edge_per_side_and_not_empty(self) -> Range:
        if self.at_least is not None and self.above is not None:
            raise ValueError("give at_least or above, not both")
        if self.at_most is not None and self.below is not None:
            raise ValueError("give at_most or below, not both")
        lower, upper = self.lower, self.upper
        if lower and upper:
            touching = lower[0] == upper[0] and lower[1] and upper[1]
            if lower[0] > upper[0] or (lower[0] == upper[0] and not touching):
                raise ValueError(f"the range {describe_range(self)} holds no value")
        return self


def describe_range(bounds: Range) -> str:
    """``at_least 9, at_most 11`` as the table spells it, for error messages."""
    parts = [
        f"{name} {value:g}"
        for name in ("at_least", "above", "at_most", "below")
        if (value := getattr(bounds, name)) is not None
    ]
    return ", ".join(parts) or "any value"


def _check_categories(input_name: str, values: Iterable[Category]) -> None:
    domain = CATEGORICAL_INPUTS[input_name]
    unknown = [
        value for value in values if value not in domain or type(value) is not type(domain[0])
    ]
    if unknown:
        raise ValueError(f"{input_name} cannot be {unknown[0]!r}: it is one of {list(domain)}")


def _check_input_known(input_name: str) -> None:
    if input_name not in NUMERIC_INPUTS and input_name not in CATEGORICAL_INPUTS:
        known = sorted(NUMERIC_INPUTS | set(CATEGORICAL_INPUTS))
        raise ValueError(f"unknown input {input_name!r}; inputs are {', '.join(known)}")


def _check_input_test(input_name: str, bounds: Range, values: tuple[Category, ...] | None) -> None:
    """A measured input must exist, and be compared as a number or a category as it is one."""
    _check_input_known(input_name)
    if input_name in NUMERIC_INPUTS:
        if values is not None:
            raise ValueError(f"{input_name} is a number: compare it with at_least/above/...")
        return
    if bounds.bounded:
        raise ValueError(f"{input_name} is a category: list its values under `in`")
    _check_categories(input_name, values or ())


class Condition(Range):
    """One test: an input compared, an input known or not, a finding, or a combination."""

    input: str | None = None
    known: bool | None = None
    values: tuple[Category, ...] | None = Field(None, alias="in", min_length=1)
    finding: SnakeId | None = None
    present: bool = True
    any_of: tuple[Condition, ...] | None = Field(None, min_length=1)
    all_of: tuple[Condition, ...] | None = Field(None, min_length=1)
    first_known: tuple[Condition, ...] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _exactly_one_test(self) -> Condition:
        kinds = ("input", "finding", "any_of", "all_of", "first_known")
        given = [kind for kind in kinds if getattr(self, kind) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(kinds)}")
        if given[0] != "finding" and "present" in self.model_fields_set:
            raise ValueError("present belongs with finding")
        if given[0] == "input":
            self._check_input_comparison()
        elif self.bounded or self.values is not None or self.known is not None:
            raise ValueError(f"{given[0]} takes no comparison; put it in an input condition")
        return self

    def _check_input_comparison(self) -> None:
        comparisons = [self.bounded, self.values is not None, self.known is not None]
        if sum(comparisons) != 1:
            raise ValueError("an input condition needs one of: bounds, `in`, or `known`")
        if self.known is None:
            _check_input_test(self.input or "", self, self.values)
        else:
            _check_input_known(self.input or "")

    def findings(self) -> Iterator[str]:
        """Every finding id this condition reads."""
        if self.finding is not None:
            yield self.finding
        for part in (*(self.any_of or ()), *(self.all_of or ()), *(self.first_known or ())):
            yield from part.findings()


class Band(Range):
    """One cell of a chart: a range (or categories) and the points it scores."""

    values: tuple[Category, ...] | None = Field(None, alias="in", min_length=1)
    breathing: Literal["air", "oxygen"] | None = None
    points: int = Field(ge=-10, le=10)
    label: Text | None = None

    @model_validator(mode="after")
    def _range_or_categories(self) -> Band:
        if self.values is not None and self.bounded:
            raise ValueError("a band is a range or a list under `in`, not both")
        return self

    def applies_on(self, oxygen: bool | None) -> bool:
        return self.breathing is None or oxygen is None or OXYGEN_STATES[self.breathing] == oxygen


def _decimal(value: float) -> Decimal:
    return Decimal(repr(value))


def _touches(upper: tuple[float, bool], lower: tuple[float, bool], step: float | None) -> bool:
    """Whether a band ending at ``upper`` is followed without gap or overlap by one at ``lower``.

    Charts print inclusive neighbours (``9-11``, ``12-20``): they meet one resolution step apart,
    which is why such a row must declare its ``resolution``.
    """
    if upper[1] != lower[1]:
        return upper[0] == lower[0]
    if not (upper[1] and step):
        return False
    return _decimal(lower[0]) - _decimal(upper[0]) == _decimal(step)


def _check_numeric_row(bands: list[Band], step: float | None, where: str) -> None:
    ordered = sorted(bands, key=lambda band: -float("inf") if not band.lower else band.lower[0])
    if ordered[0].lower is not None:
        raise ValueError(f"{where}: no band below {describe_range(ordered[0])}")
    if ordered[-1].upper is not None:
        raise ValueError(f"{where}: no band above {describe_range(ordered[-1])}")
    for before, after in itertools.pairwise(ordered):
        if (
            before.upper is None
            or after.lower is None
            or not _touches(before.upper, after.lower, step)
        ):
            pair = f"{describe_range(before)} and {describe_range(after)}"
            raise ValueError(f"{where}: gap or overlap between the bands {pair}")


def _check_category_row(input_name: str, bands: list[Band], where: str) -> None:
    seen: list[Category] = [value for band in bands for value in band.values or ()]
    _check_categories(input_name, seen)
    for value in CATEGORICAL_INPUTS[input_name]:
        if seen.count(value) != 1:
            verb = "no band scores" if value not in seen else "more than one band scores"
            raise ValueError(f"{where}: {verb} {input_name} {value!r}")


def _check_row(input_name: str, bands: tuple[Band, ...], step: float | None, where: str) -> None:
    """Every possible value of the input falls in exactly one band (per oxygen state)."""
    categorical = input_name in CATEGORICAL_INPUTS
    for band in bands:
        if categorical != (band.values is not None):
            kind = "a list under `in`" if categorical else "a range"
            raise ValueError(f"{where}: every band of {input_name} must be {kind}")
    states: tuple[bool | None, ...] = (False, True) if any(b.breathing for b in bands) else (None,)
    for oxygen in states:
        row = [band for band in bands if band.applies_on(oxygen)]
        here = where if oxygen is None else f"{where} (on {'oxygen' if oxygen else 'air'})"
        if categorical:
            _check_category_row(input_name, row, here)
        else:
            _check_numeric_row(row, step, here)


class Item(_TableModel):
    """One row of a score: banded (``input`` + ``bands``/``scales``) or a criterion
    (``points`` + ``when``)."""

    id: SnakeId
    label: Text
    source: SnakeId | None = None
    input: str | None = None
    resolution: float | None = Field(None, gt=0)
    bands: tuple[Band, ...] | None = Field(None, min_length=1)
    scales: dict[int, Annotated[tuple[Band, ...], Field(min_length=1)]] | None = Field(
        None, min_length=1
    )
    points: int | None = Field(None, ge=-10, le=10)
    when: Condition | None = None

    @model_validator(mode="after")
    def _banded_or_criterion(self) -> Item:
        if self.input is None:
            if self.points is None or self.when is None:
                raise ValueError("an item needs input and bands, or points and when")
            if self.bands or self.scales or self.resolution:
                raise ValueError("a criterion (points + when) has no bands, scales or resolution")
            return self
        if self.points is not None or self.when is not None:
            raise ValueError("a banded item (input) has no points or when: its bands score")
        if (self.bands is None) == (self.scales is None):
            raise ValueError("a banded item needs exactly one of bands or scales")
        _check_input_known(self.input)
        for scale, bands in self.band_rows():
            _check_row(self.input, bands, self.resolution, _row_name(scale))
        return self

    def band_rows(self) -> Iterator[tuple[int | None, tuple[Band, ...]]]:
        if self.bands is not None:
            yield None, self.bands
        yield from (self.scales or {}).items()

    def possible_points(self, scale: int | None = None) -> set[int]:
        """Every score the item can give (on one scale, or on any when ``scale`` is None)."""
        if self.points is not None:
            return {0, self.points}
        rows = [bands for row, bands in self.band_rows() if scale is None or row in (None, scale)]
        return {band.points for bands in rows for band in bands}


def _row_name(scale: int | None) -> str:
    return "bands" if scale is None else f"scales.{scale}"


class Reading(Range):
    """A condition on the result: the total within the range and, when given, some item scoring
    at least ``any_item_points`` (the NEWS2 red score)."""

    any_item_points: int | None = None

    def holds(self, total: int, top_item: int | None) -> bool:
        """Whether the reading holds for this total, ``top_item`` being the highest item score."""
        if not self.contains(total):
            return False
        threshold = self.any_item_points
        return threshold is None or (top_item is not None and top_item >= threshold)


class Outcome(Reading):
    """What the source says a result means; the first outcome that holds applies."""

    risk: Text | None = None
    advice: Text | None = None
    probability: Text | None = None
    mortality: Text | None = None
    source: SnakeId | None = None

    @model_validator(mode="after")
    def _says_something(self) -> Outcome:
        if all(getattr(self, name) is None for name in OUTCOME_FIELDS):
            raise ValueError(f"an outcome gives at least one of {', '.join(OUTCOME_FIELDS)}")
        return self


class ScoreTable(_TableModel):
    """A published score: its items, when it is reported, and what its results mean.

    Fields validate in this order, so each check below can rely on the fields before it.
    """

    id: SnakeId
    name: Text
    source: SnakeId
    score_name: SnakeId = "score"
    scales: tuple[int, ...] | None = Field(None, min_length=1)
    report_when: tuple[Condition, ...] = ()
    items: tuple[Item, ...] = Field(min_length=1)
    report_when_any_known: tuple[SnakeId, ...] | None = Field(None, min_length=1)
    flags: dict[SnakeId, Reading] = {}
    outcomes: tuple[Outcome, ...] = ()
    note: Text | None = None

    @field_validator("items")
    @classmethod
    def _items_unique_and_on_the_declared_scales(
        cls, items: tuple[Item, ...], info: ValidationInfo
    ) -> tuple[Item, ...]:
        ids = [item.id for item in items]
        if duplicate := next((i for i in ids if ids.count(i) > 1), None):
            raise ValueError(f"{duplicate!r} is listed twice")
        declared = set(info.data.get("scales") or ())
        for item in items:
            if item.scales is not None and set(item.scales) != declared:
                given = sorted(item.scales)
                raise ValueError(
                    f"{item.id} gives scales {given}, the table declares {sorted(declared)}"
                )
        return items

    @field_validator("report_when_any_known")
    @classmethod
    def _names_items(
        cls, names: tuple[str, ...] | None, info: ValidationInfo
    ) -> tuple[str, ...] | None:
        ids = {item.id for item in info.data.get("items", ())}
        if ids and (unknown := [name for name in names or () if name not in ids]):
            raise ValueError(f"{unknown[0]!r} is not an item id")
        return names

    @field_validator("flags")
    @classmethod
    def _flags_do_not_shadow_result_fields(
        cls, flags: dict[str, Reading], info: ValidationInfo
    ) -> dict[str, Reading]:
        taken = RESULT_FIELDS | {info.data.get("score_name", "score")}
        if clash := sorted(set(flags) & taken):
            raise ValueError(f"{clash[0]!r} is already a field of the result")
        return flags

    @field_validator("outcomes")
    @classmethod
    def _outcomes_cover_every_total(
        cls, outcomes: tuple[Outcome, ...], info: ValidationInfo
    ) -> tuple[Outcome, ...]:
        """Outcomes without an item condition must say what every reachable total means."""
        items = info.data.get("items")
        if not outcomes or not items:
            return outcomes
        plain = [outcome for outcome in outcomes if outcome.any_item_points is None]
        points = [item.possible_points() for item in items]
        for total in range(sum(min(p) for p in points), sum(max(p) for p in points) + 1):
            if not any(outcome.contains(total) for outcome in plain):
                raise ValueError(f"no outcome covers a total of {total}")
        return outcomes

    def default_scale(self) -> int | None:
        return self.scales[0] if self.scales else None

    def references(self) -> Iterator[tuple[str, str, str]]:
        """``(field, kind, id)`` for every source and finding the table cites."""
        yield "source", "source", self.source
        for index, condition in enumerate(self.report_when):
            for finding in condition.findings():
                yield f"report_when.{index}", "finding", finding
        for item in self.items:
            if item.source:
                yield f"items.{item.id}.source", "source", item.source
            for finding in item.when.findings() if item.when else ():
                yield f"items.{item.id}.when", "finding", finding
        for index, outcome in enumerate(self.outcomes):
            if outcome.source:
                yield f"outcomes.{index}.source", "source", outcome.source


# ---------------------------------------------------------------- loading


def load_score_tables(
    directory: Path,
    *,
    source_ids: Collection[str] | None = None,
    finding_ids: Collection[str] | None = None,
) -> dict[str, ScoreTable]:
    """Every table in ``directory/*.yaml`` (top-level key ``scores:``), validated, by score id.

    When ``source_ids`` or ``finding_ids`` are given, every source and finding a table cites must
    be among them. Any problem raises :class:`KnowledgeBaseError` as
    ``<file>: entry '<score id>': field '<field>': <message>``.
    """
    tables: dict[str, ScoreTable] = {}
    defined_in: dict[str, str] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        relative = f"{path.parent.name}/{path.name}"
        for table in _tables_in(path, relative):
            if table.id in tables:
                message = f"{table.id!r} is already defined in {defined_in[table.id]}"
                raise _error(relative, table.id, "id", message)
            _check_references(relative, table, source_ids, finding_ids)
            tables[table.id] = table
            defined_in[table.id] = relative
    if not tables:
        raise KnowledgeBaseError(f"{directory}: no score tables (*.yaml with `{SCORES_KEY}:`)")
    return tables


@functools.cache
def bundled_score_tables() -> Mapping[str, ScoreTable]:
    """The tables shipped in ``knowledge/scores``, loaded once (read-only)."""
    return MappingProxyType(load_score_tables(SCORES_DIR))


def _error(relative: str, entry: str, field_path: str, message: str) -> KnowledgeBaseError:
    location = f"{relative}: entry {entry!r}"
    if field_path:
        location += f": field {field_path!r}"
    return KnowledgeBaseError(f"{location}: {message}")


def _read(path: Path, relative: str) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise KnowledgeBaseError(f"{relative}: not valid YAML: {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise KnowledgeBaseError(f"{relative}: cannot be read: {error}") from None


def _tables_in(path: Path, relative: str) -> Iterator[ScoreTable]:
    document = _read(path, relative)
    if not isinstance(document, dict) or set(document) != {SCORES_KEY}:
        found = sorted(document) if isinstance(document, dict) else type(document).__name__
        raise KnowledgeBaseError(
            f"{relative}: must hold exactly one top-level key 'scores', found {found}"
        )
    entries = document[SCORES_KEY]
    if not isinstance(entries, list):
        raise KnowledgeBaseError(f"{relative}: `scores` must be a list of score tables")
    for index, entry in enumerate(entries):
        name = entry.get("id") if isinstance(entry, dict) else None
        name = name if isinstance(name, str) else f"#{index + 1}"
        try:
            yield ScoreTable.model_validate(entry)
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            message = first["msg"].removeprefix("Value error, ")
            raise _error(relative, name, _field_path(entry, first["loc"]), message) from None


def _field_path(entry: Any, location: tuple[Any, ...]) -> str:
    """Pydantic's location with each list index replaced by that element's id where it has one,
    so an error reads ``items.temperature.bands.2`` rather than ``items.6.bands.2``."""
    parts: list[str] = []
    node = entry
    for part in location:
        child = _child(node, part)
        named = (
            isinstance(part, int) and isinstance(child, dict) and isinstance(child.get("id"), str)
        )
        parts.append(child["id"] if named else str(part))
        node = child
    return ".".join(parts)


def _child(node: Any, part: Any) -> Any:
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return node.get(part) if isinstance(node, dict) else None


def _check_references(
    relative: str,
    table: ScoreTable,
    source_ids: Collection[str] | None,
    finding_ids: Collection[str] | None,
) -> None:
    known = {"source": source_ids, "finding": finding_ids}
    for field_path, kind, reference in table.references():
        ids = known[kind]
        if ids is not None and reference not in ids:
            raise _error(relative, table.id, field_path, f"unknown {kind} {reference!r}")


# ---------------------------------------------------------------- scoring


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
        vitals = request.vitals or Vitals()
        values: dict[str, Value | None] = {
            name: getattr(vitals, name) for name in Vitals.model_fields if name != "blood_pressure"
        }
        values |= {"systolic_bp": vitals.systolic_bp, "diastolic_bp": vitals.diastolic_bp}
        values |= (request.labs.model_dump() if request.labs else {}) | {
            "age": request.history.age,
            "sex": request.history.sex,
        }
        return cls.of(values, present, absent)


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
    step = _decimal(resolution)
    return float((_decimal(value) / step).quantize(Decimal(1), ROUND_HALF_UP) * step)


def _band_points(bands: tuple[Band, ...], value: Value, oxygen: bool | None) -> int:
    for band in bands:
        if not band.applies_on(oxygen):
            continue
        if band.values is not None and value in band.values:
            return band.points
        if band.values is None and not isinstance(value, str) and band.contains(float(value)):
            return band.points
    raise ValueError(f"no band scores {value!r}")


def _item_points(item: Item, seen: Observations, scale: int | None) -> int | None:
    """The points an item scores, or None when it cannot be scored from what is known."""
    if item.when is not None:
        met = _test(item.when, seen)
        return None if met is None else (item.points if met else 0)
    value = seen.values.get(item.input or "")
    if value is None:
        return None
    bands = item.bands if item.bands is not None else (item.scales or {})[scale or 0]
    if not isinstance(value, str | bool):
        value = _rounded(float(value), item.resolution)
    oxygen = seen.values.get(OXYGEN_INPUT)
    states = (
        [oxygen]
        if isinstance(oxygen, bool) or not any(b.breathing for b in bands)
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


def _reachable(
    components: Mapping[str, int], missing: Iterable[Item], scale: int | None
) -> set[tuple[int, int | None]]:
    """Every ``(total, highest item score)`` the missing items could still bring about."""
    reachable = {(sum(components.values()), max(components.values(), default=None))}
    for item in missing:
        options = item.possible_points(scale)
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

    The total adds the items that could be scored. An outcome field (risk, advice, ...) or a flag
    is given only when every way the missing items could score leads to the same answer, and is
    None otherwise: a partial NEWS2 of 0 is not "low risk", while one item scoring 3 already makes
    ``red_score`` true.
    """
    scale = _scale_for(table, scale)
    scored = {item.id: _item_points(item, seen, scale) for item in table.items}
    components = {item_id: points for item_id, points in scored.items() if points is not None}
    missing = [item for item in table.items if scored[item.id] is None]
    reachable = _reachable(components, missing, scale)
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


def compute_scores(
    request: DiagnosisRequest,
    present: Collection[str],
    absent: Collection[str],
    tables: Mapping[str, ScoreTable],
    *,
    scales: Mapping[str, int] | None = None,
) -> dict[str, dict[str, Any]]:
    """The wire ``scores`` dict: every table that applies to this request, by score id.

    ``present``/``absent`` are finding ids known present or absent (derived vital-sign findings
    included). ``scales`` picks a table's alternative scale, e.g. ``{"news2": 2}`` for a patient
    with hypercapnic respiratory failure whose target SpO2 is 88-92%; the default is the first.
    """
    seen = Observations.from_request(request, present, absent)
    chosen = scales or {}
    return {
        table_id: evaluate_score(table, seen, scale=chosen.get(table_id))
        for table_id, table in tables.items()
        if is_reported(table, seen)
    }


# ---------------------------------------------------------------- single scores from plain values


def _acvpu(consciousness: str | None) -> str | None:
    """``A``/``alert``/... as the request model normalises it (one validator for both paths)."""
    return None if consciousness is None else Vitals(consciousness=consciousness).consciousness


def _findings(**known: bool | None) -> tuple[set[str], set[str]]:
    present = {finding for finding, value in known.items() if value is True}
    absent = {finding for finding, value in known.items() if value is False}
    return present, absent


def _score(
    score_id: str,
    tables: Mapping[str, ScoreTable] | None,
    values: Mapping[str, Value | None],
    findings: tuple[Iterable[str], Iterable[str]] = ((), ()),
    scale: int | None = None,
) -> dict[str, Any]:
    table = (tables if tables is not None else bundled_score_tables())[score_id]
    return evaluate_score(table, Observations.of(values, *findings), scale=scale)


def news2_score(
    *,
    respiratory_rate: float | None = None,
    oxygen_saturation: float | None = None,
    supplemental_oxygen: bool | None = None,
    temperature: float | None = None,
    systolic_bp: float | None = None,
    heart_rate: float | None = None,
    consciousness: str | None = None,
    scale: int = 1,
    tables: Mapping[str, ScoreTable] | None = None,
) -> dict[str, Any]:
    """NEWS2 from plain values; scale 2 is the SpO2 scale for hypercapnic respiratory failure."""
    values = {
        "respiratory_rate": respiratory_rate,
        "oxygen_saturation": oxygen_saturation,
        "supplemental_oxygen": supplemental_oxygen,
        "temperature": temperature,
        "systolic_bp": systolic_bp,
        "heart_rate": heart_rate,
        "consciousness": _acvpu(consciousness),
    }
    return _score("news2", tables, values, scale=scale)


def qsofa_score(
    *,
    respiratory_rate: float | None = None,
    systolic_bp: float | None = None,
    consciousness: str | None = None,
    altered_consciousness: bool | None = None,
    tables: Mapping[str, ScoreTable] | None = None,
) -> dict[str, Any]:
    """qSOFA; altered mentation from the ACVPU level, else from the finding when it is known."""
    values = {
        "respiratory_rate": respiratory_rate,
        "systolic_bp": systolic_bp,
        "consciousness": _acvpu(consciousness),
    }
    findings = _findings(altered_consciousness=altered_consciousness)
    return _score("qsofa", tables, values, findings)


def curb65_score(
    *,
    consciousness: str | None = None,
    altered_consciousness: bool | None = None,
    urea_mmol_l: float | None = None,
    respiratory_rate: float | None = None,
    systolic_bp: float | None = None,
    diastolic_bp: float | None = None,
    age: float | None = None,
    tables: Mapping[str, ScoreTable] | None = None,
) -> dict[str, Any]:
    """CURB-65 (hospital, with urea); ``altered_consciousness`` is new confusion (AMT 8 or less)."""
    values = _pneumonia_values(consciousness, respiratory_rate, systolic_bp, diastolic_bp, age)
    findings = _findings(altered_consciousness=altered_consciousness)
    return _score("curb65", tables, values | {"urea_mmol_l": urea_mmol_l}, findings)


def crb65_score(
    *,
    consciousness: str | None = None,
    altered_consciousness: bool | None = None,
    respiratory_rate: float | None = None,
    systolic_bp: float | None = None,
    diastolic_bp: float | None = None,
    age: float | None = None,
    tables: Mapping[str, ScoreTable] | None = None,
) -> dict[str, Any]:
    """CRB-65 (primary care, no urea)."""
    values = _pneumonia_values(consciousness, respiratory_rate, systolic_bp, diastolic_bp, age)
    findings = _findings(altered_consciousness=altered_consciousness)
    return _score("crb65", tables, values, findings)


def _pneumonia_values(
    consciousness: str | None,
    respiratory_rate: float | None,
    systolic_bp: float | None,
    diastolic_bp: float | None,
    age: float | None,
) -> dict[str, Value | None]:
    return {
        "consciousness": _acvpu(consciousness),
        "respiratory_rate": respiratory_rate,
        "systolic_bp": systolic_bp,
        "diastolic_bp": diastolic_bp,
        "age": age,
    }


def centor_score(
    *,
    tonsillar_exudate: bool | None = None,
    neck_lymphadenopathy: bool | None = None,
    fever: bool | None = None,
    cough: bool | None = None,
    temperature: float | None = None,
    tables: Mapping[str, ScoreTable] | None = None,
) -> dict[str, Any]:
    """Centor; each argument is a finding known present (True) or absent (False)."""
    findings = _findings(
        tonsillar_exudate=tonsillar_exudate,
        neck_lymphadenopathy=neck_lymphadenopathy,
        fever=fever,
        cough=cough,
    )
    return _score("centor", tables, {"temperature": temperature}, findings)


def mcisaac_score(
    *,
    age: float | None = None,
    tonsillar_exudate: bool | None = None,
    neck_lymphadenopathy: bool | None = None,
    fever: bool | None = None,
    cough: bool | None = None,
    temperature: float | None = None,
    tables: Mapping[str, ScoreTable] | None = None,
) -> dict[str, Any]:
    """McIsaac (Centor with an age item); findings as for :func:`centor_score`."""
    findings = _findings(
        tonsillar_exudate=tonsillar_exudate,
        neck_lymphadenopathy=neck_lymphadenopathy,
        fever=fever,
        cough=cough,
    )
    return _score("mcisaac", tables, {"temperature": temperature, "age": age}, findings)
