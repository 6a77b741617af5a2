"""The request bounds a client's own validation mirrors (the portal's forms), read from the field
registry and the request models.

The server validates every request again with the same models; reading the bounds from them
(rather than copying numbers into JavaScript) keeps the two checks from drifting apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, cast, get_args, get_origin

from annotated_types import Ge, Le, MaxLen
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from clinical.engine.contract.fields import (
    DIASTOLIC_BOUNDS,
    LABS,
    SYSTOLIC_BOUNDS,
    VITAL_SIGNS,
    Measure,
)
from clinical.engine.contract.requests import (
    MAX_LIST_ITEMS,
    MAX_NAME_CHARS,
    MAX_NOTE_CHARS,
    MAX_SYMPTOMS,
    History,
    PatientInfo,
    Symptom,
)

BLOOD_PRESSURE_BOUNDS = {
    "systolic": {"min": SYSTOLIC_BOUNDS[0], "max": SYSTOLIC_BOUNDS[1]},
    "diastolic": {"min": DIASTOLIC_BOUNDS[0], "max": DIASTOLIC_BOUNDS[1]},
}


def _collect(items: Iterable[Any], found: dict[str, float]) -> None:
    for item in items:
        if isinstance(item, Ge):
            found["min"] = cast(float, item.ge)
        elif isinstance(item, Le):
            found["max"] = cast(float, item.le)
        elif isinstance(item, MaxLen):
            found["maxLength"] = item.max_length
        elif isinstance(item, FieldInfo):
            _collect(item.metadata, found)


def field_bounds(model: type[BaseModel], name: str) -> dict[str, float]:
    """``min``/``max``/``maxLength`` of a field, also from inside ``Optional[Annotated[...]]``."""
    field = model.model_fields[name]
    found: dict[str, float] = {}
    _collect(field.metadata, found)
    for arg in get_args(field.annotation):
        if get_origin(arg) is Annotated:
            _collect(get_args(arg)[1:], found)
    return found


def _fields(model: type[BaseModel], *names: str) -> dict[str, dict[str, float]]:
    return {name: field_bounds(model, name) for name in names}


def _measured(measures: Iterable[Measure]) -> dict[str, dict[str, float]]:
    return {
        m.name: {"min": m.minimum, "max": m.maximum}
        for m in measures
        if m.minimum is not None and m.maximum is not None
    }


def request_bounds() -> dict[str, Any]:
    """Every bound the diagnosis and prescription forms check before sending."""
    return {
        "symptoms": {
            "maxItems": MAX_SYMPTOMS,
            "name": {"maxLength": MAX_NAME_CHARS},
            "duration": field_bounds(Symptom, "duration"),
        },
        "vitals": _measured(VITAL_SIGNS),
        "blood_pressure": BLOOD_PRESSURE_BOUNDS,
        "history": _fields(History, "age"),
        "lists": {"maxItems": MAX_LIST_ITEMS, "maxLength": MAX_NAME_CHARS},
        "labs": _measured(LABS),
        # Counted as the server counts: characters (code points) after NFC and trimming.
        "note": {"maxLength": MAX_NOTE_CHARS},
        "patient_info": _fields(PatientInfo, "age", "weight", "egfr"),
    }
