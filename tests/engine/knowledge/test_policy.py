"""The engine's own figures (``policy/*.yaml``, and a drug's overdose rule) load with a source or
a reasoned estimate each, and a broken one is refused naming its file, section and field."""

from __future__ import annotations

from typing import Any

import pytest

from clinical.engine.contract.errors import KnowledgeBaseError
from clinical.engine.knowledge.loader import KnowledgeBase, build_knowledge_base
from clinical.engine.knowledge.schema import Figure


def _refused(root: Any, *fragments: str) -> None:
    with pytest.raises(KnowledgeBaseError) as caught:
        build_knowledge_base(root)
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_every_policy_figure_has_a_source_or_an_estimate(knowledge_base: KnowledgeBase) -> None:
    policy = knowledge_base.policy
    figures = [
        *(getattr(policy.triage, name) for name in type(policy.triage).model_fields),
        policy.note_reading.tablets_per_container,
        policy.note_reading.tablets_per_handful,
        *(
            value
            for name in type(policy.prescribing).model_fields
            if isinstance(value := getattr(policy.prescribing, name), Figure)
        ),
    ]
    for figure in figures:
        assert (figure.source in knowledge_base.sources) != bool(figure.estimate)


def test_a_figure_without_source_or_estimate_is_refused(kb_copy) -> None:
    kb_copy.edit(
        "policy/triage.yaml", lambda d: d["policy"]["triage"]["urgent_share"].pop("estimate")
    )
    _refused(kb_copy.root, "policy/triage.yaml", "urgent_share", "give a source or an estimate")


def test_a_figure_with_an_unknown_source_is_refused(kb_copy) -> None:
    def change(document: dict[str, Any]) -> None:
        document["policy"]["prescribing"]["adult_dose_from_years"]["source"] = "no_such_source"

    kb_copy.edit("policy/prescribing.yaml", change)
    _refused(kb_copy.root, "policy/prescribing.yaml", "adult_dose_from_years.source", "unknown")


def test_a_section_defined_twice_is_refused(kb_copy) -> None:
    kb_copy.write("policy/again.yaml", kb_copy.read("policy/triage.yaml"))
    _refused(kb_copy.root, "section 'triage' is already defined")


def test_a_missing_section_is_refused(kb_copy) -> None:
    (kb_copy.root / "policy" / "triage.yaml").unlink()
    _refused(kb_copy.root, "triage", "this field is required")


def test_gcs_levels_must_cover_every_total(kb_copy) -> None:
    def change(document: dict[str, Any]) -> None:
        document["policy"]["note_reading"]["gcs_to_acvpu"]["levels"].pop()

    kb_copy.edit("policy/note_reading.yaml", change)
    _refused(kb_copy.root, "policy/note_reading.yaml", "must start at GCS 3")


def test_a_child_s_adult_dose_age_past_the_policy_s_is_refused(kb_copy) -> None:
    def change(document: dict[str, Any]) -> None:
        document["drugs"][0]["paediatric"] = {
            "adult_dose_from_years": 18,
            "source": "bnf_paracetamol",
        }

    kb_copy.edit("drugs/analgesics.yaml", change)
    _refused(kb_copy.root, "entry 'paracetamol'", "must be under 18")


def test_an_overdose_rule_needs_a_daily_maximum(kb_copy) -> None:
    def change(document: dict[str, Any]) -> None:
        document["drugs"][0]["adult"].pop("max_daily_mg")

    kb_copy.edit("drugs/analgesics.yaml", change)
    _refused(kb_copy.root, "entry 'paracetamol'", "overdose", "max_daily_mg")


def test_the_figures_are_what_the_reader_and_triage_use(knowledge_base: KnowledgeBase) -> None:
    from clinical.engine.note.overdose import ingestions

    (packet,) = ingestions("took a packet of paracetamol", knowledge_base)
    container = knowledge_base.policy.note_reading.tablets_per_container.value
    usual = knowledge_base.drugs["paracetamol"].overdose.usual_tablet_mg.value
    assert packet.amount_mg == container * usual
