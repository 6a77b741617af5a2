"""The prescription engine: a validated request in, protocol v1's prescription stages out.

The engine reads every clinical fact from the knowledge base: the condition's regimen (options in
order of preference), each drug's allergy groups, contraindications, pregnancy category, renal
bands and doses, and the interaction pairs. What it adds is the order in which they are applied:

1. Options are tried in this order: the regimen's ``allergy_alternatives`` for each allergy group
   the patient has (the guideline's own answer for that allergy, preferred over a first-line drug
   kept only with a cross-reactivity caution), then ``first_line``, then ``alternatives``.
2. An option is chosen when every one of its drugs survives every check (allergy and
   cross-reactivity, contraindications, pregnancy, renal function, a dose for this age, and
   contraindicated interactions with current medications or within the option).
3. An option with a *major* interaction is kept only if no later option avoids it.

Every drug dropped on the way is reported with its specific reason, and a result without any
medication always says why. Everything per knowledge base that does not depend on the request is
computed once (:class:`Catalogue`), so a prescription costs a few dictionary lookups per drug.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from clinical.engine.contract import results
from clinical.engine.contract.errors import EngineValidationError
from clinical.engine.contract.events import Event, chunk, complete, progress
from clinical.engine.contract.requests import PatientInfo, PrescriptionRequest, parse_prescription
from clinical.engine.knowledge.loader import KnowledgeBase, load_knowledge_base
from clinical.engine.knowledge.schema import (
    Condition,
    Contraindication,
    CrossReactivity,
    Drug,
    Interaction,
    Regimen,
    RegimenDrug,
    RegimenOption,
)
from clinical.engine.knowledge.vocabulary import Key, id_as_name, normalise, unordered, words
from clinical.engine.prescription.dosing import (
    Dose,
    DoseRefusal,
    age_text,
    applicable_band,
    dose_for,
    format_dose,
    number,
)

__all__ = ["prescribe", "prescription_result", "resolve_diagnosis", "validate_prescription"]

SEVERITY_ORDER = ("contraindicated", "major", "moderate", "minor")
_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITY_ORDER)}
# A pregnancy is possible from this age: the same bound the request models apply.
_PREGNANCY_POSSIBLE_FROM_YEARS = 10
_SUGGESTIONS = 3
_NAME_LIKENESS = 0.6  # difflib's own default cutoff
_WORD_LIKENESS = 0.75
FIRST_LINE = "first-line treatment"
_ICD10_LIKE = re.compile(r"^\s*([A-Za-z])\s*(\d{2})")
_ALLERGIC_TO = re.compile(r"^\s*allergic\s+to\s+", re.I)
# Words that already say the text is a reaction ("aspirin sensitivity"): "allergy" is not added.
_REACTION_WORDS = frozenset(
    {"allergy", "allergies", "allergic", "sensitivity", "hypersensitivity", "intolerance"}
)
_REACTION_SUFFIX = re.compile(rf"\s+({'|'.join(sorted(_REACTION_WORDS))})\s*$", re.I)


# ---------------------------------------------------------------- validation


def validate_prescription(
    data: Mapping[str, Any] | PrescriptionRequest, knowledge_base: KnowledgeBase | None = None
) -> PrescriptionRequest:
    """The validated request; an unknown diagnosis is an error naming the closest known ones."""
    if isinstance(data, PrescriptionRequest):
        request = data
    else:
        request = parse_prescription(dict(data) if isinstance(data, Mapping) else data)
    resolve_diagnosis(request.diagnosis, knowledge_base or load_knowledge_base())
    return request


def resolve_diagnosis(name: str, knowledge_base: KnowledgeBase) -> Condition:
    """The condition a diagnosis names (name, id or ICD-10 code, any case); else an error."""
    condition_id = _resolve(knowledge_base, name)
    if condition_id is None:
        raise EngineValidationError({"diagnosis": [_unknown_diagnosis(name, knowledge_base)]})
    return knowledge_base.conditions[condition_id]


@functools.lru_cache(maxsize=4096)
def _resolve(knowledge_base: KnowledgeBase, name: str) -> str | None:
    return knowledge_base.vocabulary.match_condition(name)


def _unknown_diagnosis(name: str, knowledge_base: KnowledgeBase) -> str:
    suggestions = _close_conditions(name, knowledge_base)
    message = f"unknown diagnosis {name!r}"
    if suggestions:
        return f"{message}; did you mean: {', '.join(suggestions)}?"
    return f"{message}; give a condition name or its ICD-10 code"


def _close_conditions(name: str, knowledge_base: KnowledgeBase) -> list[str]:
    """Condition names close to ``name``: the same ICD-10 category for a code; else the names
    most alike, whether they hold every word of it ("pneumonia"), are spelt alike as a whole, or
    have a word spelt alike ("pnuemonia"); then, for a symptom, the conditions that show it."""
    conditions = knowledge_base.conditions
    code = _ICD10_LIKE.match(name)
    if code:
        category = f"{code[1].upper()}{code[2]}"
        same = [c.id for c in conditions.values() if c.icd10.startswith(category)]
        if same:
            return [f"{conditions[i].name} ({conditions[i].icd10})" for i in same[:_SUGGESTIONS]]
    query = unordered(normalise(name))
    scored = sorted((-_likeness(query, c.name), c.name) for c in conditions.values())
    alike = [name for score, name in scored if score < 0]
    return list(_unique([*alike, *_conditions_presenting_with(name, knowledge_base)]))[
        :_SUGGESTIONS
    ]


def _conditions_presenting_with(name: str, knowledge_base: KnowledgeBase) -> list[str]:
    """For a symptom given as a diagnosis ("sore throat"): the conditions most likely to show it."""
    finding = knowledge_base.vocabulary.match_finding(name)
    if finding is None:
        return []
    showing = [c for c in knowledge_base.conditions.values() if finding in c.findings]
    showing.sort(key=lambda c: (-c.findings[finding].p, c.name))
    return [condition.name for condition in showing]


def _likeness(query: Key, condition_name: str) -> float:
    """How alike a query is to a condition name; 0 when not worth suggesting. Word by word, every
    word of the query counts, so "chest pain" is not like "low back pain" for "pain" alone."""
    own = normalise(condition_name)
    if query and set(query) <= set(own):
        return 1.0
    whole = _ratio(" ".join(query), " ".join(own))
    per_word = [max((_ratio(mine, theirs) for theirs in own), default=0.0) for mine in query]
    word = sum(per_word) / len(per_word) if per_word else 0.0
    return max(whole if whole >= _NAME_LIKENESS else 0.0, word if word >= _WORD_LIKENESS else 0.0)


def _ratio(first: str, second: str) -> float:
    return difflib.SequenceMatcher(None, first, second).ratio()


# ---------------------------------------------------------------- the stream


def prescribe(
    data: Mapping[str, Any] | PrescriptionRequest, knowledge_base: KnowledgeBase | None = None
) -> Iterator[Event]:
    """Validate now (raising before any event), then stream the prescription stages."""
    knowledge_base = knowledge_base or load_knowledge_base()
    request = validate_prescription(data, knowledge_base)
    return _stream(request, knowledge_base)


def prescription_result(
    data: Mapping[str, Any] | PrescriptionRequest, knowledge_base: KnowledgeBase | None = None
) -> results.PrescriptionResult:
    """The ``complete`` event's result alone (what benchmarks and reviews need)."""
    knowledge_base = knowledge_base or load_knowledge_base()
    request = validate_prescription(data, knowledge_base)
    return Prescription(request, knowledge_base).result()


