"""The adversarial-notes benchmark runs (a smoke: a few notes, no timing asserted)."""

from __future__ import annotations

from benchmarks.adversarial_notes import HAND_MADE, TARGET_MS, measure, rows, searched, slowest
from clinical.engine.knowledge.loader import load_knowledge_base


def test_the_benchmark_times_hand_made_and_searched_notes_and_prints_the_slowest() -> None:
    kb = load_knowledge_base()
    timings = [measure(name, HAND_MADE[name][:500], kb) for name in list(HAND_MADE)[:3]]
    timings += searched(kb, examples=3)

    printed = rows(slowest(timings, 2))

    assert len(timings) >= 4 and all(timed.read_ms > 0 for timed in timings)
    assert len(printed) == 3 and f"{TARGET_MS:.0f} ms" in printed[1]
