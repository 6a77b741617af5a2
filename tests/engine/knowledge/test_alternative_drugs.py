"""The drugs added as the guidelines' alternatives (issue 16): each loads with its sources, its
dose caps are the figures its source gives, and its interaction pairs carry the source's grade.

The expected figures below are copied from the cited labels and formularies (the source id is
named beside each), so a typo in the data, or a figure changed without its source, fails here.
"""

from __future__ import annotations

import pytest

from clinical.engine.knowledge.loader import KnowledgeBase
from clinical.engine.knowledge.schema import Drug

# drug id -> (adult max_daily_mg from its source, or None where the source gives no daily cap)
ADDED_DRUGS: dict[str, float | None] = {
    "lactulose": None,
    "bisacodyl": 10,  # emc_bisacodyl_smpc: 5-10 mg daily
    "alginate_antacid": None,
    "famotidine": 40,  # droracle_famotidine_dosing: 20 mg twice daily
    "peppermint_oil": None,
    "hyoscine_butylbromide": 80,  # buscopan_hcp_pi: up to 2 tablets four times daily
    "oral_rehydration_salts": None,
    "cyclizine": 150,  # emc_cyclizine_smpc: 50 mg up to three times a day
    "ondansetron": 32,  # ondansetron_tablets_smpc: 8-32 mg a day
    "escitalopram": 20,  # emc_escitalopram_smpc: maximum 20 mg daily
    "venlafaxine": 375,  # emc_efexor_xl_smpc: maximum 375 mg/day
    "amitriptyline": 150,  # emc_amitriptyline_smpc: up to 150 mg daily
    "mirtazapine": 45,  # mirtazapine_smpc: 15-45 mg daily
    "zolmitriptan": 10,  # zolmitriptan_smpc: total daily intake should not exceed 10 mg
    "rizatriptan": 20,  # maxalt_smpc: no more than two 10 mg doses in 24 hours
    "topiramate": 200,  # ni_formulary_migraine_prophylaxis: maximum 200 mg daily
    "pizotifen": 4.5,  # pizotifen_smpc: maximum 4.5 mg daily
    "chlordiazepoxide": 250,  # medscape_uk_chlordiazepoxide: maximum daily dose 250 mg
    "diazepam": 30,  # diazepam_tablets_smpc: anxiety 5-30 mg daily
    "propranolol": 320,  # emc_beta_prograne_smpc: up to a maximum of 320 mg daily
    "edoxaban": 60,  # lixiana_smpc: 60 mg once daily
    "indapamide": 2.5,  # emc_indapamide_smpc: a larger dose than 2.5 mg is not recommended
    "ticagrelor": None,
    "clindamycin": 1800,  # emc_clindamycin_smpc: up to 450 mg every six hours
    "lymecycline": 408,  # lymecycline_smpc: acne 1 capsule daily
    "famciclovir": 1500,  # famvir_smpc: 500 mg three times daily
    "zanamivir": 20,  # relenza_smpc: total daily inhaled dose 20 mg
    "terbinafine_tablets": 250,  # bahrain_moh_terbinafine: 250 mg once daily
    "mupirocin_ointment": None,
    "miconazole_cream": None,
    "malathion_liquid": None,
    "betamethasone_valerate_cream": None,
    "emollient_ointment": None,
    "azelaic_acid_cream": None,
    "clindamycin_benzoyl_peroxide_gel": None,
    "benzoyl_peroxide_gel": None,
    "beclometasone_nasal": 0.4,  # beconase_smpc: 400 micrograms a day
    "fluticasone_nasal": 0.4,  # flixonase_smpc: at most four sprays into each nostril
    "azelastine_nasal": 0.56,  # emc_rhinolast_smpc: 0.56 mg daily
    "chlorhexidine_neomycin_nasal_cream": None,
    "benzydamine_mouthwash": None,
    "acetic_acid_ear_spray": None,
    "fusidic_acid_eye_drops": None,
    "beclometasone_inhaler": 0.8,  # emc_clenil_smpc: severe cases 600-800 micrograms daily
    "montelukast": 10,  # montelukast_10mg_label: 10 mg once daily
    "ipratropium_nebuliser": 2,  # ipratropium_nebuliser_smpc: over 2 mg only under supervision
    "tiotropium": 0.018,  # emc_spiriva_smpc: the recommended dose should not be exceeded
    "salbutamol_nebuliser": 20,  # emc_salbutamol_nebuliser_smpc: 5 mg up to four times a day
    "fexofenadine": 180,  # mhra_par_fexofenadine_180: 180 mg for chronic urticaria
    "promethazine": None,
    "ibuprofen_gel": 375,  # ibuleve_gel_smpc: at most 7.5 g of 5% gel a day
    "diclofenac_gel": 160,  # voltarol_osteoarthritis_gel_smpc: maximum daily dose 16 g of gel
    "thiamine": None,
    "ferrous_sulfate": 600,  # ferrous_sulfate_pil: one tablet two to three times daily
    "naloxone": 10,  # barbados_formulary_naloxone: to a maximum of 10 mg
    "activated_charcoal": None,
}


