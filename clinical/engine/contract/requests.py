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
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from clinical.engine.contract.errors import EngineValidationError

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


def _visible(value: str) -> str:
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
    AfterValidator(_visible),
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
    severity: Literal["mild", "moderate", "severe"] | None = None
    duration: Annotated[str, Field(max_length=100), AfterValidator(_printable)] | None = None
    status: Literal["present", "absent", "unknown"] | None = None


CONSCIOUSNESS_LEVELS = ("alert", "confused", "voice", "pain", "unresponsive")
_AVCPU_LETTERS = {"a": "alert", "c": "confused", "v": "voice", "p": "pain", "u": "unresponsive"}
_BLOOD_PRESSURE = re.compile(r"^\s*(\d{2,3})\s*/\s*(\d{2,3})\s*$")


class Vitals(_Strict):
    """Vital signs, each optional; units are fixed by the protocol."""

    temperature: float | None = Field(None, ge=20.0, le=45.0, description="degrees Celsius")
    heart_rate: float | None = Field(None, ge=20, le=300, description="beats per minute")
    blood_pressure: str | None = Field(
        None, max_length=9, description='systolic/diastolic in mmHg, e.g. "120/80"'
    )
    respiratory_rate: float | None = Field(None, ge=3, le=80, description="breaths per minute")
    oxygen_saturation: float | None = Field(None, ge=50.0, le=100.0, description="SpO2 percent")
    supplemental_oxygen: bool | None = None
    consciousness: str | None = Field(None, max_length=12, description="ACVPU level")

    @field_validator("blood_pressure")
    @classmethod
    def _blood_pressure_is_systolic_over_diastolic(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = _BLOOD_PRESSURE.match(value)
        if not match:
            raise ValueError('must be "systolic/diastolic" in mmHg, e.g. "120/80"')
        systolic, diastolic = int(match[1]), int(match[2])
        if not 40 <= systolic <= 300:
            raise ValueError("systolic must be between 40 and 300 mmHg")
        if not 20 <= diastolic <= 200:
            raise ValueError("diastolic must be between 20 and 200 mmHg")
        if diastolic >= systolic:
            raise ValueError("diastolic must be lower than systolic")
        return f"{systolic}/{diastolic}"

    @field_validator("consciousness")
    @classmethod
    def _consciousness_is_acvpu(cls, value: str | None) -> str | None:
        if value is None:
            return None
        word = value.strip().lower()
        word = _AVCPU_LETTERS.get(word, word)
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


Sex = Literal["male", "female"]
NameList = Annotated[list[NonEmptyName], Field(max_length=MAX_LIST_ITEMS)]


class History(_Strict):
    age: float = Field(ge=0, le=120, description="years; fractions for infants (0.5 = 6 months)")
    sex: Sex
    allergies: NameList = []
    conditions: NameList = []
    medications: NameList = []
    pregnant: bool | None = None
    smoker: bool | None = None

    @model_validator(mode="after")
    def _pregnancy_is_possible(self) -> History:
        if self.pregnant and self.sex == "male":
            raise ValueError("pregnant is true but sex is male")
        if self.pregnant and self.age < 10:
            raise ValueError("pregnant is true but age is under 10 years")
        return self


class Labs(_Strict):
    """Laboratory results; each key carries its unit, and its range is what a sample can show."""

    urea_mmol_l: float | None = Field(None, ge=0, le=150)
    glucose_mmol_l: float | None = Field(None, ge=0.5, le=150)
    wbc_10e9_l: float | None = Field(None, ge=0, le=1000)
    crp_mg_l: float | None = Field(None, ge=0, le=1000)
    ketones_mmol_l: float | None = Field(None, ge=0, le=20)
    lactate_mmol_l: float | None = Field(None, ge=0, le=40)
    haemoglobin_g_l: float | None = Field(None, ge=10, le=260)
    potassium_mmol_l: float | None = Field(None, ge=1, le=12)
    creatinine_umol_l: float | None = Field(None, ge=5, le=3000)
    troponin_ng_l: float | None = Field(None, ge=0, le=1_000_000)
    alt_u_l: float | None = Field(None, ge=0, le=50_000)
    inr: float | None = Field(None, ge=0.5, le=20)


class DiagnosisRequest(_Strict):
    symptoms: Annotated[list[Symptom], Field(max_length=MAX_SYMPTOMS)] = []
    vitals: Vitals | None = None
    history: History
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


class NoteReadRequest(_Strict):
    """A note to read on its own, with no diagnosis (the portal's preview before a stream).

    ``note`` is the diagnosis request's own field; it may not be blank here, since a note is all
    there is to read (a diagnosis with only a note refuses a blank one too)."""

    note: Annotated[NoteText, AfterValidator(_require_non_blank)]


class PatientInfo(_Strict):
    age: float = Field(ge=0, le=120, description="years; fractions for infants")
    weight: float = Field(ge=0.3, le=350, description="kilograms")
    sex: Sex
    egfr: float | None = Field(None, ge=0, le=200, description="mL/min/1.73 m2")
    pregnant: bool | None = None

    @model_validator(mode="after")
    def _pregnancy_is_possible(self) -> PatientInfo:
        if self.pregnant and self.sex == "male":
            raise ValueError("pregnant is true but sex is male")
        return self


class PrescriptionRequest(_Strict):
    diagnosis: NonEmptyName = Field(description="condition name or ICD-10 code")
    patient_info: PatientInfo
    allergies: NameList = []
    current_medications: NameList = []


def _field_path(location: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in location) or "non_field_errors"


def _message(error: dict[str, Any]) -> str:
    text = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "this field is required"
    if error["type"] == "model_type":
        return (
            "must be an object"
            if error["loc"][:1] != ("symptoms",)
            else ("must be a symptom name or an object with a name")
        )
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
