"""Who a session is about: a patient reference, kept by the service and never sent to the engine.

A start's ``data.patient`` is either ``{"anonymous": true}`` or a local identifier with the
patient's date of birth: ``{"identifier", "identifier_system": "nhs_number" | "local",
"birth_date"}``. An NHS number must pass its modulus 11 check digit (NHS Data Dictionary, "NHS
NUMBER": weights 10 down to 2 over the first nine digits, 11 minus the remainder mod 11 is the
check digit, 11 reads as 0 and 10 is never issued). The engine sees none of it: only the age in
whole years the date of birth gives, and only where the request states no age.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from clinical.protocol import InvalidMessage

MAX_IDENTIFIER_CHARS = 32
IDENTIFIER_SYSTEMS = ("nhs_number", "local")
NHS_NUMBER_DIGITS = 10
NHS_NUMBER_WEIGHTS = range(10, 1, -1)
FIELDS = {"anonymous", "identifier", "identifier_system", "birth_date"}
OLDEST_YEARS = 130


class PatientReference(BaseModel):
    """The request's ``patient``, as the API documents it (validated by :func:`parse`)."""

    model_config = ConfigDict(extra="forbid", title="PatientReference")

    anonymous: bool | None = Field(
        None, description="true: the session is about nobody named; no other field then."
    )
    identifier: str | None = Field(
        None,
        max_length=MAX_IDENTIFIER_CHARS,
        description="An NHS number (10 digits, spaces allowed, check digit verified) or a local "
        "identifier such as a hospital number (MRN).",
    )
    identifier_system: Literal["nhs_number", "local"] | None = None
    birth_date: date | None = Field(None, description="ISO 8601 date; required with identifier.")


@dataclass(frozen=True)
class Patient:
    """A validated reference: ``identifier`` empty when the session is anonymous."""

    identifier: str = ""
    identifier_system: str = ""
    birth_date: date | None = None

    @property
    def anonymous(self) -> bool:
        return not self.identifier

    def as_json(self) -> dict[str, Any]:
        """The reference as the API and the portal show it."""
        if self.anonymous:
            return {"anonymous": True}
        return {
            "identifier": self.identifier,
            "identifier_system": self.identifier_system,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
        }

    def age_on(self, day: date) -> int | None:
        """Whole years of age on ``day`` (a birthday not yet reached this year not counted)."""
        if self.birth_date is None:
            return None
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - int(before_birthday)


ANONYMOUS = Patient()


def bounds() -> dict[str, Any]:
    """The limits the portal checks before sending (the server checks them again)."""
    return {"identifier": {"maxLength": MAX_IDENTIFIER_CHARS}, "oldestYears": OLDEST_YEARS}


def nhs_number_is_valid(digits: str) -> bool:
    """Whether ten digits pass the NHS number's modulus 11 check."""
    if len(digits) != NHS_NUMBER_DIGITS or not digits.isascii() or not digits.isdigit():
        return False
    weighted = zip(digits[:9], NHS_NUMBER_WEIGHTS, strict=True)
    total = sum(int(digit) * weight for digit, weight in weighted)
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[-1])


def _refuse(field: str, message: str) -> InvalidMessage:
    return InvalidMessage({f"patient.{field}": [message]})


def _identifier(value: Any, system: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _refuse("identifier", "give the patient's identifier, or anonymous: true")
    if len(value) > MAX_IDENTIFIER_CHARS:
        raise _refuse("identifier", f"at most {MAX_IDENTIFIER_CHARS} characters")
    if any(unicodedata.category(ch) in {"Cc", "Cf"} for ch in value):
        raise _refuse("identifier", "must not contain control or invisible characters")
    if system == "nhs_number":
        digits = value.replace(" ", "")
        if len(digits) != NHS_NUMBER_DIGITS or not digits.isascii() or not digits.isdigit():
            raise _refuse("identifier", "an NHS number is 10 digits")
        if not nhs_number_is_valid(digits):
            raise _refuse("identifier", "not a valid NHS number: its check digit does not match")
        return digits
    return " ".join(value.split())


def _birth_date(value: Any, today: date) -> date:
    if value is None:
        raise _refuse("birth_date", "give the date of birth with the identifier")
    try:
        born = date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        born = None
    if born is None or not isinstance(value, str) or len(value) != 10:
        raise _refuse("birth_date", "must be a date as YYYY-MM-DD")
    if born > today:
        raise _refuse("birth_date", "is in the future")
    if today.year - born.year > OLDEST_YEARS:
        raise _refuse("birth_date", f"is more than {OLDEST_YEARS} years ago")
    return born


def parse(value: Any, today: date) -> Patient:
    """The validated reference, or :class:`InvalidMessage` naming the field and what is wrong."""
    if not isinstance(value, dict):
        raise InvalidMessage({"patient": ["must be an object: {anonymous: true} or an identifier"]})
    unknown = sorted(set(value) - FIELDS)
    if unknown:
        raise _refuse(unknown[0], "unknown field")
    if value.get("anonymous") is not None:
        if value["anonymous"] is not True:
            raise _refuse("anonymous", "must be true, or left out with an identifier")
        if len(value) > 1:
            raise _refuse("anonymous", "an anonymous patient has no identifier or date of birth")
        return ANONYMOUS
    system = value.get("identifier_system")
    if system not in IDENTIFIER_SYSTEMS:
        raise _refuse("identifier_system", "must be nhs_number or local")
    identifier = _identifier(value.get("identifier"), system)
    return Patient(identifier, system, _birth_date(value.get("birth_date"), today))


def from_session(session: Any) -> Patient | None:
    """The reference stored on a session; None for a session started without one."""
    if session.patient_identifier:
        return Patient(
            session.patient_identifier,
            session.patient_identifier_system,
            session.patient_birth_date,
        )
    return ANONYMOUS if session.patient_anonymous else None


def session_fields(patient: Patient | None) -> dict[str, Any]:
    """The session's model fields for ``patient`` (None: not stated, an older client)."""
    if patient is None:
        return {}
    return {
        "patient_identifier": patient.identifier,
        "patient_identifier_system": patient.identifier_system,
        "patient_birth_date": patient.birth_date,
        "patient_anonymous": patient.anonymous,
    }


def search_key(text: str) -> str:
    """An identifier as searched: spaces dropped from an NHS number's shape, case kept."""
    compact = text.replace(" ", "")
    return compact if compact.isdigit() else " ".join(text.split())


def take(data: Any, today: date) -> tuple[Any, Patient | None]:
    """``data`` without its ``patient`` (the engine never sees it) and the parsed reference."""
    if not isinstance(data, dict) or "patient" not in data:
        return data, None
    data = dict(data)
    return data, parse(data.pop("patient"), today)


def with_age(data: dict[str, Any], section: str, patient: Patient | None, today: date) -> Any:
    """``data`` with ``section.age`` from the date of birth where the request states no age."""
    age = patient.age_on(today) if patient is not None else None
    holder = data.get(section, {})
    if age is None or not isinstance(holder, dict) or holder.get("age") is not None:
        return data
    return {**data, section: {**holder, "age": age}}
