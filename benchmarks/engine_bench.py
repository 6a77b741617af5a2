"""Clinical engine throughput on one core: diagnoses/s over the diagnosis vignettes, and
prescriptions/s for each vignette's expected diagnosis when the prescription engine is present.

Each request is a plain dict, as the service hands it over, so validation is included; every
event of the stream is produced (the stream is consumed to the end). Run with::

    .venv/bin/python -m benchmarks.engine_bench [--seconds 3]
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from clinical.engine.diagnosis.stream import diagnose
from clinical.engine.knowledge.loader import load_knowledge_base

VIGNETTES = Path(__file__).resolve().parent.parent / "tests/engine/cases/diagnosis_vignettes.yaml"
# Benchmark inputs only (a prescription needs a weight): a nominal adult and child weight.
ADULT_WEIGHT_KG, CHILD_WEIGHT_KG = 70.0, 20.0


@dataclass(frozen=True)
class Measurement:
    workload: str
    requests: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def microseconds(self) -> float:
        return self.seconds / self.requests * 1e6


def pin_to_one_core() -> str:
    """Run on a single CPU so the figure is per core, whatever else the machine runs."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return f"pinned to CPU {core}"


def vignettes() -> list[dict[str, Any]]:
    return yaml.safe_load(VIGNETTES.read_text(encoding="utf-8"))["vignettes"]


def prescription_requests(cases: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """A prescription for each vignette's expected diagnosis, with the vignette's patient."""
    requests = []
    for case in cases:
        history = case["request"]["history"]
        patient = {
            "age": history["age"],
            "sex": history["sex"],
            "weight": ADULT_WEIGHT_KG if history["age"] >= 16 else CHILD_WEIGHT_KG,
        }
        if history.get("pregnant"):
            patient["pregnant"] = True
        requests.append(
            {
                "diagnosis": case["expect"]["diagnosis"],
                "patient_info": patient,
                "current_medications": list(history.get("medications", [])),
            }
        )
    return requests


def measure(
    workload: str,
    run: Callable[[dict[str, Any]], Iterator[Any]],
    requests: Sequence[dict[str, Any]],
    seconds: float,
) -> Measurement:
    """Repeat the whole request set until ``seconds`` have passed (after one warm-up pass)."""
    for request in requests:
        for _ in run(request):
            pass
    gc.collect()
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for request in requests:
            for _ in run(request):
                pass
        count += len(requests)
    return Measurement(workload, count, time.perf_counter() - started)


def table(measurements: Sequence[Measurement]) -> str:
    header = (
        f"{'workload':<14} {'requests':>9} {'seconds':>8} {'per second':>11} {'us/request':>11}"
    )
    rows = [
        f"{m.workload:<14} {m.requests:>9} {m.seconds:>8.2f} {m.per_second:>11,.0f} "
        f"{m.microseconds:>11.1f}"
        for m in measurements
    ]
    rule = "-" * len(header)
    return "\n".join([header, rule, *rows])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per workload")
    arguments = parser.parse_args(argv)
    pinning = pin_to_one_core()
    knowledge_base = load_knowledge_base()
    cases = vignettes()
    diagnoses = [case["request"] for case in cases]
    measurements = [
        measure(
            "diagnose", lambda data: diagnose(data, knowledge_base), diagnoses, arguments.seconds
        )
    ]
    if importlib.util.find_spec("clinical.engine.prescription.stream") is not None:
        from clinical.engine.prescription.stream import prescribe

        requests = prescription_requests(cases)
        measurements.append(
            measure(
                "prescribe",
                lambda data: prescribe(data, knowledge_base),
                requests,
                arguments.seconds,
            )
        )
    print(f"engine {knowledge_base.engine_version}, {len(cases)} vignettes, {pinning}")
    print(table(measurements))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
