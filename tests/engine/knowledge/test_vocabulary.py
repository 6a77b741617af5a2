"""Free names to knowledge-base ids: synonyms, case, punctuation, plurals and word order."""

from __future__ import annotations

import pytest

from clinical.engine.knowledge.loader import KnowledgeBase
from clinical.engine.knowledge.vocabulary import (
    AllergyMatch,
    NameClashError,
    NameIndex,
    normalise,
    stem,
)


@pytest.fixture(scope="module")
def vocabulary(knowledge_base: KnowledgeBase):
    return knowledge_base.vocabulary


@pytest.mark.parametrize(
    "name",
    ["shortness of breath", "breathlessness", "dyspnea", "dyspnoea", "Short of breath", "SOB"],
)
def test_synonyms_of_breathlessness_are_one_finding(vocabulary, name: str) -> None:
    assert vocabulary.match_finding(name) == "shortness_of_breath"


@pytest.mark.parametrize(
    ("name", "finding"),
    [
        ("DYSPNOEA", "shortness_of_breath"),
        ("  Chest   Pain ", "chest_pain"),
        ("short-of-breath!", "shortness_of_breath"),
        ("can't breathe", "shortness_of_breath"),
        ("cant breathe", "shortness_of_breath"),
        ("Murphy's sign", "murphys_sign"),
        ("Dyspnœa", None),
        ("fièvre", None),
    ],
)
def test_case_and_punctuation_do_not_matter(vocabulary, name: str, finding: str | None) -> None:
    assert vocabulary.match_finding(name) == finding


@pytest.mark.parametrize(
    ("name", "finding"),
    [
        ("crackle", "crackles"),
        ("chest pains", "chest_pain"),
        ("headaches", "headache"),
        ("rashes", "rash"),
        ("swollen ankle", "ankle_oedema"),
        ("fit", "seizure_episode"),
        ("fits", "seizure_episode"),
        ("convulsion", "seizure_episode"),
    ],
)
def test_plurals_match_their_singular(vocabulary, name: str, finding: str) -> None:
    assert vocabulary.match_finding(name) == finding


@pytest.mark.parametrize(
    ("name", "finding"),
    [
        ("breath shortness", "shortness_of_breath"),
        ("pain chest", "chest_pain"),
        ("pain in the chest", "chest_pain"),
        ("ankles swollen", "ankle_oedema"),
        ("pain calf", "calf_pain"),
    ],
)
def test_word_order_does_not_matter_when_unambiguous(vocabulary, name: str, finding: str) -> None:
    assert vocabulary.match_finding(name) == finding


def test_word_order_is_not_used_when_two_entries_share_the_words() -> None:
    index = NameIndex("test")
    index.add("head injury", "head_injury")
    index.add("injury head", "other_injury")
    assert index.match("head injury") == "head_injury"
    assert index.match("injury head") == "other_injury"
    assert index.match("injury the head") is None


@pytest.mark.parametrize(
    "name", ["purple toes", "no fever", "not coughing", "", "!!!", "fever fever"]
)
def test_unknown_or_negated_names_match_nothing(vocabulary, name: str) -> None:
    assert vocabulary.match_finding(name) is None


def test_hiv_and_hives_stay_apart(vocabulary) -> None:
    assert vocabulary.match_finding("HIV") == "hiv"
    assert vocabulary.match_finding("hives") == "hives"


def test_history_and_medication_names_match_history_findings(vocabulary) -> None:
    assert vocabulary.match_finding("COPD") == "copd"
    assert vocabulary.match_finding("Type 2 Diabetes") == "diabetes"
    assert vocabulary.match_finding("ibuprofen") == "nsaid_use"
    assert vocabulary.match_finding("combined pill") == "oestrogen_therapy"


def test_conditions_match_by_name_id_or_icd10(vocabulary) -> None:
    assert (
        vocabulary.match_condition("Community-acquired pneumonia") == "community_acquired_pneumonia"
    )
    assert (
        vocabulary.match_condition("community_acquired_pneumonia") == "community_acquired_pneumonia"
    )
    assert vocabulary.match_condition("J18.9") == "community_acquired_pneumonia"
    assert vocabulary.match_condition("j189") == "community_acquired_pneumonia"
    assert vocabulary.match_condition("scurvy") is None


