"""A session's request, result and frames as rows a reviewer reads, not JSON.

Each function turns the stored JSON into plain lists and pairs the templates only loop over;
labels and units come from the protocol (vitals, labs) and the knowledge base (scores).
"""

from __future__ import annotations

from typing import Any

from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from clinical.engine import allergy_text, knowledge_base

Row = tuple[str, str]

VITALS = [
    ("temperature", "Temperature", "°C"),
    ("heart_rate", "Heart rate", "/min"),
    ("blood_pressure", "Blood pressure", "mmHg"),
    ("respiratory_rate", "Respiratory rate", "/min"),
    ("oxygen_saturation", "SpO2", "%"),
    ("supplemental_oxygen", "Supplemental oxygen", ""),
    ("consciousness", "Consciousness (ACVPU)", ""),
]
LAB_UNITS = [
    ("_10e9_l", "10⁹/L"),
    ("_mmol_l", "mmol/L"),
    ("_umol_l", "µmol/L"),
    ("_mg_l", "mg/L"),
    ("_ng_l", "ng/L"),
    ("_g_l", "g/L"),
    ("_u_l", "U/L"),
]
LAB_NAMES = {"wbc": "White cells", "crp": "CRP", "alt": "ALT", "inr": "INR"}


def text(value: Any) -> str:
    """A value as a reader expects it: yes/no, lists joined, numbers without a useless .0."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(text(item) for item in value)
    return str(value)


def percent(probability: float | None) -> str:
    if probability is None:
        return "—"
    if probability < 0.001:
        return "<0.1%"
    return f"{probability:.1%}" if probability < 0.1 else f"{probability:.0%}"


def _measured(value: Any, unit: str) -> str:
    shown = text(value)
    return f"{shown} {unit}" if unit and shown != "—" else shown


def vitals_rows(vitals: dict[str, Any] | None) -> list[Row]:
    vitals = vitals or {}
    return [(label, _measured(vitals[key], unit)) for key, label, unit in VITALS if key in vitals]


def lab_rows(labs: dict[str, Any] | None) -> list[Row]:
    rows = []
    for key, value in (labs or {}).items():
        name, unit = key, ""
        for suffix, suffix_unit in LAB_UNITS:
            if key.endswith(suffix):
                name, unit = key.removesuffix(suffix), suffix_unit
                break
        label = LAB_NAMES.get(name, name.replace("_", " ").capitalize())
        rows.append((label, _measured(value, unit)))
    return rows


def history_rows(history: dict[str, Any]) -> list[Row]:
    rows = [("Age", _measured(history.get("age"), "years")), ("Sex", text(history.get("sex")))]
    for key in ("pregnant", "smoker"):
        if key in history:
            rows.append((key.capitalize(), text(history[key])))
    for key in ("allergies", "conditions", "medications"):
        rows.append((key.capitalize(), text(history.get(key, []))))
    return rows


SYMPTOM_STATUS = {"present": "present", "absent": "absent", "unknown": "set aside"}


def symptom_rows(symptoms: list[Any]) -> list[dict[str, str]]:
    """A row per structured symptom; its status is blank when the name alone says it."""
    rows = []
    for symptom in symptoms:
        item = symptom if isinstance(symptom, dict) else {"name": symptom}
        rows.append(
            {
                "name": text(item.get("name")),
                "status": SYMPTOM_STATUS.get(item.get("status"), ""),
                "severity": text(item.get("severity")),
                "duration": text(item.get("duration")),
            }
        )
    return rows


def diagnosis_request(request: dict[str, Any]) -> dict[str, Any]:
    return {
        "symptoms": symptom_rows(request.get("symptoms", [])),
        "vitals": vitals_rows(request.get("vitals")),
        "history": history_rows(request.get("history") or {}),
        "labs": lab_rows(request.get("labs")),
        "note": request.get("note", ""),
    }


def prescription_request(request: dict[str, Any]) -> dict[str, Any]:
    patient = request.get("patient_info") or {}
    rows = [
        ("Diagnosis", text(request.get("diagnosis"))),
        ("Age", _measured(patient.get("age"), "years")),
        ("Weight", _measured(patient.get("weight"), "kg")),
        ("Sex", text(patient.get("sex"))),
    ]
    if "egfr" in patient:
        rows.append(("eGFR", _measured(patient["egfr"], "mL/min/1.73 m²")))
    if "pregnant" in patient:
        rows.append(("Pregnant", text(patient["pregnant"])))
    rows += [
        ("Allergies", text([allergy_text(item) for item in request.get("allergies", [])])),
        ("Current medications", text(request.get("current_medications", []))),
    ]
    return {"patient": rows}


def score_views(scores: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Each computed score with the knowledge base's name and item labels."""
    tables = knowledge_base().score_tables
    views = []
    for score_id, score in (scores or {}).items():
        table = tables.get(score_id)
        labels = {item.id: item.label for item in table.items} if table else {}
        value_key = table.score_name if table else "score"
        views.append(
            {
                "name": table.name if table else score_id,
                "value": text(score.get(value_key, score.get("score"))),
                "risk": text(score.get("risk")),
                "positive": score.get("positive"),
                "advice": score.get("advice") or "",
                "complete": score.get("complete", True),
                "components": [
                    (labels.get(key, key), text(points))
                    for key, points in (score.get("components") or {}).items()
                ],
                "missing": [labels.get(key, key) for key in score.get("missing") or []],
            }
        )
    return views


