"""Load and validate the knowledge base (``clinical/engine/knowledge/``) into one object.

Every file is checked on load: each entry against its declared model
(:mod:`clinical.engine.knowledge.schema`), then every reference across files (finding, source, drug,
tag, allergy group, condition ids), unique ids and names. A failure raises
:class:`KnowledgeBaseError` naming the file, the entry and the field, because a knowledge base that
loads half-right would give wrong advice quietly. The content hash of every file is part of
``engine_version``, stored with each session so a result can be traced to the data behind it.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from clinical.engine.contract.errors import KnowledgeBaseError
from clinical.engine.contract.results import INTERACTION_SEVERITIES
from clinical.engine.knowledge.schema import (
    ENTRY_MODELS,
    TAG_PREFIX,
    AllergyGroup,
    Condition,
    CrossReactivity,
    Drug,
    Entry,
    Finding,
    Interaction,
    Policy,
    RedFlagRule,
    Regimen,
    Source,
)
from clinical.engine.knowledge.score_tables import load_score_tables
from clinical.engine.knowledge.vocabulary import (
    NameClashError,
    NameIndex,
    Vocabulary,
    icd10_key,
    id_as_name,
)

ENGINE_CODE_VERSION = "1.7.0"
KNOWLEDGE_DIR = Path(__file__).resolve().parent
DISCLAIMER = (
    "Clinical decision support for a qualified clinician, not a diagnosis or prescription on its "
    "own: check it against your own assessment, local guidance and the product information."
)
ENTRY_KINDS = tuple(ENTRY_MODELS)
SCORES_KIND = "scores"
POLICY_KIND = "policy"


@dataclass(frozen=True)
class Located:
    """Where an entry was defined, for error messages."""

    file: str
    entry: str


def kb_error(where: Located, field_path: str, message: str) -> KnowledgeBaseError:
    """The one error format: ``file: entry 'id': field: message``."""
    location = f"{where.file}: entry {where.entry!r}"
    if field_path:
        location += f": field {field_path!r}"
    return KnowledgeBaseError(f"{location}: {message}")


@dataclass(eq=False)
class KnowledgeBase:
    """The validated knowledge base. Read-only by convention; shared by every request."""

    path: Path
    content_hash: str
    sources: dict[str, Source]
    findings: dict[str, Finding]
    red_flags: dict[str, RedFlagRule]
    conditions: dict[str, Condition]
    drugs: dict[str, Drug]
    allergy_groups: dict[str, AllergyGroup]
    interactions: tuple[Interaction, ...]
    regimens: dict[str, Regimen]
    score_tables: dict[str, Any]
    vocabulary: Vocabulary
    policy: Policy
    disclaimer: str = DISCLAIMER
    _tagged: dict[str, tuple[str, ...]] = field(default_factory=dict, init=False, repr=False)
    _pairs: dict[frozenset[str], tuple[Interaction, ...]] = field(
        default_factory=dict, init=False, repr=False
    )
    _group_members: dict[str, tuple[str, ...]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._tagged = _drugs_by_tag(self.drugs.values())
        self._pairs = _interaction_pairs(self.interactions, self.interactant_drugs)
        members: dict[str, list[str]] = defaultdict(list)
        for drug in self.drugs.values():
            for group in drug.allergy_groups:
                members[group].append(drug.id)
        self._group_members = {group: tuple(sorted(ids)) for group, ids in members.items()}

    @property
    def engine_version(self) -> str:
        return f"{ENGINE_CODE_VERSION}+kb.{self.content_hash[:12]}"

    def counts(self) -> dict[str, int]:
        """How many entries of each kind were loaded (what ``validate`` prints)."""
        return {
            "sources": len(self.sources),
            "findings": len(self.findings),
            "red_flags": len(self.red_flags),
            "conditions": len(self.conditions),
            "drugs": len(self.drugs),
            "allergy_groups": len(self.allergy_groups),
            "interactions": len(self.interactions),
            "regimens": len(self.regimens),
            "scores": len(self.score_tables),
        }

    def drugs_tagged(self, tag: str) -> tuple[str, ...]:
        """Ids of the drugs carrying ``tag`` (sorted)."""
        return self._tagged.get(tag, ())

    def interactant_drugs(self, item: str) -> tuple[str, ...]:
        """The drug ids one side of an interaction (``drug_id`` or ``tag:<tag>``) stands for."""
        if item.startswith(TAG_PREFIX):
            return self.drugs_tagged(item.removeprefix(TAG_PREFIX))
        return (item,)

    def interactions_between(self, first: str, second: str) -> tuple[Interaction, ...]:
        """Interactions between two drug ids (symmetric), most severe first."""
        return self._pairs.get(frozenset((first, second)), ())

    def regimen_for(self, condition_id: str) -> Regimen | None:
        return self.regimens.get(condition_id)

    def drugs_in_group(self, group_id: str) -> tuple[str, ...]:
        """Ids of the drugs that list ``group_id`` among their allergy groups (sorted)."""
        return self._group_members.get(group_id, ())

    def cross_reactions(self, group_id: str) -> tuple[CrossReactivity, ...]:
        """Cross-reactivity from an allergy to ``group_id`` towards other groups."""
        group = self.allergy_groups.get(group_id)
        return tuple(group.cross_reactivity) if group else ()


_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(INTERACTION_SEVERITIES)}


def _drugs_by_tag(drugs: Iterable[Drug]) -> dict[str, tuple[str, ...]]:
    tagged: dict[str, list[str]] = defaultdict(list)
    for drug in drugs:
        for tag in drug.tags:
            tagged[tag].append(drug.id)
    return {tag: tuple(sorted(ids)) for tag, ids in tagged.items()}


def _interaction_pairs(
    interactions: Iterable[Interaction], side: Callable[[str], tuple[str, ...]]
) -> dict[frozenset[str], tuple[Interaction, ...]]:
    """Expand ``tag:`` sides into drug pairs once, so a lookup is one dict access."""
    pairs: dict[frozenset[str], list[Interaction]] = defaultdict(list)
    for interaction in interactions:
        first, second = interaction.between
        for a in side(first):
            for b in side(second):
                if a != b and interaction not in pairs[frozenset((a, b))]:
                    pairs[frozenset((a, b))].append(interaction)
    return {
        pair: tuple(sorted(items, key=lambda item: _SEVERITY_RANK[item.severity]))
        for pair, items in pairs.items()
    }


# ---------------------------------------------------------------- reading files


@dataclass
class RawKind:
    """The parsed entries of one kind, each with where it came from."""

    entries: list[tuple[Located, Any]] = field(default_factory=list)


# libyaml's parser when PyYAML was built with it (ten times faster); both are the safe loader.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def _read_yaml(path: Path, relative: str) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise KnowledgeBaseError(f"{relative}: not valid YAML{where}: {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise KnowledgeBaseError(f"{relative}: cannot be read: {error}") from None


def _entries_of(kind: str, document: Any, relative: str) -> Iterator[tuple[Located, Any]]:
    """The entries a file holds under its top-level key ``kind``."""
    if document is None:
        return
    if not isinstance(document, dict) or set(document) != {kind}:
        keys = sorted(document) if isinstance(document, dict) else type(document).__name__
        raise KnowledgeBaseError(
            f"{relative}: must hold exactly one top-level key {kind!r}, found {keys}"
        )
    body = document[kind]
    if body is None:
        return
    if kind in ("sources", POLICY_KIND):
        if not isinstance(body, dict):
            raise KnowledgeBaseError(f"{relative}: `{kind}` must map names to entries")
        for source_id, entry in body.items():
            yield Located(relative, str(source_id)), entry
        return
    if not isinstance(body, list):
        raise KnowledgeBaseError(f"{relative}: `{kind}` must be a list of entries")
    for index, entry in enumerate(body):
        yield Located(relative, _entry_name(kind, entry, index)), entry


def _entry_name(kind: str, entry: Any, index: int) -> str:
    if isinstance(entry, dict):
        if kind == "regimens" and isinstance(entry.get("condition"), str):
            return entry["condition"]
        if kind == "interactions" and isinstance(entry.get("between"), list):
            return " + ".join(str(item) for item in entry["between"])
        if isinstance(entry.get("id"), str):
            return entry["id"]
    return f"#{index + 1}"


def _plain(value: Any) -> Any:
    """YAML allows any scalar as a key (``true:``, ``3:``); JSON wants strings, kept distinct."""
    if isinstance(value, dict):
        return {
            key if isinstance(key, str) else f"{type(key).__name__}:{key}": _plain(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _canonical(document: Any) -> bytes:
    """The file's content independent of comments, layout and key order."""
    plain = _plain(document)
    return json.dumps(plain, sort_keys=True, separators=(",", ":"), default=str).encode()