def _stream(request: PrescriptionRequest, knowledge_base: KnowledgeBase) -> Iterator[Event]:
    prescription = Prescription(request, knowledge_base)
    result = prescription.result()
    yield progress("prescription", "allergy_check")
    yield chunk("allergy_check", result["allergy_check"])
    yield progress("prescription", "medication_selection")
    for medication in result["medications"]:
        yield chunk("medication_selection", medication)
    yield progress("prescription", "interaction_check")
    for interaction in result["interactions"]:
        yield chunk("interaction_check", interaction)
    yield progress("prescription", "monitoring_advice")
    for item in result["monitoring"]:
        yield chunk("monitoring_advice", item)
    yield progress("prescription", "finalization")
    yield chunk("finalization", {"follow_up": result["follow_up"], "warnings": result["warnings"]})
    yield progress("prescription", "complete")
    yield complete(result)


# ---------------------------------------------------------------- per knowledge base


@dataclass(frozen=True)
class Catalogue:
    """What the engine derives from a knowledge base once, whatever the request."""

    drug_names: dict[Key, str]
    group_names: dict[Key, str]
    longest_name: int
    drug_findings: dict[str, tuple[str, ...]]
    age_findings: dict[str, Any]
    group_label: dict[str, str]
    group_cited: dict[str, str]