def test_at_least_150_drugs_and_every_added_drug_is_present(
    knowledge_base: KnowledgeBase,
) -> None:
    assert len(knowledge_base.drugs) >= 150
    assert len(ADDED_DRUGS) >= 55
    assert set(ADDED_DRUGS) <= set(knowledge_base.drugs)


def _cited(drug: Drug) -> set[str]:
    cited = set(drug.sources)
    if drug.paediatric is not None and drug.paediatric.source is not None:
        cited.add(drug.paediatric.source)
    if drug.pregnancy is not None:
        cited.add(drug.pregnancy.source)
    cited.update(band.source for band in drug.renal)
    cited.update(rule.source for rule in drug.contraindications)
    return cited


@pytest.mark.parametrize("drug_id", sorted(ADDED_DRUGS))
def test_an_added_drug_cites_sources_the_knowledge_base_holds(
    drug_id: str, knowledge_base: KnowledgeBase
) -> None:
    drug = knowledge_base.drugs[drug_id]
    assert drug.sources, drug_id
    assert _cited(drug) <= set(knowledge_base.sources)
    assert drug.paediatric is not None, "say how (or why not) a child is dosed"


@pytest.mark.parametrize(("drug_id", "cap"), sorted(ADDED_DRUGS.items()))
def test_an_added_drug_carries_its_sources_daily_cap(
    drug_id: str, cap: float | None, knowledge_base: KnowledgeBase
) -> None:
    adult = knowledge_base.drugs[drug_id].adult
    assert adult.max_daily_mg == cap
    if cap is not None:
        assert adult.dose_mg <= cap


@pytest.mark.parametrize("drug_id", sorted(ADDED_DRUGS))
def test_a_child_band_never_exceeds_the_adult_cap(
    drug_id: str, knowledge_base: KnowledgeBase
) -> None:
    drug = knowledge_base.drugs[drug_id]
    cap = drug.adult.max_daily_mg
    assert drug.paediatric is not None
    for band in drug.paediatric.bands:
        if cap is not None and band.max_daily_mg is not None:
            assert band.max_daily_mg <= cap, (drug_id, band)
        if band.max_daily_mg is not None and band.dose_mg is not None:
            assert band.dose_mg <= band.max_daily_mg, (drug_id, band)


def test_every_regimen_dose_of_an_added_drug_is_within_its_daily_cap(
    knowledge_base: KnowledgeBase,
) -> None:
    for regimen in knowledge_base.regimens.values():
        for option in regimen.options():
            for item in option.drugs:
                if item.drug not in ADDED_DRUGS or item.dose_mg is None:
                    continue
                cap = knowledge_base.drugs[item.drug].adult.max_daily_mg
                assert cap is None or item.dose_mg <= cap, (regimen.condition, item.drug)