def test_suggestions_offer_close_spellings(vocabulary) -> None:
    assert "breathlessness" in vocabulary.findings.suggest("breathlesness")


def test_a_clash_names_the_owner() -> None:
    index = NameIndex("test")
    index.add("Chest pain", "chest_pain")
    index.add("chest pains", "chest_pain")
    with pytest.raises(NameClashError) as caught:
        index.add("CHEST-PAIN", "angina")
    assert caught.value.owner == "chest_pain"


def test_drugs_and_allergies_match_by_name_synonym_and_group() -> None:
    from clinical.engine.knowledge.vocabulary import Vocabulary

    vocabulary = Vocabulary()
    vocabulary.drugs.add_all(["amoxicillin", "Amoxicillin", "amoxycillin", "Amoxil"], "amoxicillin")
    vocabulary.allergy_groups.add_all(
        ["penicillins", "Penicillins", "pcn", "penicillin allergy"], "penicillins"
    )
    vocabulary.drug_groups["amoxicillin"] = ("penicillins",)
    assert vocabulary.match_drug("AMOXIL") == "amoxicillin"
    assert vocabulary.match_allergy_group("Penicillin") == "penicillins"
    assert vocabulary.match_allergy("penicillin") == AllergyMatch(groups=("penicillins",))
    assert vocabulary.match_allergy("amoxycillin") == AllergyMatch(
        groups=("penicillins",), drug="amoxicillin"
    )
    assert vocabulary.match_allergy("latex") is None


@pytest.mark.parametrize(
    ("singular", "plural"),
    [
        ("crackle", "crackles"),
        ("rash", "rashes"),
        ("box", "boxes"),
        ("allergy", "allergies"),
        ("ache", "aches"),
        ("eye", "eyes"),
        ("glass", "glasses"),
        ("virus", "viruses"),
    ],
)
def test_a_word_and_its_plural_share_a_stem(singular: str, plural: str) -> None:
    assert stem(singular) == stem(plural)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("drooped", "drooping"),
        ("vomited", "vomiting"),
        ("swelling", "swell"),
        ("slurred", "slurring"),
        ("couldn't", "can't"),
        ("cannot", "can't"),
    ],
)
def test_other_forms_of_a_verb_share_a_stem(one: str, other: str) -> None:
    assert normalise(one) == normalise(other)


@pytest.mark.parametrize("word", ["bleed", "need", "red", "sting", "tired"])
def test_short_words_and_eed_words_are_not_cut_as_verb_forms(word: str) -> None:
    assert stem(word) == word


@pytest.mark.parametrize(
    ("name", "finding"),
    [
        ("face drooped", "facial_droop"),
        ("couldn't catch my breath", "shortness_of_breath"),
        ("vomited", "vomiting"),
    ],
)
def test_a_verb_form_the_vocabulary_does_not_list_matches(
    vocabulary, name: str, finding: str
) -> None:
    assert vocabulary.match_finding(name) == finding


@pytest.mark.parametrize("word", ["sinus", "pharyngitis", "abscess", "gas"])
def test_words_ending_in_s_that_are_not_plurals_keep_it(word: str) -> None:
    assert stem(word) == word


def test_normalise_splits_on_punctuation_and_drops_apostrophes() -> None:
    assert normalise("Can't lie-flat!") == ("cant", "lie", "flat")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("fever", ("fever", True)),
        ("no fever", ("fever", False)),
        ("Denies chest pain", ("chest_pain", False)),
        ("without vomiting", ("vomiting", False)),
        ("no history of asthma", ("asthma", False)),
        ("no bowel movement", ("absolute_constipation", True)),
        ("no energy", ("fatigue", True)),
        ("no purple toes", None),
        ("no", None),
    ],
)
def test_a_statement_is_a_finding_present_or_negated(vocabulary, name: str, expected) -> None:
    assert vocabulary.match_statement(name) == expected