@functools.lru_cache(maxsize=8)
def catalogue(knowledge_base: KnowledgeBase) -> Catalogue:
    """Name keys for finding drug and group names inside longer text, and finding links."""
    drug_names: dict[Key, str] = {}
    for drug in knowledge_base.drugs.values():
        for name in (id_as_name(drug.id), drug.name, *drug.synonyms):
            drug_names.setdefault(normalise(name), drug.id)
    group_names: dict[Key, str] = {}
    for group in knowledge_base.allergy_groups.values():
        for name in (id_as_name(group.id), group.name, *group.synonyms):
            group_names.setdefault(normalise(name), group.id)
    vocabulary = knowledge_base.vocabulary
    drug_findings = {
        drug.id: _unique(
            finding
            for name in (id_as_name(drug.id), drug.name, *drug.synonyms)
            if (finding := vocabulary.match_finding(name)) is not None
            and knowledge_base.findings[finding].category == "history"
        )
        for drug in knowledge_base.drugs.values()
    }
    age_findings = {
        finding.id: finding.derived
        for finding in knowledge_base.findings.values()
        if finding.derived is not None and finding.derived.input == "age"
    }
    return Catalogue(
        drug_names=drug_names,
        group_names=group_names,
        longest_name=max((len(key) for key in (*drug_names, *group_names)), default=0),
        drug_findings=drug_findings,
        age_findings=age_findings,
        group_label={group.id: group.name for group in knowledge_base.allergy_groups.values()},
        group_cited={
            group.id: f" [{group.sources[0]}]" if group.sources else ""
            for group in knowledge_base.allergy_groups.values()
        },
    )


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def names_within(text: str, names: Mapping[Key, str], longest: int) -> tuple[str, ...]:
    """Ids whose names occur as whole words inside ``text``, longest match first, left to right.

    This is how "simvastatin 40 mg at night" still meets simvastatin's interactions, and how
    "penicillin (rash)" is still a penicillin allergy: a name that does not match as a whole is
    reported back, and whatever known name it contains is checked all the same.
    """
    key = normalise(text)
    found: list[str] = []
    start = 0
    while start < len(key):
        for length in range(min(longest, len(key) - start), 0, -1):
            entry = names.get(key[start : start + length])
            if entry is not None:
                found.append(entry)
                start += length
                break
        else:
            start += 1
    return _unique(found)


# ---------------------------------------------------------------- what the request says


@dataclass(frozen=True)
class NamedAllergy:
    """One allergy as written, and what the knowledge base reads it as."""

    text: str
    groups: tuple[str, ...]
    drugs: tuple[str, ...]
    exact: bool

    @property
    def described(self) -> str:
        """How a reason names it: "penicillin allergy" for "penicillin" or "allergic to
        penicillin"; "aspirin sensitivity" stays as written."""
        text = _ALLERGIC_TO.sub("", self.text).strip() or self.text
        return text if _REACTION_WORDS.intersection(words(text)) else f"{text} allergy"


@dataclass(frozen=True)
class CurrentMedication:
    """One current medication as written, and the drug ids it names (none, one, or several)."""

    text: str
    drugs: tuple[str, ...]
    exact: bool


def read_allergies(names: Iterable[str], kb: KnowledgeBase, cat: Catalogue) -> list[NamedAllergy]:
    allergies = []
    for text in names:
        match = kb.vocabulary.match_allergy(text) or kb.vocabulary.match_allergy(_allergen(text))
        if match is not None:
            drugs: tuple[str, ...] = (match.drug,) if match.drug else ()
            allergies.append(NamedAllergy(text, match.groups, drugs, exact=True))
            continue
        groups = names_within(text, cat.group_names, cat.longest_name)
        drugs = names_within(text, cat.drug_names, cat.longest_name)
        flagged = _unique([*groups, *(g for d in drugs for g in kb.drugs[d].allergy_groups)])
        allergies.append(NamedAllergy(text, flagged, drugs, exact=False))
    return allergies


def _allergen(text: str) -> str:
    """What an allergy names, without "allergic to" or a trailing "allergy" ("codeine")."""
    return _REACTION_SUFFIX.sub("", _ALLERGIC_TO.sub("", text)).strip() or text


