"""``python -m tests.engine.evaluation``: the unseen sets' figures, locked ones as aggregates only.

``--as-of-1.7`` scores the requests as the engine of 1.7 could take them: a note with the age and
sex read from it filled in as ``history`` (1.7 required it), allergies written as text and the
patient fields it did not know dropped. This is how the first figures (README) were recorded.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medstream.settings")

from clinical.engine.knowledge.loader import load_knowledge_base
from clinical.engine.note import extracted, read_note
from tests.engine.evaluation.unseen import (
    ANCHORS,
    case_sets,
    note_alone,
    score_prescriptions,
    score_vignettes,
)

_V17_PATIENT = {"age", "weight", "sex", "egfr", "pregnant"}


def note_with_history(vignette: dict[str, Any]) -> dict[str, Any]:
    history = extracted(read_note(vignette["note"], load_knowledge_base()))["history"]
    age = history["age"]["value"] if "age" in history else None
    sex = history["sex"]["value"] if "sex" in history else None
    return {"note": vignette["note"], "history": {"age": age, "sex": sex}}


def prescription_as_v17(request: dict[str, Any]) -> dict[str, Any]:
    def allergy(item: Any) -> str:
        if isinstance(item, str):
            return item
        reaction = item.get("reaction")
        return f"{item['substance']} ({reaction})" if reaction else item["substance"]

    adapted = dict(request)
    adapted["patient_info"] = {
        k: v for k, v in request["patient_info"].items() if k in _V17_PATIENT
    }
    adapted["allergies"] = [allergy(item) for item in request.get("allergies", [])]
    return adapted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--as-of-1.7", dest="v17", action="store_true")
    parser.add_argument("--misses", action="store_true", help="list the tuning sets' misses")
    arguments = parser.parse_args()
    note_request = note_with_history if arguments.v17 else note_alone
    for name, vignettes in case_sets("vignettes").items():
        figures = score_vignettes(name, vignettes, note_request)
        print(figures.line())
        for miss in figures.misses if arguments.misses else ():
            print("   ", miss)
    print(ANCHORS)
    prescription_request = prescription_as_v17 if arguments.v17 else dict
    for name, cases in case_sets("cases").items():
        figures = score_prescriptions(name, cases, prescription_request)
        print(figures.line())
        for miss in figures.misses if arguments.misses else ():
            print("   ", miss)


if __name__ == "__main__":
    main()
