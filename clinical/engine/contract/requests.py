"""The requests the engine accepts: one declared model per request kind, with every field bounded.

These models are the single validator of protocol v1's ``diagnosis`` and ``prescription`` data,
whether it arrives over the WebSocket or by REST: the service calls :func:`parse_diagnosis` or
:func:`parse_prescription` and turns :class:`EngineValidationError` into ``validation_error``.
Bounds are physiological limits (values no living patient can have, so they must be entry errors),
not normal ranges: an abnormal value is the engine's business, an impossible one is a typo.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from clinical.engine.contract.errors import EngineValidationError
from clinical.engine.contract.fields import (
    ACVPU_LETTERS,
    CONSCIOUSNESS_LEVELS,
    DIASTOLIC_BOUNDS,
    LABS,
    MEASURES,
    SYSTOLIC_BOUNDS,
    VITAL_NAMES,
    Measure,
    Sex,
)
from clinical.engine.contract.results import Severity

MAX_NOTE_CHARS = 10_000
MAX_SYMPTOMS = 50
MAX_LIST_ITEMS = 50
MAX_NAME_CHARS = 200


# Unicode's control characters (category Cc: U+0000-U+001F and U+007F-U+009F) but tab, newline
# and carriage return, which a note may hold.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _printable(value: str) -> str:
    """Strip the text and refuse control characters (NUL, escape sequences, ...)."""
    value = unicodedata.normalize("NFC", value).strip()
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _single_line(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError("must be a single line")
    return value


def refuse_invisible(value: str) -> str:
    """Refuse Unicode's invisible formatting characters (category Cf) in a name: a right-to-left
    override (U+202E) or a zero-width space (U+200B) makes a name read differently from what it
    is, in the admin, an export or a log. A note may hold them (pasted text does); it is read,
    not shown as a name."""
    for character in value:
        if unicodedata.category(character) == "Cf":
            code = f"U+{ord(character):04X}"
            raise ValueError(f"must not contain invisible formatting characters ({code})")
    return value


Name = Annotated[
    str,
    Field(min_length=1, max_length=MAX_NAME_CHARS),
    AfterValidator(_printable),
    AfterValidator(_single_line),
    AfterValidator(refuse_invisible),
]


def _require_non_blank(value: str) -> str:
    if not value:
        raise ValueError("must not be blank")
    return value


NonEmptyName = Annotated[Name, AfterValidator(_require_non_blank)]

# A clinical note or a patient's own words: many lines, no control characters, bounded.
NoteText = Annotated[str, Field(max_length=MAX_NOTE_CHARS), AfterValidator(_printable)]


class _Strict(BaseModel):
    """Unknown fields are errors, numbers must be finite, types are not coerced."""

    model_config = ConfigDict(
        extra="forbid", strict=True, allow_inf_nan=False, frozen=True, str_max_length=MAX_NOTE_CHARS
    )


class Symptom(_Strict):
    """A finding the clinician states. ``status`` overrides what the name says: ``absent`` for a
    finding ruled out, ``unknown`` for one set aside (neither present nor absent, and a reading
    of it in the note is overruled, as any structured field overrules the note)."""

    name: NonEmptyName
    severity: Severity | None = None
    duration: Annotated[str, Field(max_length=100), AfterValidator(_printable)] | None = None
    status: Literal["present", "absent", "unknown"] | None = None


_BLOOD_PRESSURE = re.compile(r"^\s*(\d{2,3})\s*/\s*(\d{2,3})\s*$")


def _bounded(measure: Measure) -> Any:
    """A measurement's optional request field: a finite number within its physiological bounds."""
    return Field(None, ge=measure.minimum, le=measure.maximum, description=measure.description)


def _vital(name: str, **constraints: Any) -> Any:
    """The request field of the vital sign ``name``, as the field registry describes it."""
    measure = MEASURES[name]
    if measure.kind == "number":
        return _bounded(measure)
    return Field(None, description=measure.description, **constraints)