def read_medications(
    names: Iterable[str], kb: KnowledgeBase, cat: Catalogue
) -> list[CurrentMedication]:
    medications = []
    for text in names:
        drug = kb.vocabulary.match_drug(text)
        if drug is not None:
            medications.append(CurrentMedication(text, (drug,), exact=True))
        else:
            found = names_within(text, cat.drug_names, cat.longest_name)
            medications.append(CurrentMedication(text, found, exact=False))
    return medications


@dataclass(frozen=True)
class Exclusion:
    name: str
    drug: str
    reason: str


@dataclass(frozen=True)
class FoundInteraction:
    """An interaction of a prescribed drug (``first``) with a current medication or another
    drug of the same option (``second``)."""

    first: Drug
    second: Drug
    interaction: Interaction
    within_option: bool = False

    @property
    def key(self) -> tuple[str, str, int]:
        """Identity for de-duplication (interaction models hold lists, so are not hashable)."""
        return (self.first.id, self.second.id, id(self.interaction))

    def as_dict(self) -> results.Interaction:
        return {
            "drugs": [self.first.name, self.second.name],
            "drug_ids": [self.first.id, self.second.id],
            "severity": self.interaction.severity,
            "mechanism": self.interaction.mechanism,
            "advice": self.interaction.advice,
            "source": self.interaction.source,
        }

    @property
    def order(self) -> tuple[int, str, str]:
        return (_SEVERITY_RANK[self.interaction.severity], self.first.name, self.second.name)


@dataclass
class Assessment:
    """One drug checked against this patient, independent of the regimen option it is in."""

    drug: Drug
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    interactions: list[FoundInteraction] = field(default_factory=list)


@dataclass(frozen=True)
class Choice:
    """A regimen option worked out for this patient."""

    label: str
    option: RegimenOption
    doses: tuple[Dose, ...]
    interactions: tuple[FoundInteraction, ...]

    @property
    def major(self) -> tuple[FoundInteraction, ...]:
        return tuple(f for f in self.interactions if f.interaction.severity == "major")


# ---------------------------------------------------------------- the prescription


