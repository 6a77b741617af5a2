"""The knowledge-base loader: the bundled data loads, and every kind of broken file is refused
with an error naming the file, the entry and the field."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from typing import Any

import pytest

from clinical.engine.__main__ import main
from clinical.engine.contract.errors import KnowledgeBaseError
from clinical.engine.knowledge.loader import (
    ENGINE_CODE_VERSION,
    KnowledgeBase,
    build_knowledge_base,
    load_knowledge_base,
)

CONDITION_FILE = "conditions/respiratory.yaml"
SYMPTOM_FILE = "findings/respiratory_ent.yaml"
MEASURED_FILE = "findings/measured_vital_signs_and_scores.yaml"
RED_FLAG_FILE = "red_flags/infectious.yaml"
DRUG_KINDS = ("drugs", "allergy_groups", "interactions", "regimens")

SOURCES = {
    "sources": {
        "test_label": {
            "title": "A test product label",
            "publisher": "medstream tests",
            "year": 2024,
            "kind": "label",
        }
    }
}
ALLERGY_GROUPS = {
    "allergy_groups": [
        {
            "id": "penicillins",
            "name": "Penicillins",
            "synonyms": ["penicillin", "pcn", "penicillin allergy"],
            "cross_reactivity": [
                {
                    "group": "cephalosporins",
                    "action": "caution",
                    "text": "Low cross-reactivity.",
                    "source": "test_label",
                }
            ],
        },
        {"id": "cephalosporins", "name": "Cephalosporins", "synonyms": ["cephalosporin"]},
    ]
}


def _drug(drug_id: str, tags: list[str], groups: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "id": drug_id,
        "name": drug_id.capitalize(),
        "drug_class": tags[0],
        "tags": tags,
        "allergy_groups": groups,
        "route": "oral",
        "adult": {"dose_mg": 500, "frequency": "three times daily", "max_daily_mg": 3000},
        "sources": ["test_label"],
        **extra,
    }


DRUGS = {
    "drugs": [
        _drug(
            "amoxicillin",
            ["penicillin", "beta_lactam"],
            ["penicillins"],
            synonyms=["amoxycillin", "amoxil"],
            paediatric={"mg_per_kg": 30, "frequency": "three times daily", "max_dose_mg": 500},
            renal=[
                {
                    "egfr_below": 30,
                    "action": "reduce",
                    "dose_mg": 250,
                    "advice": "Reduce.",
                    "source": "test_label",
                }
            ],
            pregnancy={
                "advice": "Not known to be harmful.",
                "category": "compatible",
                "source": "test_label",
            },
            contraindications=[
                {"history": "glandular_fever", "text": "Rash likely.", "source": "test_label"},
                {
                    "history": "infectious_mononucleosis",
                    "text": "Rash likely.",
                    "source": "test_label",
                },
            ],
        ),
        _drug("cefalexin", ["cephalosporin", "beta_lactam"], ["cephalosporins"]),
        _drug(
            "ibuprofen",
            ["nsaid"],
            [],
            contraindications=[
                {"age_below_years": 0.25, "text": "Not under 3 months.", "source": "test_label"},
                {"pregnant": True, "text": "Avoid in pregnancy.", "source": "test_label"},
            ],
        ),
        _drug("warfarin", ["anticoagulant"], []),
    ]
}
INTERACTIONS = {
    "interactions": [
        {
            "between": ["warfarin", "tag:nsaid"],
            "severity": "major",
            "mechanism": "Bleeding risk.",
            "advice": "Avoid.",
            "source": "test_label",
        }
    ]
}
REGIMENS = {
    "regimens": [
        {
            "condition": "community_acquired_pneumonia",
            "first_line": [{"drugs": [{"drug": "amoxicillin", "duration": "5 days"}]}],
            "allergy_alternatives": {
                "penicillins": [{"drugs": [{"drug": "cefalexin", "duration": "5 days"}]}]
            },
            "follow_up": "Review at 48 hours.",
            "source": "test_label",
        }
    ]
}


@pytest.fixture
def drug_kb(kb_copy):
    """A copy whose drug data is replaced by a small, known, valid set."""
    for kind in DRUG_KINDS:
        shutil.rmtree(kb_copy.root / kind, ignore_errors=True)
    for path in (kb_copy.root / "sources").glob("drugs*.yaml"):
        path.unlink()
    kb_copy.write("sources/test_drugs.yaml", SOURCES)
    kb_copy.write("allergy_groups/test.yaml", ALLERGY_GROUPS)
    kb_copy.write("drugs/test.yaml", DRUGS)
    kb_copy.write("interactions/test.yaml", INTERACTIONS)
    kb_copy.write("regimens/test.yaml", REGIMENS)
    return kb_copy


def _condition(document: dict[str, Any], condition_id: str) -> dict[str, Any]:
    return next(item for item in document["conditions"] if item["id"] == condition_id)


def _finding(document: dict[str, Any], finding_id: str) -> dict[str, Any]:
    return next(item for item in document["findings"] if item["id"] == finding_id)


def _assert_refused(root, *fragments: str) -> KnowledgeBaseError:
    with pytest.raises(KnowledgeBaseError) as caught:
        build_knowledge_base(root)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return caught.value


# ------------------------------------------------------------------ the bundled knowledge base


def test_the_bundled_knowledge_base_loads(knowledge_base: KnowledgeBase) -> None:
    counts = knowledge_base.counts()
    assert counts["conditions"] >= 52
    assert counts["findings"] >= 189
    assert counts["red_flags"] >= 34


def test_it_is_loaded_once_per_process() -> None:
    assert load_knowledge_base() is load_knowledge_base()


def test_engine_version_names_code_version_and_content_hash(knowledge_base: KnowledgeBase) -> None:
    code, content = knowledge_base.engine_version.split("+kb.")
    assert code == ENGINE_CODE_VERSION
    assert re.fullmatch(r"[0-9a-f]{12}", content)
    assert knowledge_base.content_hash.startswith(content)


def test_every_condition_names_a_source_that_exists(knowledge_base: KnowledgeBase) -> None:
    for condition in knowledge_base.conditions.values():
        assert condition.sources, condition.id
        assert set(condition.sources) <= set(knowledge_base.sources), condition.id
        cited = [item.source for item in (*condition.red_flags, *condition.recommended_tests)]
        assert set(cited) <= set(knowledge_base.sources), condition.id


def test_every_bare_likelihood_comes_with_its_estimate(knowledge_base: KnowledgeBase) -> None:
    for condition in knowledge_base.conditions.values():
        bare = [item for item in condition.findings.values() if item.source is None]
        assert not bare or condition.likelihood_estimate, condition.id
        assert condition.prior.source or condition.prior.estimate, condition.id


def test_every_finding_a_condition_or_rule_names_exists(knowledge_base: KnowledgeBase) -> None:
    findings = knowledge_base.findings
    for condition in knowledge_base.conditions.values():
        assert set(condition.findings) <= set(findings), condition.id
        assert set(condition.risk_factors) <= set(findings), condition.id
    for rule in knowledge_base.red_flags.values():
        assert set(rule.all) | set(rule.any) <= set(findings), rule.id
        assert rule.source in knowledge_base.sources, rule.id


def test_every_derived_threshold_names_its_source(knowledge_base: KnowledgeBase) -> None:
    derived = [item for item in knowledge_base.findings.values() if item.derived]
    assert derived
    for finding in derived:
        assert finding.derived.source in knowledge_base.sources, finding.id


def test_every_likelihood_is_a_probability_strictly_inside_0_1(
    knowledge_base: KnowledgeBase,
) -> None:
    for condition in knowledge_base.conditions.values():
        for finding_id, likelihood in condition.findings.items():
            assert 0 < likelihood.p < 1, (condition.id, finding_id)
    for finding in knowledge_base.findings.values():
        assert 0 < finding.base_rate < 1, finding.id


def test_the_validate_command_prints_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    output = capsys.readouterr().out
    assert re.search(r"conditions\s+\d+", output)
    assert load_knowledge_base().engine_version in output


def test_the_validate_command_fails_on_a_broken_knowledge_base(kb_copy, capsys) -> None:
    kb_copy.write_text("conditions/broken.yaml", "conditions: [\n")
    assert main(["validate", "--knowledge", str(kb_copy.root)]) == 1
    assert "conditions/broken.yaml" in capsys.readouterr().err


# ------------------------------------------------------------------ content hash


def test_the_hash_ignores_comments_and_layout(kb_copy) -> None:
    before = build_knowledge_base(kb_copy.root).content_hash
    path = kb_copy.root / RED_FLAG_FILE
    path.write_text("# a new comment\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert build_knowledge_base(kb_copy.root).content_hash == before


def test_the_hash_changes_with_any_content(kb_copy) -> None:
    before = build_knowledge_base(kb_copy.root).content_hash
    kb_copy.edit(SYMPTOM_FILE, lambda doc: _finding(doc, "cough").update(base_rate=0.061))
    assert build_knowledge_base(kb_copy.root).content_hash != before


# ------------------------------------------------------------------ drugs and their kinds


def test_missing_or_empty_drug_folders_load(kb_copy) -> None:
    for kind in DRUG_KINDS:
        shutil.rmtree(kb_copy.root / kind, ignore_errors=True)
    (kb_copy.root / "drugs").mkdir()
    kb_copy.write_text("regimens/empty.yaml", "regimens:\n")
    loaded = build_knowledge_base(kb_copy.root)
    assert loaded.drugs == {} and loaded.regimens == {} and loaded.interactions == ()


def test_drug_data_loads_with_lookups(drug_kb) -> None:
    loaded = build_knowledge_base(drug_kb.root)
    assert set(loaded.drugs) == {"amoxicillin", "cefalexin", "ibuprofen", "warfarin"}
    assert loaded.drugs_tagged("beta_lactam") == ("amoxicillin", "cefalexin")
    assert loaded.drugs_in_group("penicillins") == ("amoxicillin",)
    (interaction,) = loaded.interactions_between("ibuprofen", "warfarin")
    assert interaction.severity == "major"
    assert loaded.interactions_between("warfarin", "ibuprofen") == (interaction,)
    assert loaded.interactions_between("warfarin", "amoxicillin") == ()
    assert (
        loaded.regimen_for("community_acquired_pneumonia").first_line[0].drugs[0].drug
        == "amoxicillin"
    )
    assert [item.group for item in loaded.cross_reactions("penicillins")] == ["cephalosporins"]
    assert loaded.drugs["amoxicillin"].renal[0].dose_mg == 250


def _remove_sources(document: dict[str, Any]) -> None:
    _condition(document, "asthma_exacerbation")["sources"] = []


def _unknown_source(document: dict[str, Any]) -> None:
    _condition(document, "asthma_exacerbation")["sources"].append("no_such_source")


def _likelihood_too_high(document: dict[str, Any]) -> None:
    _condition(document, "community_acquired_pneumonia")["findings"]["cough"] = 1.2


def _likelihood_zero(document: dict[str, Any]) -> None:
    _condition(document, "community_acquired_pneumonia")["findings"]["cough"] = {
        "p": 0,
        "source": "metlay_1997",
    }


def _unknown_finding(document: dict[str, Any]) -> None:
    _condition(document, "community_acquired_pneumonia")["findings"]["purple_toes"] = 0.2


def _no_estimate(document: dict[str, Any]) -> None:
    del _condition(document, "community_acquired_pneumonia")["likelihood_estimate"]


def _unknown_field(document: dict[str, Any]) -> None:
    _condition(document, "influenza")["base_urgncy"] = "routine"


def _bad_icd10(document: dict[str, Any]) -> None:
    _condition(document, "influenza")["icd10"] = "flu"


def _unreasoned_prior(document: dict[str, Any]) -> None:
    _condition(document, "influenza")["prior"].pop("estimate")


def _overlapping_bands(document: dict[str, Any]) -> None:
    _condition(document, "influenza")["prior"]["age"] = [
        {"max": 10, "factor": 2},
        {"min": 10, "factor": 1},
    ]


def _symptom_as_risk_factor(document: dict[str, Any]) -> None:
    _condition(document, "influenza")["risk_factors"]["cough"] = 2.0


def _duplicate_condition(document: dict[str, Any]) -> None:
    document["conditions"].append(dict(_condition(document, "influenza")))


CONDITION_BREAKS: list[tuple[Callable[[Any], None], str, str, str]] = [
    (_remove_sources, "asthma_exacerbation", "sources", "at least 1"),
    (_unknown_source, "asthma_exacerbation", "sources.", "unknown source 'no_such_source'"),
    (_likelihood_too_high, "community_acquired_pneumonia", "findings.cough", "less than 1"),
    (_likelihood_zero, "community_acquired_pneumonia", "findings.cough.p", "greater than 0"),
    (_unknown_finding, "community_acquired_pneumonia", "findings.purple_toes", "unknown finding"),
    (_no_estimate, "community_acquired_pneumonia", "likelihood_estimate", "cough"),
    (_unknown_field, "influenza", "base_urgncy", "unknown field"),
    (_bad_icd10, "influenza", "icd10", "pattern"),
    (_unreasoned_prior, "influenza", "prior", "estimate"),
    (_overlapping_bands, "influenza", "prior", "overlap"),
    (_symptom_as_risk_factor, "influenza", "risk_factors.cough", "history finding"),
    (_duplicate_condition, "influenza", "id", "already defined"),
]


@pytest.mark.parametrize(
    ("change", "entry", "field", "message"),
    CONDITION_BREAKS,
    ids=[item[0].__name__.strip("_") for item in CONDITION_BREAKS],
)
def test_a_broken_condition_is_refused_naming_file_entry_and_field(
    kb_copy, change, entry: str, field: str, message: str
) -> None:
    kb_copy.edit(CONDITION_FILE, change)
    error = _assert_refused(kb_copy.root, CONDITION_FILE, f"'{entry}'", field)
    assert message.lower() in str(error).lower()


def _assert_refused_after(kb_copy, relative: str, change, *fragments: str) -> None:
    kb_copy.edit(relative, change)
    _assert_refused(kb_copy.root, relative, *fragments)


def test_a_finding_defined_twice_across_files_is_refused(kb_copy) -> None:
    kb_copy.write(
        "findings/extra.yaml",
        {
            "findings": [
                {"id": "cough", "label": "Cough again", "category": "symptom", "base_rate": 0.1}
            ]
        },
    )
    _assert_refused(
        kb_copy.root,
        "findings/respiratory_ent.yaml",
        "'cough'",
        "'id'",
        "already defined in findings/extra.yaml",
    )


def test_a_synonym_claimed_by_two_findings_is_refused(kb_copy) -> None:
    kb_copy.write(
        "findings/extra.yaml",
        {
            "findings": [
                {
                    "id": "air_hunger",
                    "label": "Air hunger",
                    "category": "symptom",
                    "synonyms": ["Breathlessness"],
                    "base_rate": 0.01,
                }
            ]
        },
    )
    _assert_refused(
        kb_copy.root, "findings/extra.yaml", "'air_hunger'", "synonyms.0", "shortness_of_breath"
    )


def test_a_plural_of_another_findings_synonym_is_a_clash(kb_copy) -> None:
    kb_copy.write(
        "findings/extra.yaml",
        {
            "findings": [
                {
                    "id": "many_coughs",
                    "label": "Coughings",
                    "category": "symptom",
                    "base_rate": 0.01,
                }
            ]
        },
    )
    _assert_refused(kb_copy.root, "findings/extra.yaml", "'many_coughs'", "'cough'")


def test_a_derived_finding_with_two_comparisons_is_refused(kb_copy) -> None:
    def change(document: dict[str, Any]) -> None:
        _finding(document, "fever")["derived"]["below"] = 42

    _assert_refused_after(kb_copy, MEASURED_FILE, change, "'fever'", "derived", "exactly one")


def test_a_derived_finding_on_an_unknown_input_is_refused(kb_copy) -> None:
    def change(document: dict[str, Any]) -> None:
        _finding(document, "fever")["derived"]["input"] = "ear_temperature"

    _assert_refused_after(kb_copy, MEASURED_FILE, change, "'fever'", "derived.input")


def test_a_base_rate_of_one_is_refused(kb_copy) -> None:
    _assert_refused_after(
        kb_copy,
        SYMPTOM_FILE,
        lambda doc: _finding(doc, "cough").update(base_rate=1),
        "'cough'",
        "base_rate",
    )


def test_a_red_flag_on_an_unknown_finding_is_refused(kb_copy) -> None:
    def change(document: dict[str, Any]) -> None:
        document["red_flags"][0]["any"].append("purple_toes")

    _assert_refused_after(
        kb_copy, RED_FLAG_FILE, change, "'suspected_meningitis'", "any.2", "purple_toes"
    )


def test_a_red_flag_without_a_source_is_refused(kb_copy) -> None:
    _assert_refused_after(
        kb_copy,
        RED_FLAG_FILE,
        lambda doc: doc["red_flags"][0].pop("source"),
        "'suspected_meningitis'",
        "source",
    )


def test_invalid_yaml_names_the_file_and_line(kb_copy) -> None:
    kb_copy.write_text("findings/broken.yaml", "findings:\n  - id: x\n    label: [unclosed\n")
    _assert_refused(kb_copy.root, "findings/broken.yaml", "line")


def test_a_file_with_the_wrong_top_level_key_is_refused(kb_copy) -> None:
    kb_copy.write("conditions/extra.yaml", {"findings": []})
    _assert_refused(kb_copy.root, "conditions/extra.yaml", "'conditions'")


def test_a_source_with_an_unknown_kind_is_refused(kb_copy) -> None:
    kb_copy.write(
        "sources/extra.yaml",
        {
            "sources": {
                "blog_post": {
                    "title": "A blog",
                    "publisher": "Someone",
                    "year": 2020,
                    "kind": "blog",
                }
            }
        },
    )
    _assert_refused(kb_copy.root, "sources/extra.yaml", "'blog_post'", "kind")


DRUG_BREAKS: list[tuple[str, Callable[[Any], None], tuple[str, ...]]] = [
    (
        "drugs/test.yaml",
        lambda doc: doc["drugs"][0].update(sources=[]),
        ("'amoxicillin'", "sources"),
    ),
    (
        "drugs/test.yaml",
        lambda doc: doc["drugs"][0].update(allergy_groups=["sulfonamides"]),
        ("'amoxicillin'", "allergy_groups.0", "unknown allergy group 'sulfonamides'"),
    ),
    (
        "drugs/test.yaml",
        lambda doc: doc["drugs"][0]["contraindications"][0].update(history="purple_toes"),
        ("'amoxicillin'", "contraindications.0.history", "purple_toes"),
    ),
    (
        "drugs/test.yaml",
        lambda doc: doc["drugs"][0]["renal"][0].update(source="bnf_nothing"),
        ("'amoxicillin'", "renal.0.source", "unknown source"),
    ),
    (
        "drugs/test.yaml",
        lambda doc: doc["drugs"][0]["renal"][0].pop("dose_mg"),
        ("'amoxicillin'", "renal.0", "reduce"),
    ),
    (
        "drugs/test.yaml",
        lambda doc: doc["drugs"][0]["contraindications"][0].update(pregnant=True),
        ("'amoxicillin'", "contraindications.0", "exactly one"),
    ),
    (
        "drugs/test.yaml",
        lambda doc: doc["drugs"][1].update(synonyms=["Amoxil"]),
        ("'cefalexin'", "synonyms.0", "amoxicillin"),
    ),
    (
        "drugs/test.yaml",
        lambda doc: doc["drugs"].append(dict(doc["drugs"][0])),
        ("'amoxicillin'", "already defined"),
    ),
    (
        "interactions/test.yaml",
        lambda doc: doc["interactions"][0].update(between=["warfarin", "tag:statin"]),
        ("'warfarin + tag:statin'", "between.1", "no drug carries tag 'statin'"),
    ),
    (
        "interactions/test.yaml",
        lambda doc: doc["interactions"][0].update(between=["warfarin", "aspirin"]),
        ("between.1", "unknown drug 'aspirin'"),
    ),
    (
        "interactions/test.yaml",
        lambda doc: doc["interactions"][0].pop("source"),
        ("'warfarin + tag:nsaid'", "source"),
    ),
    (
        "interactions/test.yaml",
        lambda doc: doc["interactions"].append(
            {**doc["interactions"][0], "between": ["tag:nsaid", "warfarin"]}
        ),
        ("already defined",),
    ),
    (
        "regimens/test.yaml",
        lambda doc: doc["regimens"][0].update(condition="scurvy"),
        ("'scurvy'", "condition", "unknown condition"),
    ),
    (
        "regimens/test.yaml",
        lambda doc: doc["regimens"][0]["first_line"][0]["drugs"][0].update(drug="aspirin"),
        ("'community_acquired_pneumonia'", "first_line.0.drugs.0.drug", "unknown drug 'aspirin'"),
    ),
    (
        "regimens/test.yaml",
        lambda doc: doc["regimens"][0]["allergy_alternatives"].update(
            sulfonamides=doc["regimens"][0]["first_line"]
        ),
        ("allergy_alternatives.sulfonamides", "unknown allergy group"),
    ),
    (
        "regimens/test.yaml",
        lambda doc: doc["regimens"][0].pop("source"),
        ("'community_acquired_pneumonia'", "source"),
    ),
    (
        "regimens/test.yaml",
        lambda doc: doc["regimens"].append(dict(doc["regimens"][0])),
        ("'community_acquired_pneumonia'", "condition", "already defined"),
    ),
    (
        "allergy_groups/test.yaml",
        lambda doc: doc["allergy_groups"][0]["cross_reactivity"][0].update(group="sulfas"),
        ("'penicillins'", "cross_reactivity.0.group", "sulfas"),
    ),
]


@pytest.mark.parametrize(("relative", "change", "fragments"), DRUG_BREAKS)
def test_broken_drug_data_is_refused_naming_file_entry_and_field(
    drug_kb, relative, change, fragments
) -> None:
    drug_kb.edit(relative, change)
    _assert_refused(drug_kb.root, relative, *fragments)


def test_score_tables_are_validated_with_the_rest(kb_copy) -> None:
    def change(document: dict[str, Any]) -> None:
        document["scores"][0]["source"] = "no_such_source"

    kb_copy.edit("scores/news2.yaml", change)
    _assert_refused(kb_copy.root, "scores/news2.yaml", "'news2'", "no_such_source")


def test_score_tables_are_loaded_with_the_knowledge_base(knowledge_base: KnowledgeBase) -> None:
    assert {"news2", "qsofa", "curb65", "crb65"} <= set(knowledge_base.score_tables)