def read_files(root: Path) -> tuple[dict[str, RawKind], str]:
    """Every kind's raw entries, and the SHA-256 over all files' canonical content."""
    digest = hashlib.sha256()
    raw: dict[str, RawKind] = {kind: RawKind() for kind in (*ENTRY_KINDS, POLICY_KIND)}
    for kind in (*ENTRY_KINDS, POLICY_KIND, SCORES_KIND):
        for path in _yaml_files(root / kind):
            relative = path.relative_to(root).as_posix()
            document = _read_yaml(path, relative)
            digest.update(relative.encode() + b"\0" + _canonical(document) + b"\0")
            if kind != SCORES_KIND:
                raw[kind].entries.extend(_entries_of(kind, document, relative))
    return raw, digest.hexdigest()


# ---------------------------------------------------------------- entry validation


def _field_path(location: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in location)


_MESSAGES = {"extra_forbidden": "unknown field", "missing": "this field is required"}


def _parse_entry(kind: str, where: Located, data: Any) -> Entry:
    model = ENTRY_MODELS[kind]
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        message = _MESSAGES.get(first["type"], first["msg"].removeprefix("Value error, "))
        more = error.error_count() - 1
        if more:
            message += f" (and {more} more error{'s' if more > 1 else ''} in this entry)"
        raise kb_error(where, _field_path(first["loc"]), message) from None