class Prescription:
    """One request worked through the knowledge base; :meth:`result` is the complete result."""

    def __init__(self, request: PrescriptionRequest, knowledge_base: KnowledgeBase) -> None:
        self.kb = knowledge_base
        self.cat = catalogue(knowledge_base)
        self.request = request
        self.patient: PatientInfo = request.patient_info
        self.condition = resolve_diagnosis(request.diagnosis, knowledge_base)
        self.regimen: Regimen | None = knowledge_base.regimen_for(self.condition.id)
        self.allergies = read_allergies(request.allergies, knowledge_base, self.cat)
        self.medications = read_medications(request.current_medications, knowledge_base, self.cat)
        self.allergic_groups = self._allergic_groups()
        self.named_drugs = _first_naming((a.drugs, a) for a in self.allergies)
        self.cross = self._cross_reactions()
        self.current = _first_naming((m.drugs, m) for m in self.medications)
        self.history = self._history_present()
        self._assessed: dict[str, Assessment] = {}
        self._options: dict[int, Choice | None] = {}
        self.excluded: dict[tuple[str, str], Exclusion] = {}
        self.chosen: Choice | None = None

    # ------------------------------------------------------------ request-wide facts

    def _allergic_groups(self) -> dict[str, NamedAllergy]:
        """Each allergy group the patient has, with the first allergy that flags it."""
        groups: dict[str, NamedAllergy] = {}
        for allergy in self.allergies:
            for group in allergy.groups:
                groups.setdefault(group, allergy)
        return groups

    def _cross_reactions(self) -> dict[str, list[tuple[str, CrossReactivity]]]:
        """Target group -> (the patient's group, the cross-reactivity rule) for every rule."""
        cross: dict[str, list[tuple[str, CrossReactivity]]] = {}
        for group in self.allergic_groups:
            for rule in self.kb.cross_reactions(group):
                if rule.group not in self.allergic_groups:
                    cross.setdefault(rule.group, []).append((group, rule))
        return cross

    def _history_present(self) -> dict[str, str]:
        """History ids the request shows, each with how it shows it (for the exclusion reason)."""
        present = {self.condition.id: f"the diagnosis is {self.condition.name}"}
        if self.patient.pregnant:
            present["pregnant"] = "the patient is pregnant"
        for medication in self.medications:
            finding = self.kb.vocabulary.match_finding(medication.text)
            ids = [finding] if finding else []
            ids += [f for drug in medication.drugs for f in self.cat.drug_findings[drug]]
            for finding_id in ids:
                present.setdefault(finding_id, f"current medication {medication.text!r}")
        for finding_id, derived in self.cat.age_findings.items():
            if derived.holds(self.patient.age):
                present.setdefault(finding_id, f"age {age_text(self.patient.age)}")
        return present

    # ------------------------------------------------------------ one drug

    def assess(self, drug_id: str) -> Assessment:
        """Every check that depends on the drug alone, done once per request."""
        if drug_id not in self._assessed:
            assessment = Assessment(self.kb.drugs[drug_id])
            self._check_allergy(assessment)
            self._check_contraindications(assessment)
            self._check_pregnancy(assessment)
            self._check_renal(assessment)
            self._check_current_medications(assessment)
            self._assessed[drug_id] = assessment
        return self._assessed[drug_id]

    def _check_allergy(self, a: Assessment) -> None:
        drug = a.drug
        if drug.id in self.named_drugs:
            allergy = self.named_drugs[drug.id]
            a.reasons.append(f"{allergy.described} ({drug.name} is named as an allergy)")
        for group in drug.allergy_groups:
            if group in self.allergic_groups:
                allergy = self.allergic_groups[group]
                if drug.id not in allergy.drugs:
                    a.reasons.append(
                        f"{allergy.described} ({drug.name} belongs to the "
                        f"{self.cat.group_label[group]} allergy group){self.cat.group_cited[group]}"
                    )
            for source_group, rule in self.cross.get(group, ()):
                self._apply_cross_reactivity(a, source_group, rule)

    def _apply_cross_reactivity(
        self, a: Assessment, source_group: str, rule: CrossReactivity
    ) -> None:
        allergy = self.allergic_groups[source_group]
        labels = self.cat.group_label
        note = (
            f"{allergy.described}: cross-reactivity between {labels[source_group]} and "
            f"{labels[rule.group]} ({a.drug.name}): {rule.text} [{rule.source}]"
        )
        if rule.action == "exclude":
            a.reasons.append(note)
        else:
            a.warnings.append(f"{a.drug.name}: caution, {note}")

    def _check_contraindications(self, a: Assessment) -> None:
        for rule in a.drug.contraindications:
            if not self._applies_to_sex(rule):
                continue
            reason = self._contraindication(rule)
            if reason is not None:
                a.reasons.append(reason)
            elif rule.history is not None and rule.history not in self.cat.age_findings:
                a.checks.append(_labelled(self._history_label(rule.history), rule.text))
            elif rule.pregnant and self._pregnancy_unknown():
                a.checks.append(f"pregnancy not stated: {rule.text}")

    def _applies_to_sex(self, rule: Contraindication) -> bool:
        """A rule on a finding only the other sex can have (breastfeeding) is not asked about."""
        finding = self.kb.findings.get(rule.history) if rule.history is not None else None
        return finding is None or finding.applies_to(self.patient.sex)

    def _contraindication(self, rule: Contraindication) -> str | None:
        """The exclusion reason if the request shows the contraindication, else None."""
        if rule.age_below_years is not None and self.patient.age < rule.age_below_years:
            return (
                f"age {age_text(self.patient.age)} is below {number(rule.age_below_years)} "
                f"years: {rule.text} [{rule.source}]"
            )
        if rule.pregnant and self.patient.pregnant:
            return f"pregnancy: contraindicated: {rule.text} [{rule.source}]"
        if rule.history is not None and rule.history in self.history:
            return (
                f"contraindicated in {self._history_label(rule.history)} "
                f"({self.history[rule.history]}): {rule.text} [{rule.source}]"
            )
        return None

    def _history_label(self, history_id: str) -> str:
        if history_id in self.kb.findings:
            return self.kb.findings[history_id].label.lower()
        return self.kb.conditions[history_id].name

    def _pregnancy_unknown(self) -> bool:
        return (
            self.patient.pregnant is None
            and self.patient.sex == "female"
            and self.patient.age >= _PREGNANCY_POSSIBLE_FROM_YEARS
        )

    def _check_pregnancy(self, a: Assessment) -> None:
        advice = a.drug.pregnancy
        if advice is None or advice.category == "compatible":
            return
        if self.patient.pregnant and advice.category == "avoid":
            a.reasons.append(f"pregnancy: avoid ({advice.advice}) [{advice.source}]")
        elif self.patient.pregnant:
            a.warnings.append(f"{a.drug.name} in pregnancy: {advice.advice} [{advice.source}]")
        elif advice.category == "avoid" and self._pregnancy_unknown():
            a.checks.append(f"pregnancy not stated: avoid in pregnancy ({advice.advice})")

    def _check_renal(self, a: Assessment) -> None:
        band = applicable_band(a.drug, self.patient.egfr)
        if band is None or band.action == "reduce":
            return  # a reduction is applied to the dose
        where = f"eGFR {number(self.patient.egfr or 0)} below {number(band.egfr_below)}"
        if band.action == "avoid":
            a.reasons.append(f"{where}: avoid ({band.advice}) [{band.source}]")
        else:
            a.warnings.append(f"{a.drug.name}: {where}: caution: {band.advice} [{band.source}]")

    def _check_current_medications(self, a: Assessment) -> None:
        for other_id, medication in self.current.items():
            if other_id == a.drug.id:
                a.warnings.append(
                    f"{a.drug.name} is already a current medication ({medication.text!r}): "
                    "check before adding it again"
                )
                continue
            other = self.kb.drugs[other_id]
            for interaction in self.kb.interactions_between(a.drug.id, other_id):
                found = FoundInteraction(a.drug, other, interaction)
                if interaction.severity == "contraindicated":
                    a.reasons.append(
                        f"contraindicated with {other.name} (current medication "
                        f"{medication.text!r}): "
                        f"{interaction.mechanism} [{interaction.source}]"
                    )
                else:
                    a.interactions.append(found)

    # ------------------------------------------------------------ options

    def ordered_options(self) -> list[tuple[str, RegimenOption]]:
        """Allergy alternatives for the patient's groups, then first line, then alternatives."""
        regimen = self.regimen
        if regimen is None or not regimen.first_line:
            return []
        options: list[tuple[str, RegimenOption]] = []
        for group, group_options in regimen.allergy_alternatives.items():
            if group in self.allergic_groups:
                label = f"alternative for {self.cat.group_label[group]} allergy"
                options += [(label, option) for option in group_options]
        options += [(FIRST_LINE, option) for option in regimen.first_line]
        options += [("alternative treatment", option) for option in regimen.alternatives]
        return options

    def choose(self) -> Choice | None:
        """The first workable option without a major interaction, else the first workable one.

        When allergy alternatives lead, the first-line options are worked out first all the same,
        so that ``excluded`` says why the first-line drug was not given.
        """
        options = self.ordered_options()
        if options and options[0][0] != FIRST_LINE:
            for label, option in options:
                if label == FIRST_LINE:
                    self._worked(label, option)
        with_major: list[Choice] = []
        for label, option in options:
            choice = self._worked(label, option)
            if choice is None:
                continue
            if not choice.major:
                for passed in with_major:
                    self._passed_over(passed)
                return choice
            with_major.append(choice)
        return with_major[0] if with_major else None

    def _worked(self, label: str, option: RegimenOption) -> Choice | None:
        """:meth:`_work_out`, once per option."""
        if id(option) not in self._options:
            self._options[id(option)] = self._work_out(label, option)
        return self._options[id(option)]

    def _work_out(self, label: str, option: RegimenOption) -> Choice | None:
        """The option with doses and interactions, or None (its exclusions recorded)."""
        doses: list[Dose] = []
        workable = True
        for item in option.drugs:
            assessment = self.assess(item.drug)
            reasons = list(assessment.reasons)
            dose = self._dose(item, assessment)
            if isinstance(dose, DoseRefusal):
                reasons.append(dose.reason)
            else:
                doses.append(dose)
            self._exclude(assessment.drug, reasons)
            workable = workable and not reasons
        pairs = self._within_option(option)
        if not workable or pairs is None:
            return None
        found = [f for item in option.drugs for f in self.assess(item.drug).interactions]
        return Choice(label, option, tuple(doses), tuple(sorted([*found, *pairs], key=_order)))

    def _dose(self, item: RegimenDrug, assessment: Assessment) -> Dose | DoseRefusal:
        band = applicable_band(assessment.drug, self.patient.egfr)
        return dose_for(assessment.drug, item, self.patient, band)

    def _within_option(self, option: RegimenOption) -> list[FoundInteraction] | None:
        """Interactions between the option's own drugs; None when a pair is contraindicated."""
        found: list[FoundInteraction] = []
        ids = [item.drug for item in option.drugs]
        for index, first in enumerate(ids):
            for second in ids[index + 1 :]:
                for interaction in self.kb.interactions_between(first, second):
                    a, b = self.kb.drugs[first], self.kb.drugs[second]
                    if interaction.severity == "contraindicated":
                        reason = (
                            f"contraindicated with {a.name} in the same option: "
                            f"{interaction.mechanism} [{interaction.source}]"
                        )
                        self._exclude(b, [reason])
                        return None
                    found.append(FoundInteraction(a, b, interaction, within_option=True))
        return found

    def _exclude(self, drug: Drug, reasons: list[str]) -> None:
        if reasons:
            exclusion = Exclusion(drug.name, drug.id, "; ".join(reasons))
            self.excluded.setdefault((exclusion.drug, exclusion.reason), exclusion)

    def _passed_over(self, choice: Choice) -> None:
        """A workable option left for a later one without its major interaction."""
        for found in choice.major:
            other = "in the same option" if found.within_option else "(current medication)"
            reason = (
                f"major interaction with {found.second.name} {other}: "
                f"{found.interaction.mechanism} [{found.interaction.source}]; "
                "a later option without a major interaction was chosen"
            )
            self._exclude(found.first, [reason])

    # ------------------------------------------------------------ the result

    def result(self) -> results.PrescriptionResult:
        self.chosen = self.choose()
        medications = self._medications()
        return {
            "diagnosis": self.condition.name,
            "icd10": self.condition.icd10,
            "condition_id": self.condition.id,
            "urgency": self.condition.base_urgency,
            "allergy_check": self._allergy_check(),
            "medications": medications,
            "excluded": [
                {"name": e.name, "drug": e.drug, "reason": e.reason} for e in self.excluded.values()
            ],
            "interactions": [f.as_dict() for f in self._interactions()],
            "monitoring": self._monitoring(),
            "follow_up": self._follow_up(),
            "warnings": self._warnings(),
            "non_drug": list(self.regimen.non_drug) if self.regimen else [],
            "unrecognized_allergies": [a.text for a in self.allergies if not a.exact],
            "unrecognized_medications": [m.text for m in self.medications if not m.exact],
            "engine_version": self.kb.engine_version,
            "disclaimer": self.kb.disclaimer,
        }

    def _allergy_check(self) -> results.AllergyCheck:
        return {
            "recognized": [
                {
                    "allergy": allergy.text,
                    "groups": [self.cat.group_label[g] for g in allergy.groups],
                    "drugs": [self.kb.drugs[d].name for d in allergy.drugs],
                    "matched": "exact" if allergy.exact else "by a name within it",
                }
                for allergy in self.allergies
                if allergy.groups or allergy.drugs
            ],
            "unrecognized": [a.text for a in self.allergies if not (a.groups or a.drugs)],
            "groups": [self.cat.group_label[group] for group in self.allergic_groups],
            "cross_reactivity": [
                {
                    "from": self.cat.group_label[source],
                    "to": self.cat.group_label[rule.group],
                    "action": rule.action,
                    "text": rule.text,
                    "source": rule.source,
                }
                for rules in self.cross.values()
                for source, rule in rules
            ],
        }

    def _medications(self) -> list[results.Medication]:
        if self.chosen is None:
            return []
        return [
            self._medication(item, dose)
            for item, dose in zip(self.chosen.option.drugs, self.chosen.doses, strict=True)
        ]

    def _medication(self, item: RegimenDrug, dose: Dose) -> results.Medication:
        assert self.chosen is not None and self.regimen is not None
        drug = self.kb.drugs[item.drug]
        label = self.chosen.label
        rationale = f"{label[:1].upper()}{label[1:]} for {self.condition.name}"
        if self.excluded:
            rationale += " (other options were excluded: see excluded)"
        return {
            "name": drug.name,
            "drug": drug.id,
            "dose": format_dose(dose.dose_mg),
            "dose_mg": _json_number(dose.dose_mg),
            "route": dose.route,
            "frequency": dose.frequency,
            "duration": item.duration or "as directed by the prescriber",
            "rationale": f"{rationale} [{self.regimen.source}]; {dose.basis}",
            "source": self.regimen.source,
            "adjustments": list(dose.adjustments),
            "check_before_prescribing": list(self.assess(drug.id).checks),
        }

    def _interactions(self) -> list[FoundInteraction]:
        if self.chosen is None:
            return []
        unique = {found.key: found for found in reversed(self.chosen.interactions)}
        return sorted(unique.values(), key=_order)

    def _dose_changes(self, drug_id: str) -> list[str]:
        if self.chosen is None:
            return []
        return [
            change
            for item, dose in zip(self.chosen.option.drugs, self.chosen.doses, strict=True)
            if item.drug == drug_id
            for change in dose.adjustments
        ]

    def _chosen_drugs(self) -> list[Drug]:
        if self.chosen is None:
            return []
        return [self.kb.drugs[item.drug] for item in self.chosen.option.drugs]

    def _monitoring(self) -> list[results.MonitoringItem]:
        items: dict[str, results.MonitoringItem] = {}
        if self.regimen is not None:
            for text in self.regimen.monitoring:
                items.setdefault(
                    text, {"text": text, "for": self.condition.name, "source": self.regimen.source}
                )
        for drug in self._chosen_drugs():
            for text in drug.monitoring:
                items.setdefault(text, {"text": text, "for": drug.name, "source": drug.sources[0]})
        return list(items.values())

    def _follow_up(self) -> str:
        if self.regimen is None:
            return (
                f"The knowledge base holds no treatment regimen for {self.condition.name}: "
                "follow local guidance or seek specialist advice."
            )
        return self.regimen.follow_up

    def _warnings(self) -> list[str]:
        warnings = [*self._pathway_warnings(), *self._input_warnings()]
        for drug in self._chosen_drugs():
            assessment = self.assess(drug.id)
            warnings += assessment.warnings
            warnings += [f"{drug.name}: {change}" for change in self._dose_changes(drug.id)]
            if assessment.checks:
                checks = "; ".join(check.rstrip(".") for check in assessment.checks)
                warnings.append(f"{drug.name}: confirm first (the request does not say): {checks}.")
        warnings += [
            f"{f.interaction.severity.capitalize()} interaction, {f.first.name} + {f.second.name}: "
            f"{f.interaction.advice} [{f.interaction.source}]"
            for f in self._interactions()
            if f.interaction.severity in ("contraindicated", "major")
        ]
        return list(dict.fromkeys(warnings))

    def _pathway_warnings(self) -> list[str]:
        name = self.condition.name
        warnings = []
        if self.condition.base_urgency == "emergency":
            warnings.append(
                f"{name} is an emergency: a hospital pathway. Arrange immediate assessment or "
                "transfer; any medication here is only what to give before or during transfer."
            )
        if self.regimen is None:
            warnings.append(
                f"No medication suggested: no regimen for {name} in the knowledge base."
            )
        elif not self.regimen.first_line:
            warnings.append(
                f"No medication suggested: {name} is not treated with a drug from this service; "
                "follow the follow-up advice."
            )
        elif self.chosen is None:
            warnings.append(
                f"No medication suggested: every option in the regimen for {name} was excluded "
                "for this patient (see excluded for each reason). Seek specialist advice."
            )
        return warnings

    def _input_warnings(self) -> list[str]:
        warnings = []
        for allergy in self.allergies:
            if not (allergy.groups or allergy.drugs):
                warnings.append(
                    f"Allergy {allergy.text!r} was not recognised: check every medication "
                    "against it yourself."
                )
            elif not allergy.exact:
                read_as = [self.cat.group_label[g] for g in allergy.groups] or [
                    self.kb.drugs[d].name for d in allergy.drugs
                ]
                warnings.append(
                    f"Allergy {allergy.text!r} was not recognised as a whole; "
                    f"checked as {', '.join(read_as)}."
                )
        for medication in self.medications:
            if not medication.drugs:
                warnings.append(
                    f"Current medication {medication.text!r} was not recognised: its interactions "
                    "were not checked."
                )
            elif not medication.exact:
                names = ", ".join(self.kb.drugs[d].name for d in medication.drugs)
                warnings.append(
                    f"Current medication {medication.text!r} was not recognised as a whole; "
                    f"checked for interactions as {names}."
                )
        return warnings


def _labelled(label: str, text: str) -> str:
    """``text`` prefixed with ``label`` unless it already says it."""
    return text if label.lower() in text.lower() else f"{label}: {text}"


def _first_naming(entries: Iterable[tuple[tuple[str, ...], Any]]) -> dict[str, Any]:
    """Drug id -> the first request entry naming it, in request order."""
    named: dict[str, Any] = {}
    for drug_ids, entry in entries:
        for drug_id in drug_ids:
            named.setdefault(drug_id, entry)
    return named


def _order(found: FoundInteraction) -> tuple[int, str, str]:
    return found.order


def _json_number(value: Any) -> int | float:
    return int(value) if value == int(value) else float(value)
