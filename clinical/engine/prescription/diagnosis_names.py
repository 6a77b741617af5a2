"""Which condition a prescription's diagnosis names, as clinicians write it: a condition name,
synonym, id or ICD-10 code in any case; the same with qualifiers that do not change the condition
("acute", "uncomplicated", "simple", "lower", "suspected", a site "of the knee"), with detail after
a comma or in brackets ("Community-acquired pneumonia, CRB65 0", "Oral candidiasis (oral
thrush)"), a short name only one condition's name holds ("pneumonia"), or an ICD-10 code whose
category holds one condition. For an unknown name, the closest known ones, with their codes, to
suggest. Words that change the condition ("severe", "recurrent", "in a man", "with fever") are
never dropped: such a name is refused rather than read as a milder condition."""

from __future__ import annotations

import difflib
import functools
import re

from clinical.engine.contract.errors import EngineValidationError
from clinical.engine.knowledge.loader import KnowledgeBase
from clinical.engine.knowledge.schema import Condition
from clinical.engine.knowledge.vocabulary import Key, normalise, unordered

_SUGGESTIONS = 3
_NAME_LIKENESS = 0.6  # difflib's own default cutoff
_WORD_LIKENESS = 0.75
_ICD10_LIKE = re.compile(r"^\s*([A-Za-z])\s*(\d{2})")
_LONGEST_CODE = len("A00.00")


def resolve_diagnosis(name: str, knowledge_base: KnowledgeBase) -> Condition:
    """The condition a diagnosis names (name, id or ICD-10 code, any case); else an error."""
    condition_id = _resolve(knowledge_base, name)
    if condition_id is None:
        raise EngineValidationError({"diagnosis": [_unknown_diagnosis(name, knowledge_base)]})
    return knowledge_base.conditions[condition_id]


# Words that qualify a diagnosis without naming another condition.
_QUALIFIERS = frozenset(
    {
        "acute",
        "uncomplicated",
        "simple",
        "lower",
        "suspected",
        "presumed",
        "probable",
        "possible",
        "bilateral",
        "left",
        "right",
        "mild",
        "moderate",
        "newly",
        "diagnosed",
        "new",
        "flare",
        "episode",
        "first",
        "low",
        "severity",
    }
)
_SITE = re.compile(r"\s+of\s+the\s+[a-z ]+$", re.I)
_BRACKETS = re.compile(r"\(([^()]*)\)")


@functools.lru_cache(maxsize=4096)
def _resolve(knowledge_base: KnowledgeBase, name: str) -> str | None:
    vocabulary = knowledge_base.vocabulary
    for candidate in _readings(name):
        found = vocabulary.match_condition(candidate)
        if found is not None:
            return found
    for candidate in _readings(name):
        found = _held_by_one(candidate, knowledge_base) or _one_in_category(
            candidate, knowledge_base
        )
        if found is not None:
            return found
    return None


def _readings(name: str) -> list[str]:
    """The ways a written diagnosis may name a condition, most literal first."""
    inside = [part.strip() for part in _BRACKETS.findall(name)]
    bare = _BRACKETS.sub(" ", name).strip()
    head, _, tail = bare.partition(",")
    readings = [name, bare, *inside, head.strip(), f"{tail.strip()} {head.strip()}".strip()]
    readings += [_SITE.sub("", reading) for reading in readings]
    readings += [_unqualified(reading) for reading in readings]
    return [reading for reading in dict.fromkeys(readings) if reading]


def _unqualified(name: str) -> str:
    return " ".join(word for word in name.split() if word.lower().strip(",") not in _QUALIFIERS)


def _held_by_one(name: str, knowledge_base: KnowledgeBase) -> str | None:
    """The one condition whose name holds ``name``'s words in order ("pneumonia" in
    "Community-acquired pneumonia"); None when none or several do. Synonyms are not searched: a
    synonym's extra word may be a judgement ("viral sore throat") the clinician did not make."""
    key = normalise(name)
    if not key:
        return None
    holders = {
        condition.id
        for condition in knowledge_base.conditions.values()
        if _holds(normalise(condition.name), key)
    }
    return holders.pop() if len(holders) == 1 else None


def _holds(words: Key, run: Key) -> bool:
    return any(words[start : start + len(run)] == run for start in range(len(words)))


def _one_in_category(name: str, knowledge_base: KnowledgeBase) -> str | None:
    """For an ICD-10 code the knowledge base lacks, the one condition of its category."""
    code = _ICD10_LIKE.match(name)
    if code is None or len(name.strip()) > _LONGEST_CODE:
        return None
    category = f"{code[1].upper()}{code[2]}"
    same = [c.id for c in knowledge_base.conditions.values() if c.icd10.startswith(category)]
    return same[0] if len(same) == 1 else None


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
    suggested = [*alike, *_conditions_presenting_with(name, knowledge_base)]
    codes = {c.name: c.icd10 for c in conditions.values()}
    return [f"{found} ({codes[found]})" for found in dict.fromkeys(suggested)][:_SUGGESTIONS]


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
