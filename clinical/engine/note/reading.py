"""What a note was read as: each mention with its span and certainty, each reading, allergy and
unrecognised item (:func:`clinical.engine.note.read_note` fills it in; :mod:`.report` is what
the wire sends of it)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from clinical.engine.contract.results import Certainty
from clinical.engine.note.allergies import Allergy
from clinical.engine.note.lists import Item
from clinical.engine.note.measures import Reading
from clinical.engine.note.overdose import Ingestion
from clinical.engine.note.terms import TermKind

Onset = Literal["sudden", "gradual"]
UnrecognizedKind = Literal["allergy", "medication", "history"]


@dataclass(frozen=True)
class Mention:
    """A finding, condition or drug the note names, with its certainty."""

    kind: TermKind
    id: str
    label: str
    category: str
    text: str
    start: int
    end: int
    certainty: Certainty
    clause: int
    fuzzy: bool = False
    duration: str | None = None
    onset: Onset | None = None


@dataclass(frozen=True)
class Unread:
    """A phrase of the note that nothing read, with its span (:mod:`.unread`)."""

    text: str
    start: int
    end: int


@dataclass
class NoteReading:
    """Everything read from one note."""

    note: str
    mentions: list[Mention] = field(default_factory=list)
    drugs: list[Mention] = field(default_factory=list)
    readings: list[Reading] = field(default_factory=list)
    timing: list[Reading] = field(default_factory=list)
    allergies: list[Allergy] = field(default_factory=list)
    no_known_allergies: Item | None = None
    unrecognized: list[tuple[UnrecognizedKind, Item]] = field(default_factory=list)
    ingestions: list[Ingestion] = field(default_factory=list)
    unread: list[Unread] = field(default_factory=list)

    def first(self, field_name: str) -> Reading | None:
        return next((item for item in self.readings if item.field == field_name), None)

    def values(self, fields: Iterable[str]) -> dict[str, Any]:
        """The first reading of each field among ``fields``, as request values (a number whose
        unit could not be told is no value)."""
        wanted = set(fields)
        values: dict[str, Any] = {}
        for reading in self.readings:
            if reading.unclear:
                continue
            if reading.field in wanted and reading.field not in values:
                values[reading.field] = reading.value
        return values

    def finding_mentions(self) -> list[Mention]:
        return [mention for mention in self.mentions if mention.kind == "finding"]

    @property
    def empty(self) -> bool:
        return not (
            self.mentions or self.drugs or self.readings or self.timing or self.allergies
        ) and (self.no_known_allergies is None)


@dataclass
class Used:
    """What the engine took from the note: mention and drug positions, reading fields."""

    mentions: set[int] = field(default_factory=set)
    drugs: set[int] = field(default_factory=set)
    fields: set[str] = field(default_factory=set)
