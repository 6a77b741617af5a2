"""Anaphylaxis: intramuscular adrenaline for a child by the RCUK 2021 age bands, not by mg/kg."""

from __future__ import annotations

import pytest

from clinical.engine import prescribe


def adrenaline_dose(age: float, weight: float) -> float:
    request = {
        "diagnosis": "anaphylaxis",
        "patient_info": {"age": age, "weight": weight, "sex": "female"},
    }
    result = list(prescribe(request))[-1]["result"]
    (dose,) = [m["dose_mg"] for m in result["medications"] if m["name"].startswith("Adrenaline")]
    return dose


@pytest.mark.parametrize(
    ("age", "weight", "dose_mg"),
    [(0.3, 6, 0.1), (0.5, 8, 0.15), (5, 18, 0.15), (5.9, 24, 0.15), (6, 20, 0.3), (11, 45, 0.3),
     (12, 40, 0.5), (40, 90, 0.5)],
)  # fmt: skip
def test_the_dose_follows_the_age_band_whatever_the_weight(age, weight, dose_mg) -> None:
    assert adrenaline_dose(age, weight) == pytest.approx(dose_mg)