class Vitals(_Strict):
    """Vital signs, each optional; units are fixed by the protocol. The engine reads them by name,
    so they are declared here, each with the field registry's bounds and description (a test
    holds the names to the registry's, in its order)."""

    temperature: float | None = _vital("temperature")
    heart_rate: float | None = _vital("heart_rate")
    blood_pressure: str | None = _vital("blood_pressure", max_length=9)
    respiratory_rate: float | None = _vital("respiratory_rate")
    oxygen_saturation: float | None = _vital("oxygen_saturation")
    supplemental_oxygen: bool | None = _vital("supplemental_oxygen")
    consciousness: str | None = _vital("consciousness", max_length=12)

    @field_validator("blood_pressure")
    @classmethod
    def _blood_pressure_is_systolic_over_diastolic(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = _BLOOD_PRESSURE.match(value)
        if not match:
            raise ValueError('must be "systolic/diastolic" in mmHg, e.g. "120/80"')
        systolic, diastolic = int(match[1]), int(match[2])
        if not SYSTOLIC_BOUNDS[0] <= systolic <= SYSTOLIC_BOUNDS[1]:
            raise ValueError("systolic must be between {} and {} mmHg".format(*SYSTOLIC_BOUNDS))
        if not DIASTOLIC_BOUNDS[0] <= diastolic <= DIASTOLIC_BOUNDS[1]:
            raise ValueError("diastolic must be between {} and {} mmHg".format(*DIASTOLIC_BOUNDS))
        if diastolic >= systolic:
            raise ValueError("diastolic must be lower than systolic")
        return f"{systolic}/{diastolic}"

    @field_validator("consciousness")
    @classmethod
    def _consciousness_is_acvpu(cls, value: str | None) -> str | None:
        if value is None:
            return None
        word = value.strip().lower()
        word = ACVPU_LETTERS.get(word, word)
        if word not in CONSCIOUSNESS_LEVELS:
            raise ValueError(
                "must be one of alert, confused, voice, pain, unresponsive (or A, C, V, P, U)"
            )
        return word

    @property
    def systolic_bp(self) -> int | None:
        return int(self.blood_pressure.split("/")[0]) if self.blood_pressure else None

    @property
    def diastolic_bp(self) -> int | None:
        return int(self.blood_pressure.split("/")[1]) if self.blood_pressure else None

    def inputs(self) -> dict[str, float | str | bool | None]:
        """The vital signs as the inputs derived findings and scores test (blood pressure as its
        two parts)."""
        values: dict[str, float | str | bool | None] = {
            name: getattr(self, name) for name in VITAL_NAMES if name != "blood_pressure"
        }
        return values | {"systolic_bp": self.systolic_bp, "diastolic_bp": self.diastolic_bp}


_LAB_FIELDS: dict[str, Any] = {m.name: (float | None, _bounded(m)) for m in LABS}
Labs = create_model(
    "Labs",
    __base__=_Strict,
    __doc__="Laboratory results; each key names its unit, its range what a sample can show.",
    **_LAB_FIELDS,
)


NameList = Annotated[list[NonEmptyName], Field(max_length=MAX_LIST_ITEMS)]


class History(_Strict):
    """What the clinician states of the patient's history. Age and sex may be left out when the
    request has a note: the note's fill them (a structured value wins over the note's), and one
    the note does not state either is a labelled fallback (the diagnosis stream). A request
    without a note and without them is refused naming what is missing."""

    age: float | None = Field(
        None, ge=0, le=120, description="years; fractions for infants (0.5 = 6 months)"
    )
    sex: Sex | None = None
    allergies: NameList = []
    conditions: NameList = []
    medications: NameList = []
    pregnant: bool | None = None
    # Weeks of pregnancy, as a note writes them ("34+2", "28/40"): pre-eclampsia is a diagnosis
    # from 20 weeks (NICE NG133), miscarriage one before it.
    gestation_weeks: float | None = Field(
        None, ge=1, le=45, description="weeks of pregnancy (implies pregnant)"
    )
    smoker: bool | None = None

    @model_validator(mode="after")
    def _pregnancy_is_possible(self) -> History:
        if self.gestation_weeks is not None and self.pregnant is False:
            raise ValueError("gestation_weeks is given but pregnant is false")
        if (self.pregnant or self.gestation_weeks is not None) and self.sex == "male":
            raise ValueError("pregnant is true but sex is male")
        if self.pregnant and self.age is not None and self.age < 10:
            raise ValueError("pregnant is true but age is under 10 years")
        return self


class DiagnosisRequest(_Strict):
    symptoms: Annotated[list[Symptom], Field(max_length=MAX_SYMPTOMS)] = []
    vitals: Vitals | None = None
    history: History = History()
    labs: Labs | None = None
    note: NoteText | None = None

    @field_validator("symptoms", mode="before")
    @classmethod
    def _plain_names_are_symptoms(cls, value: Any) -> Any:
        """A symptom may be a plain name as well as an object (protocol v1)."""
        if not isinstance(value, list):
            return value
        return [{"name": item} if isinstance(item, str) else item for item in value]

    @model_validator(mode="after")
    def _something_to_analyse(self) -> DiagnosisRequest:
        if not self.symptoms and not self.note:
            raise ValueError("give at least one symptom or a note")
        return self

    def measured(self) -> dict[str, float | str | bool]:
        """Everything measured about the patient, as the inputs that derived findings and score
        tables test: age and sex, the vital signs (blood pressure as its two parts), the labs."""
        values: dict[str, float | str | bool | None] = {
            "age": self.history.age,
            "sex": self.history.sex,
            "gestation_weeks": self.history.gestation_weeks,
        }  # age or sex may stay unknown when the note does not state it (then left out below)
        if self.vitals is not None:
            values |= self.vitals.inputs()
        if self.labs is not None:
            values |= self.labs.model_dump()
        return {name: value for name, value in values.items() if value is not None}


class NoteReadRequest(_Strict):
    """A note to read on its own, with no diagnosis (the portal's preview before a stream).

    ``note`` is the diagnosis request's own field; it may not be blank here, since a note is all
    there is to read (a diagnosis with only a note refuses a blank one too)."""

    note: Annotated[NoteText, AfterValidator(_require_non_blank)]


class PatientInfo(_Strict):
    """The patient a prescription is for. A gestation (``gestation_weeks``, or ``trimester``)
    says the patient is pregnant; ``breastfeeding`` is a stated fact like ``pregnant`` (true,
    false, or not given: then the checks it decides are asked)."""

    age: float = Field(ge=0, le=120, description="years; fractions for infants")
    weight: float = Field(ge=0.3, le=350, description="kilograms")
    sex: Sex
    egfr: float | None = Field(None, ge=0, le=200, description="mL/min/1.73 m2")
    pregnant: bool | None = None
    gestation_weeks: float | None = Field(
        None, ge=0, le=45, description="completed weeks of pregnancy (34+2 is 34.3)"
    )
    trimester: Literal[1, 2, 3] | None = None
    breastfeeding: bool | None = None

    @model_validator(mode="after")
    def _pregnancy_is_possible(self) -> PatientInfo:
        if self.sex == "male":
            for name in ("pregnant", "breastfeeding"):
                if getattr(self, name):
                    raise ValueError(f"{name} is true but sex is male")
        stated = self.gestation_weeks is not None or self.trimester is not None
        if stated and (self.sex == "male" or self.pregnant is False):
            raise ValueError("a gestation is given but the patient is not pregnant")
        return self

    @property
    def is_pregnant(self) -> bool | None:
        """Pregnant as stated, or as a gestation says; None when the request does not say."""
        if self.gestation_weeks is not None or self.trimester is not None:
            return True
        return self.pregnant


class AllergyEntry(_Strict):
    """An allergy as structured data: what the patient reacted to, and, when known, how and how
    badly. The reaction is read for its type (immediate, severe, non-immediate, intolerance),
    which decides the cross-reactivity rules that apply."""

    substance: NonEmptyName = Field(description='the drug or group: "amoxicillin", "penicillin"')
    reaction: Name | None = Field(None, description='as written: "anaphylaxis", "rash on day 5"')
    severity: Literal["mild", "moderate", "severe"] | None = None

    def as_text(self) -> str:
        """The allergy written on one line: "amoxicillin (rash on day 5, mild)"."""
        detail = ", ".join(part for part in (self.reaction, self.severity) if part)
        return f"{self.substance} ({detail})" if detail else self.substance


def _allergy_kind(value: Any) -> str:
    return "text" if isinstance(value, str) else "entry"


# A name or an object, told apart by type, so that an error names the one the client sent.
Allergy = Annotated[
    Annotated[NonEmptyName, Tag("text")] | Annotated[AllergyEntry, Tag("entry")],
    Discriminator(_allergy_kind),
]
AllergyList = Annotated[
    list[Allergy],
    Field(
        max_length=MAX_LIST_ITEMS,
        description='each a name, with its reaction if known ("penicillin anaphylaxis", '
        '"Augmentin (rash)"), or {substance, reaction?, severity?}',
    ),
]


def allergy_text(item: str | AllergyEntry | dict[str, Any]) -> str:
    """One allergy of a request, parsed or as stored JSON, written on one line."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        item = AllergyEntry.model_validate(item)
    return item.as_text()


class PrescriptionRequest(_Strict):
    diagnosis: NonEmptyName = Field(description="condition name or ICD-10 code")
    patient_info: PatientInfo
    allergies: AllergyList = []
    current_medications: NameList = []


_ALLERGY_TAGS = frozenset({"text", "entry"})


def _field_path(location: tuple[Any, ...]) -> str:
    if location[:1] == ("allergies",):  # the union's tags are not fields
        location = tuple(part for part in location if part not in _ALLERGY_TAGS)
    return ".".join(str(part) for part in location) or "non_field_errors"


def _message(error: ErrorDetails) -> str:
    text = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "this field is required"
    if error["type"] == "model_type":
        if error["loc"][:1] == ("symptoms",):
            return "must be a symptom name or an object with a name"
        if error["loc"][:1] == ("allergies",):
            return "must be an allergy name or an object with a substance"
        return "must be an object"
    if error["type"] in {"finite_number", "float_parsing"} or (
        isinstance(error.get("input"), float) and not math.isfinite(error["input"])
    ):
        return "must be a finite number"
    return text


def validation_details(error: ValidationError) -> dict[str, list[str]]:
    """Pydantic's errors as ``{field path: [messages]}``, one entry per field, in input order."""
    details: dict[str, list[str]] = {}
    for item in error.errors(include_url=False):
        messages = details.setdefault(_field_path(item["loc"]), [])
        message = _message(item)
        if message not in messages:
            messages.append(message)
    return details


def _parse(model: type[_Strict], data: Any) -> Any:
    if not isinstance(data, dict):
        raise EngineValidationError({"data": ["must be a JSON object"]})
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise EngineValidationError(validation_details(error)) from None


def parse_diagnosis(data: Any) -> DiagnosisRequest:
    """Validate a diagnosis request's ``data``; raises :class:`EngineValidationError`."""
    return _parse(DiagnosisRequest, data)


def parse_note_read(data: Any) -> NoteReadRequest:
    """Validate a note-reading request's ``{note}``; raises :class:`EngineValidationError`."""
    return _parse(NoteReadRequest, data)


def parse_prescription(data: Any) -> PrescriptionRequest:
    """Validate a prescription request's shape (the engine then resolves the diagnosis)."""
    return _parse(PrescriptionRequest, data)