# (one interactant, the other, grade as the cited source gives it)
GRADED_PAIRS = [
    ("phenelzine", "zolmitriptan", "contraindicated"),  # onc_high_priority_ddi_2012
    ("phenelzine", "rizatriptan", "contraindicated"),  # onc_high_priority_ddi_2012
    ("phenelzine", "venlafaxine", "contraindicated"),  # depefex_smpc_contraindications
    ("phenelzine", "mirtazapine", "contraindicated"),  # rosemont_mirtazapine_pi
    ("phenelzine", "amitriptyline", "contraindicated"),  # accord_amitriptyline_smpc
    ("phenelzine", "promethazine", "contraindicated"),  # promethazine_50mg_smpc
    ("phenelzine", "escitalopram", "contraindicated"),  # via tag:ssri (ONC list)
    ("clarithromycin", "escitalopram", "contraindicated"),  # mhra_dsu_citalopram_qt_2011
    ("erythromycin", "escitalopram", "contraindicated"),  # mhra_dsu_citalopram_qt_2011
    ("azithromycin", "escitalopram", "contraindicated"),  # mhra_dsu_citalopram_qt_2011
    ("ciprofloxacin", "escitalopram", "contraindicated"),  # mhra_dsu_citalopram_qt_2011
    ("amiodarone", "escitalopram", "contraindicated"),  # mhra_dsu_citalopram_qt_2011
    ("ticagrelor", "clarithromycin", "contraindicated"),  # brilique_contraindications
    ("diazepam", "codeine", "major"),  # mhra_dsu_benzodiazepines_opioids_2020
    ("chlordiazepoxide", "tramadol", "major"),  # mhra_dsu_benzodiazepines_opioids_2020
    ("edoxaban", "warfarin", "contraindicated"),  # via tag:doac
    ("edoxaban", "ibuprofen", "major"),  # via tag:doac + tag:nsaid
    ("edoxaban", "erythromycin", "moderate"),  # lixiana_uk_pi
    ("zolmitriptan", "sertraline", "moderate"),  # fda_triptan_ssri_serotonin_2006
    ("rizatriptan", "escitalopram", "moderate"),  # fda_triptan_ssri_serotonin_2006
    ("sumatriptan", "venlafaxine", "moderate"),  # fda_triptan_ssri_serotonin_2006
    ("rizatriptan", "propranolol", "moderate"),  # maxalt_smpc
    ("warfarin", "venlafaxine", "moderate"),  # renal_drug_handbook_venlafaxine
    ("venlafaxine", "naproxen", "moderate"),  # renal_drug_handbook_venlafaxine
    ("warfarin", "miconazole_cream", "moderate"),  # daktarin_cream_pil
    ("lymecycline", "alginate_antacid", "moderate"),  # lymecycline_pil
    ("topiramate", "combined_oral_contraceptive", "moderate"),  # ni_formulary_migraine
]


@pytest.mark.parametrize(("first", "second", "severity"), GRADED_PAIRS)
def test_an_added_pair_is_graded_as_its_source_grades_it(
    first: str, second: str, severity: str, knowledge_base: KnowledgeBase
) -> None:
    found = knowledge_base.interactions_between(first, second)
    assert [pair.severity for pair in found] == [severity]
    assert found[0].source in knowledge_base.sources
    assert knowledge_base.interactions_between(second, first) == found


def test_a_topical_nsaid_does_not_carry_the_oral_nsaid_interactions(
    knowledge_base: KnowledgeBase,
) -> None:
    """Topical NSAIDs are in the NSAID allergy group but not tagged `nsaid`: the warfarin and
    DOAC pairs graded for oral NSAIDs do not follow them to the skin."""
    for gel in ("ibuprofen_gel", "diclofenac_gel"):
        assert "nsaids" in knowledge_base.drugs[gel].allergy_groups
        assert knowledge_base.interactions_between(gel, "warfarin") == ()