def _parse_kind(kind: str, raw: RawKind) -> tuple[dict[str, Entry], dict[str, Located]]:
    """Validate each entry and reject an id defined twice (within or across files)."""
    parsed: dict[str, Entry] = {}
    located: dict[str, Located] = {}
    for where, data in raw.entries:
        entry = _parse_entry(kind, where, data)
        key = _entry_key(kind, entry, where)
        if key in located:
            first = located[key]
            raise kb_error(where, _key_field(kind), f"{key!r} is already defined in {first.file}")
        parsed[key] = entry
        located[key] = where
    return parsed, located


def _entry_key(kind: str, entry: Entry, where: Located) -> str:
    if kind == "sources":
        return where.entry
    if isinstance(entry, Interaction):
        pair = " + ".join(sorted(entry.between))
        third = " or ".join(sorted(entry.when_also_taking))
        return f"{pair} (with {third})" if third else pair
    return entry.id  # type: ignore[attr-defined]


def _key_field(kind: str) -> str:
    return {"sources": "", "interactions": "between", "regimens": "condition"}.get(kind, "id")


# ---------------------------------------------------------------- cross-references


@dataclass
class Parsed:
    """All validated entries with their locations; the input of the reference checks."""

    entries: dict[str, dict[str, Entry]]
    where: dict[str, dict[str, Located]]

    def of(self, kind: str) -> dict[str, Any]:
        return self.entries[kind]

    def items(self, kind: str) -> Iterator[tuple[str, Any, Located]]:
        for key, entry in self.entries[kind].items():
            yield key, entry, self.where[kind][key]


