"""Score tables (``knowledge/scores/*.yaml``): their declared format and their loader.

Every band edge, point and risk group of a published score (NEWS2, qSOFA, CURB-65, CRB-65, Centor,
McIsaac, Bedside PEWS) lives in a table beside the source that published it; no clinical threshold
is in code. A table is validated when it loads (a gap or overlap between bands, a total no outcome
covers, or an unknown input is refused with the file, the score and the field):

- an *item* is either a row of bands (``at_least``/``at_most`` inclusive, ``above``/``below``
  exclusive, ``in`` for a category), as in the NEWS2 chart, or a criterion worth ``points`` when its
  condition holds, as in "1 point for each of the following";
- a *condition* tests a measured input (vital sign, lab, age), or a finding known present or
  absent, or combines conditions (``any_of``, ``all_of``, ``first_known``);
- *outcomes* map the total (and, for the NEWS2 red score, any single item's points) to the risk
  and advice of the source, first match wins; *flags* are named yes/no readings of the same kind;
- an item the request can tell only in part is *partly scored*: a band with ``up_to`` stands for
  several cells of the published row that the request cannot tell apart (Bedside PEWS oxygen
  therapy: the request says oxygen, not its flow), and a criterion with ``unmet_up_to`` is one
  whose absence does not settle the item (Bedside PEWS respiratory effort: any apnoea scores 4,
  but a child without apnoea may still breathe with increased effort). Such an item counts the
  points it scores at least and is listed as missing, so the total is a floor.

How a table scores a patient is :mod:`clinical.engine.diagnosis.scores`.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal

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
from clinical.engine.contract.fields import CATEGORICAL_INPUTS, NUMERIC_INPUTS
from clinical.engine.contract.results import SCORE_RESULTS

SCORES_KEY = "scores"

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
    """One cell of a chart: a range (or categories) and the points it scores.

    With ``up_to``, the band stands for several cells of the published row that the request
    cannot tell apart: it scores at least ``points`` and at most ``up_to``."""

    values: tuple[Category, ...] | None = Field(None, alias="in", min_length=1)
    breathing: Literal["air", "oxygen"] | None = None
    points: int = Field(ge=-10, le=10)
    up_to: int | None = Field(None, ge=-10, le=10)
    label: Text | None = None

    @model_validator(mode="after")
    def _range_or_categories(self) -> Band:
        if self.values is not None and self.bounded:
            raise ValueError("a band is a range or a list under `in`, not both")
        if self.up_to is not None and self.up_to <= self.points:
            raise ValueError(f"up_to ({self.up_to}) must be above the band's points")
        return self

    def applies_on(self, oxygen: bool | None) -> bool:
        return self.breathing is None or oxygen is None or OXYGEN_STATES[self.breathing] == oxygen


def decimal(value: float) -> Decimal:
    """A float as the decimal it is written as (0.1, not 0.1000000000000000055...)."""
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
    return decimal(lower[0]) - decimal(upper[0]) == decimal(step)


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
    (``points`` + ``when``; ``unmet_up_to`` when the criterion not holding leaves the item
    anywhere from 0 to that, rather than 0)."""

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
    unmet_up_to: int | None = Field(None, gt=0, le=10)

    @model_validator(mode="after")
    def _banded_or_criterion(self) -> Item:
        if self.input is None:
            if self.points is None or self.when is None:
                raise ValueError("an item needs input and bands, or points and when")
            if self.bands or self.scales or self.resolution:
                raise ValueError("a criterion (points + when) has no bands, scales or resolution")
            return self
        if self.points is not None or self.when is not None or self.unmet_up_to is not None:
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
            return {0, self.points} | ({self.unmet_up_to} if self.unmet_up_to else set())
        rows = [bands for row, bands in self.band_rows() if scale is None or row in (None, scale)]
        ends = [(band.points, band.up_to) for bands in rows for band in bands]
        return {points for pair in ends for points in pair if points is not None}


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

    def result_keys(self) -> set[str]:
        """The keys of the result this table's evaluation sends."""
        used = {name for name in OUTCOME_FIELDS if any(getattr(o, name) for o in self.outcomes)}
        keys = {self.score_name, "components", "missing", "complete", "source"}
        return keys | used | set(self.flags) | ({"scale"} if self.scales else set())

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
            _check_result_shape(relative, table)
            tables[table.id] = table
            defined_in[table.id] = relative
    if not tables:
        raise KnowledgeBaseError(f"{directory}: no score tables (*.yaml with `{SCORES_KEY}:`)")
    return tables


def _check_result_shape(relative: str, table: ScoreTable) -> None:
    """The table's result must have the shape the contract declares for its score, so a table
    edited in the data cannot send what the OpenAPI and the stored results do not describe."""
    shape = SCORE_RESULTS.get(table.id)
    if shape is None:
        known = ", ".join(sorted(SCORE_RESULTS))
        message = f"the engine's contract declares no result for this score (it has {known})"
        raise _error(relative, table.id, "id", message)
    declared = set(shape.__required_keys__ | shape.__optional_keys__)  # type: ignore[attr-defined]
    produced = table.result_keys()
    if produced != declared:
        extra, lacking = sorted(produced - declared), sorted(declared - produced)
        message = f"its result would send {extra} and lack {lacking} of the contract's keys"
        raise _error(relative, table.id, "", message)


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
