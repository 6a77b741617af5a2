"""Loading the score tables: the bundled ones are sound and cite what exists; a broken copy is
refused with an error naming the file, the score and the field."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from clinical.engine.contract.errors import KnowledgeBaseError
from clinical.engine.knowledge.loader import KNOWLEDGE_DIR
from clinical.engine.knowledge.score_tables import ScoreTable, load_score_tables

SCORES_DIR = KNOWLEDGE_DIR / "scores"

KNOWLEDGE = SCORES_DIR.parent
SOURCE_KINDS = {"guideline", "label", "paper", "formulary", "textbook", "review"}


def read_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def sources_in(path: Path) -> dict[str, Any]:
    return read_yaml(path)["sources"]


def all_source_ids() -> set[str]:
    return {i for path in (KNOWLEDGE / "sources").glob("*.yaml") for i in sources_in(path)}


def all_finding_ids() -> set[str]:
    paths = (KNOWLEDGE / "findings").glob("*.yaml")
    return {finding["id"] for path in paths for finding in read_yaml(path)["findings"]}


class ScoresCopy:
    """A private copy of knowledge/scores that a test may break."""

    def __init__(self, root: Path) -> None:
        self.root = root
        shutil.copytree(SCORES_DIR, root)

    def edit(self, name: str, change: Callable[[dict[str, Any]], Any]) -> None:
        """Let ``change`` alter the document of ``name`` in place, then write it back."""
        path = self.root / name
        document = read_yaml(path)
        change(document)
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")

    def load(self, **references: Any) -> dict[str, ScoreTable]:
        return load_score_tables(self.root, **references)


@pytest.fixture
def scores_copy(tmp_path: Path) -> ScoresCopy:
    return ScoresCopy(tmp_path / "scores")


def table(document: dict[str, Any], score_id: str) -> dict[str, Any]:
    return next(entry for entry in document["scores"] if entry["id"] == score_id)


def item(document: dict[str, Any], score_id: str, item_id: str) -> dict[str, Any]:
    return next(entry for entry in table(document, score_id)["items"] if entry["id"] == item_id)


def news2_item(item_id: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda document: item(document, "news2", item_id)


# ---------------------------------------------------------------- the bundled tables


def test_the_bundled_tables_load_with_every_published_score() -> None:
    tables = load_score_tables(SCORES_DIR)
    assert set(tables) == {
        *("news2", "qsofa", "curb65", "crb65", "centor", "mcisaac"),
        *("bedside_pews_5_12", "bedside_pews_13_15"),
    }


def test_every_bundled_table_cites_a_source_that_exists() -> None:
    load_score_tables(SCORES_DIR, source_ids=all_source_ids(), finding_ids=all_finding_ids())


def test_every_finding_a_table_reads_is_in_the_finding_vocabulary() -> None:
    findings = all_finding_ids()
    for score in load_score_tables(SCORES_DIR).values():
        cited = {ref for _, kind, ref in score.references() if kind == "finding"}
        assert cited <= findings, score.id


def test_score_sources_do_not_redefine_a_source_of_another_file() -> None:
    ours = set(sources_in(KNOWLEDGE / "sources" / "scores.yaml"))
    for path in (KNOWLEDGE / "sources").glob("*.yaml"):
        if path.name != "scores.yaml":
            assert not ours & set(sources_in(path)), path.name


@pytest.mark.parametrize("source_id", sorted(sources_in(KNOWLEDGE / "sources" / "scores.yaml")))
def test_each_score_source_is_a_complete_citation(source_id: str) -> None:
    source = sources_in(KNOWLEDGE / "sources" / "scores.yaml")[source_id]
    assert set(source) == {"title", "publisher", "year", "kind", "url"}
    assert source["kind"] in SOURCE_KINDS
    assert source["url"].startswith("https://")


def test_every_score_source_is_cited_by_a_table() -> None:
    cited = {
        ref
        for score in load_score_tables(SCORES_DIR).values()
        for _, kind, ref in score.references()
        if kind == "source"
    }
    assert set(sources_in(KNOWLEDGE / "sources" / "scores.yaml")) <= cited


# ---------------------------------------------------------------- a broken copy


@pytest.mark.parametrize(
    ("file", "change", "field", "message"),
    [
        (
            "news2.yaml",
            lambda d: item(d, "news2", "respiratory_rate")["bands"][2].pop("points"),
            "items.respiratory_rate.bands.2.points",
            "Field required",
        ),
        (
            "news2.yaml",
            lambda d: item(d, "news2", "respiratory_rate")["bands"][2].update(at_least=13),
            "items.respiratory_rate",
            "gap or overlap between the bands at_least 9, at_most 11 and at_least 13",
        ),
        (
            "news2.yaml",
            lambda d: item(d, "news2", "heart_rate")["bands"][2].update(at_least=50),
            "items.heart_rate",
            "gap or overlap between the bands at_least 41, at_most 50 and at_least 50",
        ),
        (
            "news2.yaml",
            lambda d: item(d, "news2", "temperature").pop("resolution"),
            "items.temperature",
            "gap or overlap between the bands at_most 35 and at_least 35.1",
        ),
        (
            "news2.yaml",
            lambda d: item(d, "news2", "systolic_bp")["bands"].pop(),
            "items.systolic_bp",
            "bands: no band above at_least 111, at_most 219",
        ),
        (
            "news2.yaml",
            lambda d: item(d, "news2", "oxygen_saturation")["scales"][2].pop(),
            "items.oxygen_saturation",
            "scales.2 (on oxygen): no band above at_least 95, at_most 96",
        ),
        (
            "news2.yaml",
            lambda d: item(d, "news2", "consciousness")["bands"][1]["in"].remove("voice"),
            "items.consciousness",
            "no band scores consciousness 'voice'",
        ),
        (
            "news2.yaml",
            lambda d: item(d, "news2", "consciousness")["bands"][1]["in"].append("drowsy"),
            "items.consciousness",
            "consciousness cannot be 'drowsy'",
        ),
        (
            "news2.yaml",
            lambda d: item(d, "news2", "heart_rate").update(input="pulse"),
            "items.heart_rate",
            "unknown input 'pulse'",
        ),
        (
            "news2.yaml",
            lambda d: item(d, "news2", "heart_rate")["bands"][0].update(below=35),
            "items.heart_rate.bands.0",
            "give at_most or below, not both",
        ),
        (
            "news2.yaml",
            lambda d: item(d, "news2", "heart_rate")["bands"][1].update(at_most=39),
            "items.heart_rate.bands.1",
            "the range at_least 41, at_most 39 holds no value",
        ),
        (
            "news2.yaml",
            lambda d: item(d, "news2", "heart_rate")["bands"][1].update({"in": ["alert"]}),
            "items.heart_rate.bands.1",
            "a band is a range or a list under `in`, not both",
        ),
        (
            "news2.yaml",
            lambda d: item(d, "news2", "heart_rate")["bands"][1].update(pointz=1),
            "items.heart_rate.bands.1.pointz",
            "Extra inputs are not permitted",
        ),
        (
            "news2.yaml",
            lambda d: item(d, "news2", "oxygen_saturation")["scales"].pop(2),
            "items",
            "oxygen_saturation gives scales [1], the table declares [1, 2]",
        ),
        (
            "news2.yaml",
            lambda d: table(d, "news2")["outcomes"].pop(1),
            "outcomes",
            "no outcome covers a total of 5",
        ),
        (
            "news2.yaml",
            lambda d: table(d, "news2")["report_when_any_known"].append("pulse"),
            "report_when_any_known",
            "'pulse' is not an item id",
        ),
        (
            "news2.yaml",
            lambda d: table(d, "news2")["flags"].update(risk={"at_least": 5}),
            "flags",
            "'risk' is already a field of the result",
        ),
        (
            "news2.yaml",
            lambda d: table(d, "news2").pop("source"),
            "source",
            "Field required",
        ),
        (
            "qsofa.yaml",
            lambda d: item(d, "qsofa", "respiratory_rate")["when"].update(finding="tachypnoea"),
            "items.respiratory_rate.when",
            "give exactly one of input, finding, any_of, all_of, first_known",
        ),
        (
            "qsofa.yaml",
            lambda d: item(d, "qsofa", "systolic_bp")["when"].update({"in": ["low"]}),
            "items.systolic_bp.when",
            "an input condition needs one of: bounds, `in`, or `known`",
        ),
        (
            "qsofa.yaml",
            lambda d: item(d, "qsofa", "systolic_bp").pop("when"),
            "items.systolic_bp",
            "an item needs input and bands, or points and when",
        ),
        (
            "qsofa.yaml",
            lambda d: item(d, "qsofa", "systolic_bp")["when"].update(input="blood_pressure"),
            "items.systolic_bp.when",
            "unknown input 'blood_pressure'",
        ),
        (
            "qsofa.yaml",
            lambda d: item(d, "qsofa", "altered_mentation").update(id="Altered Mentation"),
            "items.Altered Mentation.id",
            "String should match pattern",
        ),
        (
            "sore_throat.yaml",
            lambda d: item(d, "mcisaac", "age")["bands"][1].update(below=46),
            "items.age",
            "gap or overlap between the bands at_least 15, below 46 and at_least 45",
        ),
        (
            "news2.yaml",
            lambda d: news2_item("supplemental_oxygen")(d)["bands"][0].update(up_to=2),
            "items.supplemental_oxygen.bands.0",
            "up_to (2) must be above the band's points",
        ),
        (
            "news2.yaml",
            lambda d: news2_item("heart_rate")(d).update(unmet_up_to=3),
            "items.heart_rate",
            "a banded item (input) has no points or when",
        ),
    ],
)
def test_a_broken_table_is_refused_naming_file_score_and_field(
    scores_copy: ScoresCopy,
    file: str,
    change: Callable[[dict[str, Any]], Any],
    field: str,
    message: str,
) -> None:
    scores_copy.edit(file, change)
    with pytest.raises(KnowledgeBaseError) as error:
        scores_copy.load()
    text = str(error.value)
    assert text.startswith(f"scores/{file}: entry ")
    assert f"field {field!r}" in text
    assert message in text


def test_a_broken_entry_is_named_by_its_id(scores_copy: ScoresCopy) -> None:
    scores_copy.edit("pneumonia.yaml", lambda d: table(d, "crb65")["outcomes"].pop())
    with pytest.raises(KnowledgeBaseError, match=r"^scores/pneumonia\.yaml: entry 'crb65': "):
        scores_copy.load()


def test_an_entry_without_an_id_is_named_by_its_position(scores_copy: ScoresCopy) -> None:
    scores_copy.edit("pneumonia.yaml", lambda d: table(d, "crb65").pop("id"))
    with pytest.raises(KnowledgeBaseError, match="entry '#2': field 'id': Field required"):
        scores_copy.load()


def test_a_score_defined_twice_names_both_files(scores_copy: ScoresCopy) -> None:
    shutil.copy(scores_copy.root / "qsofa.yaml", scores_copy.root / "extra.yaml")
    with pytest.raises(KnowledgeBaseError) as error:
        scores_copy.load()
    assert str(error.value) == (
        "scores/qsofa.yaml: entry 'qsofa': field 'id': "
        "'qsofa' is already defined in scores/extra.yaml"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("scores: [\n", "scores/news2.yaml: not valid YAML"),
        ("score: []\n", "must hold exactly one top-level key 'scores', found ['score']"),
        ("- news2\n", "must hold exactly one top-level key 'scores', found list"),
        ("scores: {news2: {}}\n", "`scores` must be a list of score tables"),
    ],
)
def test_a_file_of_the_wrong_shape_is_refused_by_name(
    scores_copy: ScoresCopy, text: str, message: str
) -> None:
    (scores_copy.root / "news2.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"^scores/news2\.yaml: ") as error:
        scores_copy.load()
    assert message in str(error.value)


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="no score tables"):
        load_score_tables(tmp_path)


def test_a_source_the_knowledge_base_lacks_is_refused_where_it_is_cited() -> None:
    sources = all_source_ids() - {"nice_cg191"}
    with pytest.raises(KnowledgeBaseError) as error:
        load_score_tables(SCORES_DIR, source_ids=sources)
    assert str(error.value) == (
        "scores/pneumonia.yaml: entry 'curb65': field 'outcomes.0.source': "
        "unknown source 'nice_cg191'"
    )


def test_a_finding_the_vocabulary_lacks_is_refused_where_it_is_read() -> None:
    findings = all_finding_ids() - {"cough"}
    with pytest.raises(KnowledgeBaseError) as error:
        load_score_tables(SCORES_DIR, finding_ids=findings)
    assert str(error.value) == (
        "scores/sore_throat.yaml: entry 'centor': field 'items.no_cough.when': "
        "unknown finding 'cough'"
    )


def test_a_table_whose_result_leaves_the_contract_s_shape_is_refused(
    scores_copy: ScoresCopy,
) -> None:
    scores_copy.edit("news2.yaml", lambda document: table(document, "news2").pop("flags"))
    with pytest.raises(KnowledgeBaseError) as error:
        scores_copy.load()
    assert str(error.value) == (
        "scores/news2.yaml: entry 'news2': its result would send [] and lack ['red_score'] of "
        "the contract's keys"
    )


def test_a_score_the_contract_does_not_declare_is_refused(scores_copy: ScoresCopy) -> None:
    scores_copy.edit("qsofa.yaml", lambda document: table(document, "qsofa").update(id="sofa"))
    with pytest.raises(KnowledgeBaseError, match="entry 'sofa': field 'id': the engine's contract"):
        scores_copy.load()