def _source_references(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every ``source``/``sources`` value anywhere inside an entry, with its field path."""
    if isinstance(value, BaseModel):
        value = value.model_dump(by_alias=True)
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if key == "source" and isinstance(item, str):
                yield here, item
            elif key == "sources" and isinstance(item, list):
                yield from ((f"{here}.{i}", source) for i, source in enumerate(item))
            else:
                yield from _source_references(item, here)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _source_references(item, f"{path}.{index}")


def _check_sources(parsed: Parsed) -> None:
    sources = parsed.of("sources")
    for kind in ENTRY_KINDS:
        if kind == "sources":
            continue
        for _, entry, where in parsed.items(kind):
            for field_path, source_id in _source_references(entry):
                if source_id not in sources:
                    raise kb_error(where, field_path, f"unknown source {source_id!r}")


def _require(
    ids: Mapping[str, Any], value: str, what: str, where: Located, field_path: str
) -> None:
    if value not in ids:
        raise kb_error(where, field_path, f"unknown {what} {value!r}")


def _check_conditions(parsed: Parsed) -> None:
    findings: dict[str, Finding] = parsed.of("findings")
    for _, condition, where in parsed.items("conditions"):
        for finding_id in condition.findings:
            _require(findings, finding_id, "finding", where, f"findings.{finding_id}")
        if condition.cant_miss is not None:
            if condition.base_urgency not in ("emergency", "urgent"):
                message = "a condition not to be missed needs emergency or urgent care"
                raise kb_error(where, "cant_miss", message)
            for index, feature in enumerate(condition.cant_miss.features()):
                for finding_id in feature:
                    path = f"cant_miss.key_features.{index}"
                    _require(findings, finding_id, "finding", where, path)
        for finding_id in condition.risk_factors:
            field_path = f"risk_factors.{finding_id}"
            _require(findings, finding_id, "finding", where, field_path)
            if findings[finding_id].category != "history":
                raise kb_error(where, field_path, "a risk factor must be a history finding")
            if finding_id in condition.findings:
                raise kb_error(where, field_path, "also listed in findings (counted twice)")


def _check_red_flags(parsed: Parsed) -> None:
    findings = parsed.of("findings")
    for _, rule, where in parsed.items("red_flags"):
        for group in ("all", "any"):
            for index, finding_id in enumerate(getattr(rule, group)):
                _require(findings, finding_id, "finding", where, f"{group}.{index}")


def _check_drugs(parsed: Parsed) -> None:
    findings, conditions = parsed.of("findings"), parsed.of("conditions")
    groups = parsed.of("allergy_groups")
    for _, drug, where in parsed.items("drugs"):
        for index, group in enumerate(drug.allergy_groups):
            _require(groups, group, "allergy group", where, f"allergy_groups.{index}")
        for index, rule in enumerate(drug.contraindications):
            if (
                rule.history is not None
                and rule.history not in findings
                and rule.history not in conditions
            ):
                raise kb_error(
                    where,
                    f"contraindications.{index}.history",
                    f"unknown history finding or condition {rule.history!r}",
                )
        if drug.overdose is not None:
            _require(findings, drug.overdose.finding, "finding", where, "overdose.finding")
            if drug.adult.max_daily_mg is None:
                message = "an overdose rule needs adult.max_daily_mg (the amount it is judged by)"
                raise kb_error(where, "overdose", message)


def _check_allergy_groups(parsed: Parsed) -> None:
    groups = parsed.of("allergy_groups")
    for group_id, group, where in parsed.items("allergy_groups"):
        for index, item in enumerate(group.cross_reactivity):
            field_path = f"cross_reactivity.{index}.group"
            _require(groups, item.group, "allergy group", where, field_path)
            if item.group == group_id:
                raise kb_error(where, field_path, "a group cannot cross-react with itself")


def _check_interactions(parsed: Parsed) -> None:
    drugs = parsed.of("drugs")
    tags = {tag for drug in drugs.values() for tag in drug.tags}
    for _, interaction, where in parsed.items("interactions"):
        named = [("between", item) for item in interaction.between]
        named += [("when_also_taking", item) for item in interaction.when_also_taking]
        for index, (field_name, item) in enumerate(named):
            index = index if field_name == "between" else index - len(interaction.between)
            if item.startswith(TAG_PREFIX):
                tag = item.removeprefix(TAG_PREFIX)
                if tag not in tags:
                    message = f"no drug carries tag {tag!r}"
                    raise kb_error(where, f"{field_name}.{index}", message)
            else:
                _require(drugs, item, "drug", where, f"{field_name}.{index}")


def _check_regimens(parsed: Parsed) -> None:
    conditions, drugs = parsed.of("conditions"), parsed.of("drugs")
    groups = parsed.of("allergy_groups")
    for _, regimen, where in parsed.items("regimens"):
        _require(conditions, regimen.condition, "condition", where, "condition")
        for group in regimen.allergy_alternatives:
            _require(groups, group, "allergy group", where, f"allergy_alternatives.{group}")
        for field_path, option in _regimen_options(regimen):
            for index, item in enumerate(option.drugs):
                _require(drugs, item.drug, "drug", where, f"{field_path}.drugs.{index}.drug")


def _regimen_options(regimen: Regimen) -> Iterator[tuple[str, Any]]:
    for index, option in enumerate(regimen.first_line):
        yield f"first_line.{index}", option
    for index, option in enumerate(regimen.alternatives):
        yield f"alternatives.{index}", option
    for group, options in regimen.allergy_alternatives.items():
        for index, option in enumerate(options):
            yield f"allergy_alternatives.{group}.{index}", option


def _check_derived(parsed: Parsed) -> None:
    """Symptoms are what a patient reports; only signs, vitals, labs and history are derived."""
    for _, finding, where in parsed.items("findings"):
        if finding.derived is not None and finding.category == "symptom":
            raise kb_error(
                where, "derived", "a symptom is reported, not derived from a measurement"
            )


# ---------------------------------------------------------------- vocabulary


def _index_names(
    index: NameIndex,
    entry_id: str,
    names: Iterable[tuple[str, str]],
    where: Located,
    defined: Mapping[str, Located],
) -> None:
    for field_path, name in names:
        try:
            index.add(name, entry_id)
        except NameClashError as clash:
            owner = f"{clash.owner!r} ({defined[clash.owner].file})"
            raise kb_error(where, field_path, f"name {name!r} also names {owner}") from None
        except ValueError as error:
            raise kb_error(where, field_path, str(error)) from None


def _named(entry: Any, main: str) -> list[tuple[str, str]]:
    names = [("id", id_as_name(entry.id)), (main, getattr(entry, main))]
    names += [(f"synonyms.{index}", synonym) for index, synonym in enumerate(entry.synonyms)]
    return names


def build_vocabulary(parsed: Parsed) -> Vocabulary:
    """Index every finding, drug, allergy group and condition name, rejecting a clash."""
    vocabulary = Vocabulary()
    for finding_id, finding, where in parsed.items("findings"):
        _index_names(
            vocabulary.findings,
            finding_id,
            _named(finding, "label"),
            where,
            parsed.where["findings"],
        )
    for drug_id, drug, where in parsed.items("drugs"):
        _index_names(vocabulary.drugs, drug_id, _named(drug, "name"), where, parsed.where["drugs"])
        vocabulary.drug_groups[drug_id] = tuple(drug.allergy_groups)
    for group_id, group, where in parsed.items("allergy_groups"):
        _index_names(
            vocabulary.allergy_groups,
            group_id,
            _named(group, "name"),
            where,
            parsed.where["allergy_groups"],
        )
    for condition_id, condition, where in parsed.items("conditions"):
        _index_names(
            vocabulary.conditions,
            condition_id,
            _named(condition, "name"),
            where,
            parsed.where["conditions"],
        )
        code = icd10_key(condition.icd10)
        if code in vocabulary.icd10:
            raise kb_error(where, "icd10", f"{condition.icd10} is also {vocabulary.icd10[code]!r}")
        vocabulary.icd10[code] = condition_id
    return vocabulary


# ---------------------------------------------------------------- policy, scores and assembly


def _load_policy(raw: RawKind, parsed: Parsed) -> Policy:
    """The sections of ``policy/*.yaml`` as one :class:`Policy`, each section defined once, its
    sources and findings known."""
    sections: dict[str, Any] = {}
    defined_in: dict[str, Located] = {}
    for where, section in raw.entries:
        if where.entry in sections:
            first = defined_in[where.entry].file
            raise kb_error(where, "", f"section {where.entry!r} is already defined in {first}")
        sections[where.entry] = section
        defined_in[where.entry] = where
    where = Located(f"{POLICY_KIND}/", POLICY_KIND)
    try:
        policy = Policy.model_validate(sections)
    except ValidationError as error:
        problem = error.errors(include_url=False)[0]
        section = str(problem["loc"][0]) if problem["loc"] else POLICY_KIND
        where = defined_in.get(section, Located(f"{POLICY_KIND}/", section))
        message = _MESSAGES.get(problem["type"], problem["msg"].removeprefix("Value error, "))
        raise kb_error(where, _field_path(problem["loc"][1:]), message) from None
    sources, findings = parsed.of("sources"), parsed.of("findings")
    for field_path, source_id in _source_references(policy):
        section, _, inside = field_path.partition(".")
        _require(sources, source_id, "source", defined_in.get(section, where), inside)
    poisoning = policy.note_reading.self_poisoning
    _require(findings, poisoning, "finding", defined_in["note_reading"], "self_poisoning")
    return policy


def _check_child_doses(parsed: Parsed, policy: Policy) -> None:
    """A drug's own age for the adult dose must come before the age every drug's adult dose
    applies from (the prescribing policy's), or the child's rule could never apply."""
    adult_from = policy.prescribing.adult_dose_from_years.value
    for _, drug, where in parsed.items("drugs"):
        child = drug.paediatric
        own = child.adult_dose_from_years if child is not None else None
        if own is not None and own >= adult_from:
            message = f"must be under {adult_from:g}, the age adults are dosed from (policy)"
            raise kb_error(where, "paediatric.adult_dose_from_years", message)


def _load_scores(root: Path, parsed: Parsed) -> dict[str, Any]:
    """Score tables are validated by the module that owns their format; the sources and findings
    they cite must exist here like any other reference."""
    if not _yaml_files(root / SCORES_KIND):
        return {}
    return load_score_tables(
        root / SCORES_KIND, source_ids=parsed.of("sources"), finding_ids=parsed.of("findings")
    )


_REFERENCE_CHECKS = (
    _check_sources,
    _check_derived,
    _check_conditions,
    _check_red_flags,
    _check_drugs,
    _check_allergy_groups,
    _check_interactions,
    _check_regimens,
)


def build_knowledge_base(root: Path) -> KnowledgeBase:
    """Read, validate and assemble the knowledge base under ``root`` (uncached)."""
    if not root.is_dir():
        raise KnowledgeBaseError(f"{root}: knowledge base folder not found")
    raw, content_hash = read_files(root)
    entries: dict[str, dict[str, Entry]] = {}
    where: dict[str, dict[str, Located]] = {}
    for kind in ENTRY_KINDS:
        entries[kind], where[kind] = _parse_kind(kind, raw[kind])
    parsed = Parsed(entries, where)
    for check in _REFERENCE_CHECKS:
        check(parsed)
    vocabulary = build_vocabulary(parsed)
    policy = _load_policy(raw[POLICY_KIND], parsed)
    _check_child_doses(parsed, policy)
    return KnowledgeBase(
        path=root,
        content_hash=content_hash,
        sources=parsed.of("sources"),
        findings=parsed.of("findings"),
        red_flags=parsed.of("red_flags"),
        conditions=parsed.of("conditions"),
        drugs=parsed.of("drugs"),
        allergy_groups=parsed.of("allergy_groups"),
        interactions=tuple(parsed.of("interactions").values()),
        regimens=parsed.of("regimens"),
        score_tables=_load_scores(root, parsed),
        vocabulary=vocabulary,
        policy=policy,
    )


@functools.cache
def _cached(root: Path) -> KnowledgeBase:
    return build_knowledge_base(root)


def load_knowledge_base(path: Path | str | None = None) -> KnowledgeBase:
    """The knowledge base at ``path`` (default: the bundled one), loaded once per process."""
    root = Path(path).resolve() if path is not None else KNOWLEDGE_DIR
    return _cached(root)
