"""Clinical vignettes (tests/engine/cases/diagnosis_vignettes.yaml): the expected diagnosis is in
the top three and the urgency is the expected one. Top-1, top-3 and urgency accuracy over all
vignettes are written to the terminal summary whatever ``-s`` says."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from clinical.engine.diagnosis.stream import diagnose

VIGNETTES_FILE = Path(__file__).parents[1] / "cases" / "diagnosis_vignettes.yaml"
VIGNETTES: list[dict[str, Any]] = yaml.safe_load(VIGNETTES_FILE.read_text(encoding="utf-8"))[
    "vignettes"
]


def _outcome(vignette: dict[str, Any]) -> dict[str, Any]:
    result = list(diagnose(vignette["request"]))[-1]["result"]
    ranked = [item["condition_id"] for item in result["differential"]]
    expected = vignette["expect"]
    return {
        "ranked": ranked,
        "urgency": result["urgency"],
        "top1": ranked[0] == expected["diagnosis"],
        "top3": expected["diagnosis"] in ranked[:3],
        "urgency_ok": result["urgency"] == expected["urgency"],
    }


def _accuracy(outcomes: dict[str, dict[str, Any]], key: str) -> str:
    hits = sum(outcome[key] for outcome in outcomes.values())
    return f"{hits}/{len(outcomes)} ({hits / len(outcomes):.0%})"


@pytest.fixture(scope="module")
def outcomes(request: pytest.FixtureRequest) -> Iterator[dict[str, dict[str, Any]]]:
    """Every vignette's outcome, computed once; the accuracy goes to the terminal at the end."""
    results = {vignette["id"]: _outcome(vignette) for vignette in VIGNETTES}
    yield results
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        _report(reporter, results)


def _report(reporter: Any, results: dict[str, dict[str, Any]]) -> None:
    reporter.write_line("")
    reporter.write_sep(
        "-",
        f"diagnosis vignettes: top-1 {_accuracy(results, 'top1')}, "
        f"top-3 {_accuracy(results, 'top3')}, urgency {_accuracy(results, 'urgency_ok')}",
    )
    for vignette_id, outcome in results.items():
        if not (outcome["top1"] and outcome["urgency_ok"]):
            reporter.write_line(
                f"  {vignette_id}: ranked {', '.join(outcome['ranked'][:3])}; "
                f"urgency {outcome['urgency']}"
            )


def test_there_is_a_vignette_for_every_condition_system() -> None:
    assert len(VIGNETTES) >= 50
    assert len({vignette["id"] for vignette in VIGNETTES}) == len(VIGNETTES)


@pytest.mark.parametrize("vignette", VIGNETTES, ids=[vignette["id"] for vignette in VIGNETTES])
def test_the_expected_diagnosis_is_in_the_top_three(
    vignette: dict[str, Any], outcomes: dict[str, dict[str, Any]]
) -> None:
    outcome = outcomes[vignette["id"]]
    assert outcome["top3"], (
        f"expected {vignette['expect']['diagnosis']}, got {outcome['ranked'][:3]}"
    )


@pytest.mark.parametrize("vignette", VIGNETTES, ids=[vignette["id"] for vignette in VIGNETTES])
def test_the_urgency_is_the_expected_one(
    vignette: dict[str, Any], outcomes: dict[str, dict[str, Any]]
) -> None:
    assert outcomes[vignette["id"]]["urgency"] == vignette["expect"]["urgency"]


def test_every_vignettes_expectation_names_a_known_condition(knowledge_base) -> None:
    for vignette in VIGNETTES:
        assert vignette["expect"]["diagnosis"] in knowledge_base.conditions, vignette["id"]