def diagnosis_result(result: dict[str, Any]) -> dict[str, Any]:
    differential = [
        {
            "rank": rank,
            "diagnosis": item.get("diagnosis", ""),
            "icd10": item.get("icd10", ""),
            "probability": percent(item.get("probability")),
            "percent": round(100 * (item.get("probability") or 0)),
            "reasoning": item.get("reasoning", ""),
        }
        for rank, item in enumerate(result.get("differential", []), start=1)
    ]
    flags = result.get("red_flags", [])
    return {
        "primary": result.get("primary_diagnosis", ""),
        "icd10": result.get("icd10", ""),
        "confidence": percent(result.get("confidence")),
        "urgency": result.get("urgency", ""),
        "urgency_label": urgency_label(text(result.get("urgency"))),
        "urgency_reason": result.get("urgency_reason", ""),
        "differential": differential,
        "scores": score_views(result.get("scores")),
        "red_flags": [flag["text"] for flag in flags if flag.get("status") == "present"],
        "watch_for": [flag["text"] for flag in flags if flag.get("status") == "watch_for"],
        "tests": [test["text"] for test in result.get("recommended_tests", [])],
        "unrecognized": result.get("unrecognized_symptoms", []),
        "warnings": result.get("warnings", []),
    }


def prescription_result(result: dict[str, Any]) -> dict[str, Any]:
    allergy_check = result.get("allergy_check") or {}
    return {
        "diagnosis": result.get("diagnosis", ""),
        "icd10": result.get("icd10", ""),
        "medications": result.get("medications", []),
        "excluded": result.get("excluded", []),
        "interactions": [
            {**item, "drugs": " + ".join(item.get("drugs", []))}
            for item in result.get("interactions", [])
        ],
        "monitoring": result.get("monitoring", []),
        "follow_up": result.get("follow_up", ""),
        "warnings": result.get("warnings", []),
        "non_drug": result.get("non_drug", []),
        "allergy_groups": allergy_check.get("groups", []),
        "cross_reactivity": allergy_check.get("cross_reactivity", []),
        "unrecognized": [
            *result.get("unrecognized_allergies", []),
            *result.get("unrecognized_medications", []),
        ],
    }


def _chunk_summary(content: Any) -> str:
    """One line for a stage's chunk: a differential item, a medication, an interaction, ..."""
    if not isinstance(content, dict):
        return text(content)
    get = content.get
    if "probability" in content:
        return f"{get('diagnosis')} ({get('icd10')}) {percent(content['probability'])}"
    if "dose" in content:
        return f"{get('name')} {get('dose')} {get('frequency', '')}".strip()
    if "drugs" in content:
        return f"{' + '.join(content['drugs'])}: {get('severity', '')} interaction"
    if "text" in content:
        return str(content["text"])
    if "confidence" in content:
        return f"{get('diagnosis')} ({get('icd10')}), urgency {get('urgency')}"
    lists = {key.replace("_", " "): value for key, value in content.items()}
    counts = [f"{key}: {len(value)}" for key, value in lists.items() if isinstance(value, list)]
    return "; ".join(counts) or ", ".join(lists)


def frame_summary(frame: dict[str, Any]) -> str:
    kind = frame.get("type")
    if kind == "accepted":
        return f"Accepted ({frame.get('kind', '')})"
    if kind == "progress":
        return f"{frame.get('progress')}% {frame.get('message', '')}"
    if kind == "stream_chunk":
        return _chunk_summary(frame.get("content"))
    if kind == "complete":
        return "Result stored"
    if kind == "error":
        return f"{frame.get('code')}: {frame.get('error')}"
    return text(kind)


def urgency_label(level: str) -> str:
    """An urgency level as a reviewer reads it ("self_care" is "self care")."""
    return level.replace("_", " ")


def patient_label(patient: Any) -> str:
    """A session's patient as a reader scans for it: "NHS 943 476 5919, born 1953-04-02",
    "MRN-77 (local), born ...", "Anonymous", or "Not stated" (a session from an older client)."""
    if patient is None:
        return "Not stated"
    if patient.anonymous:
        return "Anonymous"
    born = f", born {patient.birth_date.isoformat()}" if patient.birth_date else ""
    if patient.identifier_system == "nhs_number":
        digits = patient.identifier
        return f"NHS {digits[:3]} {digits[3:6]} {digits[6:]}{born}"
    return f"{patient.identifier} (local){born}"


def unbroken_parts(label: str, comma: bool = True) -> SafeString:
    """``label``'s comma-separated parts, each kept on one line ("NHS 943 476 5919," then "born
    1953-04-02"), so that a narrow column wraps between them, never inside a number or date;
    without ``comma``, the parts are shown without the commas between them."""
    parts = label.split(", ")
    shown = [f"{part}," for part in parts[:-1]] + parts[-1:] if comma else parts
    return format_html_join(" ", '<span class="nowrap">{}</span>', ((part,) for part in shown))
