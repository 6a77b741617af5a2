"""What the engine emits, defined once: the ``complete`` frame's ``result`` of each kind, every
``stream_chunk``'s ``content`` by stage, and the frames of protocol v1 around them.

Each shape is a ``TypedDict``: the engine builds its output as these types (its builders are
annotated with them, and ``mypy clinical/engine`` in ``make test`` refuses a key that is missing,
misspelt or mistyped), the stream stores and sends them as the plain JSON objects they are, and
the OpenAPI schema of stored results and events is generated from the same types by pydantic. So
the wire, the stored result and the documentation cannot drift, and building the output costs no
more than building dicts. Validated with pydantic (tests, the API's own responses), every type
forbids unknown keys and is strict (``"0.5"`` is not a probability, ``1`` is not ``true``).

Two kinds of optional key: ``X | None`` is always sent and may be null (a score's ``risk`` that
the missing items leave open); ``NotRequired`` is a key the engine leaves out when it has nothing
to say, and never sends as null. Wire names that are Python keywords (``for``, ``from``) use the
functional ``TypedDict`` syntax. Values are in the request's units (docs/design.md, protocol v1).
The fixed value sets (urgency levels, certainties, ...) are defined here and imported by the
engine modules that produce them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired, get_args

from pydantic import AfterValidator, ConfigDict, Discriminator, Field, Tag, with_config
from typing_extensions import TypedDict

from clinical.engine.contract.events import STAGES
from clinical.engine.contract.fields import LABS, NOTE_ONLY_VITALS, VITAL_SIGNS, Sex

# ---------------------------------------------------------------- shared pieces


def _openapi_30(schema: dict[str, Any]) -> None:
    """``enum`` for ``const`` (a one-value ``Literal``): OpenAPI 3.0 has no ``const``."""
    for field in schema.get("properties", {}).values():
        if "const" in field:
            field["enum"] = [field.pop("const")]


wire = with_config(ConfigDict(extra="forbid", strict=True, json_schema_extra=_openapi_30))


def _ordered(span: list[int]) -> list[int]:
    if span[0] > span[1]:
        raise ValueError("a span's start is after its end")
    return span


Urgency = Literal["emergency", "urgent", "routine", "self_care"]
RedFlagUrgency = Literal["emergency", "urgent", "routine"]
Certainty = Literal["present", "absent", "possible", "family", "past"]
Consciousness = Literal["alert", "confused", "voice", "pain", "unresponsive"]
InteractionSeverity = Literal["contraindicated", "major", "moderate", "minor"]
# Most severe first.
INTERACTION_SEVERITIES: tuple[str, ...] = get_args(InteractionSeverity)
FindingCategory = Literal["symptom", "sign", "vital", "lab", "history"]
FindingStatus = Literal["present", "absent"]
Via = Literal["symptom", "history", "note", "vitals", "labs", "age", "score"]
Severity = Literal["mild", "moderate", "severe"]
CrossReactivityAction = Literal["exclude", "caution"]
Probability = Annotated[float, Field(ge=0, le=1)]
Span = Annotated[
    list[Annotated[int, Field(ge=0)]],
    Field(
        min_length=2,
        max_length=2,
        description="[start, end): code-point offsets into the note as read (NFC, trimmed).",
    ),
    AfterValidator(_ordered),
]
Icd10 = Annotated[str, Field(pattern=r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,2})?$")]
EngineVersion = Annotated[
    str,
    Field(
        pattern=r"^\d+\.\d+\.\d+\+kb\.[0-9a-f]{12}$",
        description="The code version and the knowledge base's content hash.",
    ),
]
Disclaimer = Annotated[str, Field(description="Decision support for a clinician, and says so.")]


# ---------------------------------------------------------------- findings and scores


@wire
class FindingReport(TypedDict):
    """A finding the request established, and what established it."""

    finding: Annotated[str, Field(description="The knowledge base's finding id.")]
    label: str
    category: FindingCategory
    status: FindingStatus
    via: Via
    name: Annotated[
        str, Field(description="What the request said (symptom name, input name, history).")
    ]
    value: NotRequired[
        Annotated[float | str, Field(description="The measured value (vitals, labs, age, score).")]
    ]
    severity: NotRequired[Annotated[Severity, Field(description="As the symptom gave it.")]]
    duration: NotRequired[Annotated[str, Field(description="As the symptom or the note gave it.")]]


@wire
class RaisedCondition(TypedDict):
    condition_id: str
    diagnosis: str
    factor: Annotated[float, Field(ge=0, description="The prior's multiplier.")]


@wire
class RiskFactor(FindingReport):
    """A history finding present that raises the prior of some conditions."""

    raises: list[RaisedCondition]


Components = Annotated[dict[str, int], Field(description="Points per item scored.")]
Missing = Annotated[
    list[str],
    Field(
        description="Items that could not be scored (inputs unknown), or only in part (their "
        "lowest points are in components)."
    ),
]


@wire
class News2Score(TypedDict):
    """NEWS2 (RCP 2017); an outcome field is null while the missing items could change it."""

    total: Annotated[int, Field(ge=0, le=20)]
    risk: Literal["low", "low-medium", "medium", "high"] | None
    advice: str | None
    components: Components
    missing: Missing
    complete: bool
    red_score: Annotated[bool | None, Field(description="3 points in a single parameter.")]
    scale: Annotated[int, Field(ge=1, le=2, description="SpO2 scale.")]
    source: str


@wire
class QsofaScore(TypedDict):
    score: Annotated[int, Field(ge=0, le=3)]
    advice: str | None
    components: Components
    missing: Missing
    complete: bool
    positive: Annotated[bool | None, Field(description="2 or more.")]
    source: str


@wire
class Curb65Score(TypedDict):
    score: Annotated[int, Field(ge=0, le=5)]
    risk: Literal["low", "intermediate", "high"] | None
    advice: str | None
    mortality: str | None
    components: Components
    missing: Missing
    complete: bool
    source: str


@wire
class Crb65Score(TypedDict):
    score: Annotated[int, Field(ge=0, le=4)]
    risk: Literal["low", "intermediate", "high"] | None
    advice: str | None
    mortality: str | None
    components: Components
    missing: Missing
    complete: bool
    source: str


@wire
class CentorScore(TypedDict):
    score: Annotated[int, Field(ge=0, le=4)]
    advice: str | None
    probability: str | None
    components: Components
    missing: Missing
    complete: bool
    source: str


@wire
class McIsaacScore(TypedDict):
    score: Annotated[int, Field(ge=-1, le=5)]
    advice: str | None
    probability: str | None
    components: Components
    missing: Missing
    complete: bool
    source: str


@wire
class BedsidePewsScore(TypedDict):
    """Bedside PEWS (Parshuram 2009, validated 2011), ages 5-15 by the score's age groups; an
    outcome field is null while the missing items could change it. An item known only in part
    (on oxygen, flow not given) counts its lowest points in ``components`` and is listed in
    ``missing`` too, so an incomplete total is a floor."""

    total: Annotated[int, Field(ge=0, le=26)]
    risk: Literal["low", "medium", "high"] | None
    advice: str | None
    components: Components
    missing: Missing
    complete: bool
    source: str


def _score(text: str) -> Any:
    return Field(description=text)


@wire
class Scores(TypedDict):
    """Every score that applies to this patient and has an input known, by score id."""

    news2: NotRequired[Annotated[News2Score, _score("Age 16 or over, with a vital sign given.")]]
    qsofa: NotRequired[
        Annotated[QsofaScore, _score("Age 18 or over, with one of its inputs known.")]
    ]
    curb65: NotRequired[Annotated[Curb65Score, _score("Age 18 or over, with urea given.")]]
    crb65: NotRequired[
        Annotated[Crb65Score, _score("Age 18 or over, without urea, one of its inputs known.")]
    ]
    centor: NotRequired[Annotated[CentorScore, _score("With a sore throat or tonsillar exudate.")]]
    mcisaac: NotRequired[Annotated[McIsaacScore, _score("The same, age 3 or over.")]]
    bedside_pews_5_12: NotRequired[
        Annotated[BedsidePewsScore, _score("Age 5 to 12 (its 4-12 years group), a vital given.")]
    ]
    bedside_pews_13_15: NotRequired[
        Annotated[BedsidePewsScore, _score("Age 13 to 15 (its >12 years group), a vital given.")]
    ]


# The wire shape of each score table's result, by score id: the knowledge base's loader checks
# that every table it loads produces exactly these keys.
SCORE_RESULTS: dict[str, type] = {
    "news2": News2Score,
    "qsofa": QsofaScore,
    "curb65": Curb65Score,
    "crb65": Crb65Score,
    "centor": CentorScore,
    "mcisaac": McIsaacScore,
    "bedside_pews_5_12": BedsidePewsScore,
    "bedside_pews_13_15": BedsidePewsScore,
}


# ---------------------------------------------------------------- the note's reading (extracted)

NoteWords = Annotated[str, Field(description="The note's own words: note[span[0]:span[1]].")]


@wire
class NoteText(TypedDict):
    text: NoteWords
    span: Span


@wire
class Mention(NoteText):
    """A finding or condition the note names, with its certainty (ConText)."""

    kind: Literal["finding", "condition"]
    id: str
    label: str
    category: NotRequired[Annotated[FindingCategory, Field(description="Findings only.")]]
    certainty: Certainty
    duration: NotRequired[
        Annotated[str, Field(description="The duration stated in its clause, as written.")]
    ]
    onset: NotRequired[
        Annotated[
            Literal["sudden", "gradual"], Field(description="The onset stated in its clause.")
        ]
    ]
    fuzzy: NotRequired[
        Annotated[bool, Field(description="Sent (true) only when a misspelling was forgiven.")]
    ]


@wire
class UsedMention(Mention):
    used: Annotated[bool, Field(description="Whether the diagnosis took it from the note.")]


def _category_for_findings_only(mention: Any) -> Any:
    if ("category" in mention) != (mention["kind"] == "finding"):
        raise ValueError("a finding has a category, a condition none")
    return mention


CheckedMention = Annotated[Mention, AfterValidator(_category_for_findings_only)]
CheckedUsedMention = Annotated[UsedMention, AfterValidator(_category_for_findings_only)]
ReadUnit = Annotated[
    str, Field(description="As written (mg/dL, F, months), or how it was read (GCS).")
]
Written = Annotated[float, Field(description="The number as written, when converted.")]
Used = Annotated[
    bool, Field(description="Whether the diagnosis took it (a structured field wins).")
]


@wire
class _Reading(NoteText):
    """A value read from the note, in the request's unit."""

    unit: NotRequired[ReadUnit]
    written: NotRequired[Written]
    used: Used


@wire
class NumberReading(_Reading):
    value: float


@wire
class BloodPressureReading(_Reading):
    value: Annotated[str, Field(pattern=r"^\d{2,3}/\d{2,3}$")]


@wire
class FlagReading(_Reading):
    value: bool


@wire
class ConsciousnessReading(_Reading):
    value: Consciousness


@wire
class GcsReading(_Reading):
    value: Annotated[int, Field(ge=3, le=15)]


@wire
class SexReading(_Reading):
    value: Sex


_READING_OF_KIND: dict[str, Any] = {
    "number": NumberReading,
    "pressure": BloodPressureReading,
    "flag": FlagReading,
    "level": ConsciousnessReading,
}
_VITAL_READINGS: dict[str, Any] = {
    m.name: NotRequired[
        Annotated[
            _READING_OF_KIND[m.kind], Field(description=f"{m.label} ({m.unit or m.description}).")
        ]
    ]
    for m in VITAL_SIGNS
} | {
    name: NotRequired[Annotated[GcsReading, Field(description="Glasgow Coma Scale total.")]]
    for name in NOTE_ONLY_VITALS
}
# The vital signs and labs a note may give, one key per measurement of the field registry.
ExtractedVitals = wire(TypedDict("ExtractedVitals", _VITAL_READINGS))  # type: ignore[operator]
ExtractedLabs = wire(
    TypedDict(  # type: ignore[operator]
        "ExtractedLabs",
        {
            m.name: NotRequired[
                Annotated[NumberReading, Field(description=f"{m.label} ({m.unit or 'ratio'}).")]
            ]
            for m in LABS
        },
    )
)


@wire
class PregnancyStatement(NoteText):
    value: bool


@wire
class ExtractedHistory(TypedDict):
    age: NotRequired[Annotated[NumberReading, Field(description="Years.")]]
    sex: NotRequired[Annotated[SexReading, Field(description="The patient's sex.")]]
    gestation_weeks: NotRequired[Annotated[NumberReading, Field(description="Weeks of pregnancy.")]]
    pregnant: NotRequired[
        Annotated[
            PregnancyStatement,
            Field(description="Whether the note says the patient is pregnant."),
        ]
    ]
    past: Annotated[list[CheckedMention], Field(description="Findings and conditions in the past.")]
    family: Annotated[
        list[CheckedMention], Field(description="Findings and conditions of relatives.")
    ]


@wire
class DurationReading(NoteText):
    kind: Literal["duration"]
    value: Annotated[float, Field(ge=0, description="Days.")]
    unit: Literal["days"]


@wire
class OnsetReading(NoteText):
    kind: Literal["onset"]
    value: Literal["sudden", "gradual"]


@wire
class ExtractedMedication(NoteText):
    id: Annotated[str, Field(description="The drug id.")]
    name: str
    certainty: Certainty
    used: bool


@wire
class ExtractedAllergy(NoteText):
    groups: NotRequired[
        Annotated[list[str], Field(description="Allergy group ids, when the allergen is known.")]
    ]
    drug: NotRequired[
        Annotated[str, Field(description="The drug id, when the allergen names one drug.")]
    ]


@wire
class Unrecognized(NoteText):
    kind: Literal["allergy", "medication", "history"]


@wire
class ExtractedNote(TypedDict):
    """What was read from ``note``, every item with its span (``extracted``)."""

    findings: Annotated[list[CheckedUsedMention], Field(description="Findings present.")]
    negated: Annotated[
        list[CheckedUsedMention], Field(description="Findings and conditions denied.")
    ]
    uncertain: Annotated[
        list[CheckedUsedMention], Field(description="Findings and conditions only possible.")
    ]
    conditions: Annotated[list[CheckedMention], Field(description="Conditions present.")]
    vitals: ExtractedVitals  # type: ignore[valid-type]
    labs: ExtractedLabs  # type: ignore[valid-type]
    history: ExtractedHistory
    timing: list[Annotated[DurationReading | OnsetReading, Field(discriminator="kind")]]
    medications: list[ExtractedMedication]
    allergies: list[ExtractedAllergy]
    unrecognized: Annotated[
        list[Unrecognized], Field(description="Named where one is expected, unknown.")
    ]
    unread: Annotated[
        list[NoteText],
        Field(
            description="Phrases nothing was read from (no finding, measurement, allergy or "
            "cue covers them, and they are not scaffolding): text the diagnosis did not use."
        ),
    ]
    no_known_allergies: NotRequired[
        Annotated[NoteText, Field(description='The "no known allergies" statement.')]
    ]
    nothing_extracted: NotRequired[
        Annotated[bool, Field(description="Sent (true) when nothing could be read.")]
    ]
    message: NotRequired[
        Annotated[str, Field(description="Why nothing was read, with nothing_extracted.")]
    ]


# ---------------------------------------------------------------- diagnosis


EvidenceStatus = Literal["present", "absent", "risk_factor"]


@wire
class EvidenceItem(TypedDict):
    finding: str
    label: str
    status: EvidenceStatus
    likelihood_ratio: Annotated[
        float, Field(ge=0, description="Or the prior's factor (risk_factor).")
    ]


@wire
class DifferentialItem(TypedDict):
    """One ranked condition: ``{diagnosis, icd10, probability, reasoning}`` and what it rests on."""

    diagnosis: str
    icd10: Icd10
    probability: Probability
    reasoning: str
    condition_id: str
    base_urgency: Annotated[Urgency, Field(description="The care the condition usually needs.")]
    prior: Probability
    evidence: Annotated[
        list[EvidenceItem], Field(description="The findings that raised or lowered it.")
    ]


RecommendedTest = TypedDict(
    "RecommendedTest",
    {
        "text": str,
        "source": str,
        "for": Annotated[str, Field(description="The condition id it helps confirm or exclude.")],
    },
)
wire(RecommendedTest)


@wire
class PresentRedFlag(TypedDict):
    """A red-flag rule that fired on the findings present."""

    status: Literal["present"]
    id: str
    text: str
    urgency: RedFlagUrgency
    findings: Annotated[list[str], Field(description="The finding ids that fired it.")]
    source: str


WatchForRedFlag = TypedDict(
    "WatchForRedFlag",
    {
        "status": Literal["watch_for"],
        "text": str,
        "for": Annotated[str, Field(description="The condition id.")],
        "source": str,
    },
)
wire(WatchForRedFlag)
WatchForRedFlag.__doc__ = "A warning sign to safety-net on for a leading condition."
RedFlagItem = PresentRedFlag | WatchForRedFlag
RedFlag = Annotated[RedFlagItem, Field(discriminator="status")]
RedFlags = Annotated[list[RedFlag], Field(description="Red flags present, then warning signs.")]
Confidence = Annotated[Probability, Field(description="The primary diagnosis's probability.")]


@wire
class SymptomsAnalysis(TypedDict):
    recognized_findings: Annotated[
        list[FindingReport], Field(description="From symptoms and the note.")
    ]
    unrecognized_symptoms: list[str]
    extracted: NotRequired[
        Annotated[ExtractedNote, Field(description="When the request has a note.")]
    ]


@wire
class VitalsEvaluation(TypedDict):
    findings: Annotated[
        list[FindingReport], Field(description="From vitals, labs, age and scores.")
    ]
    scores: Scores


@wire
class HistoryReview(TypedDict):
    history_findings: list[FindingReport]
    risk_factors: list[RiskFactor]
    unrecognized_history: list[str]


@wire
class PrimaryDiagnosis(TypedDict):
    diagnosis: str
    condition_id: str
    icd10: Icd10
    confidence: Confidence
    urgency: Urgency
    urgency_reason: str
    recommended_tests: list[RecommendedTest]
    red_flags: RedFlags


@wire
class DiagnosisResult(TypedDict):
    """A diagnosis stream's ``complete.result``."""

    primary_diagnosis: str
    condition_id: str
    icd10: Icd10
    confidence: Confidence
    urgency: Urgency
    urgency_reason: str
    differential: Annotated[list[DifferentialItem], Field(min_length=1, description="Ranked.")]
    other_probability: Annotated[
        Probability, Field(description="What the differential leaves out.")
    ]
    recommended_tests: list[RecommendedTest]
    red_flags: RedFlags
    scores: Scores
    recognized_findings: list[FindingReport]
    unrecognized_symptoms: list[str]
    unrecognized_history: list[str]
    warnings: list[str]
    engine_version: EngineVersion
    disclaimer: Disclaimer
    extracted: NotRequired[
        Annotated[ExtractedNote, Field(description="When the request has a note.")]
    ]


# ---------------------------------------------------------------- prescription


@wire
class RecognizedAllergy(TypedDict):
    allergy: Annotated[str, Field(description="As the request wrote it.")]
    groups: Annotated[list[str], Field(description="Allergy group names.")]
    drugs: Annotated[list[str], Field(description="Drug names.")]
    matched: Literal["exact", "by a name within it", "spelling corrected"]
    reaction: Annotated[
        Literal["immediate", "severe", "non_immediate", "intolerance", "unknown"],
        Field(
            description="The type of reaction read from the allergy (unknown: not stated or not "
            "recognised, treated as possibly immediate); it decides the cross-reactivity rules."
        ),
    ]


CrossReactivity = TypedDict(
    "CrossReactivity",
    {
        "from": Annotated[str, Field(description="The patient's allergy group.")],
        "to": Annotated[str, Field(description="The group it may cross-react with.")],
        "action": CrossReactivityAction,
        "text": str,
        "source": str,
    },
)
wire(CrossReactivity)


@wire
class AllergyCheck(TypedDict):
    recognized: list[RecognizedAllergy]
    unrecognized: list[str]
    groups: Annotated[list[str], Field(description="The patient's allergy groups.")]
    cross_reactivity: list[CrossReactivity]


@wire
class Medication(TypedDict):
    name: str
    drug: Annotated[str, Field(description="The drug id.")]
    dose: Annotated[str, Field(description='As written: "500 mg", "1 g", "62.5 micrograms".')]
    dose_mg: Annotated[
        float, Field(ge=0, description="In mg; in units for a drug dosed in units, as dose says.")
    ]
    route: str
    frequency: str
    duration: str
    rationale: Annotated[str, Field(description="Why, with the arithmetic of the dose.")]
    source: str
    adjustments: Annotated[list[str], Field(description="Renal and other dose changes.")]
    check_before_prescribing: Annotated[
        list[str], Field(description="What the request does not say.")
    ]


@wire
class ExcludedDrug(TypedDict):
    """A candidate dropped for allergy, contraindication, renal function, pregnancy or
    interaction."""

    name: str
    drug: str
    reason: str


@wire
class Interaction(TypedDict):
    drugs: Annotated[
        list[str], Field(min_length=2, max_length=2, description="Prescribed, then other.")
    ]
    drug_ids: Annotated[list[str], Field(min_length=2, max_length=2)]
    severity: Annotated[
        InteractionSeverity, Field(description="A contraindicated pair is excluded instead.")
    ]
    mechanism: str
    advice: str
    source: str


MonitoringItem = TypedDict(
    "MonitoringItem",
    {
        "text": str,
        "for": Annotated[str, Field(description="The condition or drug name.")],
        "source": str,
    },
)
wire(MonitoringItem)


@wire
class Finalization(TypedDict):
    follow_up: str
    warnings: list[str]


@wire
class PrescriptionResult(TypedDict):
    """A prescription stream's ``complete.result``."""

    diagnosis: str
    icd10: Icd10
    condition_id: str
    urgency: Annotated[Urgency, Field(description="The condition's usual urgency.")]
    allergy_check: AllergyCheck
    medications: list[Medication]
    excluded: list[ExcludedDrug]
    interactions: list[Interaction]
    monitoring: list[MonitoringItem]
    follow_up: str
    warnings: list[str]
    non_drug: list[str]
    unrecognized_allergies: list[str]
    unrecognized_medications: list[str]
    engine_version: EngineVersion
    disclaimer: Disclaimer


# ---------------------------------------------------------------- frames

SessionId = Annotated[
    str,
    Field(
        pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        json_schema_extra={"format": "uuid"},
    ),
]
Timestamp = Annotated[
    str,
    Field(
        pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$",
        description="ISO 8601 UTC with Z.",
    ),
]
Seq = Annotated[int, Field(ge=0, description="From 0, rising by 1 with no gap.")]
# A client's request_id, stored with its session and echoed on every frame of it (wire v1).
MAX_REQUEST_ID_CHARS = 100
RequestId = Annotated[
    str,
    Field(
        max_length=MAX_REQUEST_ID_CHARS,
        description="The request_id of the message that started the stream.",
    ),
]
_PERCENT = {(stage, percent) for stages in STAGES.values() for stage, percent, _ in stages}
StageName = Literal[
    "symptoms_analysis",
    "vitals_evaluation",
    "history_review",
    "differential_diagnosis",
    "primary_diagnosis",
    "allergy_check",
    "medication_selection",
    "interaction_check",
    "monitoring_advice",
    "finalization",
    "complete",
]


@wire
class Accepted(TypedDict):
    type: Literal["accepted"]
    session_id: SessionId
    seq: Annotated[int, Field(ge=0, le=0)]
    kind: Literal["diagnosis", "prescription"]
    request_id: NotRequired[RequestId]
    timestamp: Timestamp


@wire
class Progress(TypedDict):
    type: Literal["progress"]
    session_id: SessionId
    seq: Seq
    stage: StageName
    progress: Annotated[int, Field(ge=0, le=100, description="Fixed per stage.")]
    message: str
    request_id: NotRequired[RequestId]
    timestamp: Timestamp


def _stage_percent(frame: Any) -> Any:
    if (frame["stage"], frame["progress"]) not in _PERCENT:
        raise ValueError(f"{frame['stage']} is not at {frame['progress']}%")
    return frame


CheckedProgress = Annotated[Progress, AfterValidator(_stage_percent)]


@wire
class _ChunkFrame(TypedDict):
    """A ``stream_chunk``: each stage's subclass gives its ``content`` that stage's shape."""

    type: Literal["stream_chunk"]
    session_id: SessionId
    seq: Seq
    request_id: NotRequired[RequestId]
    timestamp: Timestamp


@wire
class SymptomsAnalysisChunk(_ChunkFrame):
    stage: Literal["symptoms_analysis"]
    content: SymptomsAnalysis


@wire
class VitalsEvaluationChunk(_ChunkFrame):
    stage: Literal["vitals_evaluation"]
    content: VitalsEvaluation


@wire
class HistoryReviewChunk(_ChunkFrame):
    stage: Literal["history_review"]
    content: HistoryReview


@wire
class DifferentialChunk(_ChunkFrame):
    stage: Literal["differential_diagnosis"]
    content: DifferentialItem


@wire
class PrimaryDiagnosisChunk(_ChunkFrame):
    stage: Literal["primary_diagnosis"]
    content: PrimaryDiagnosis


@wire
class AllergyCheckChunk(_ChunkFrame):
    stage: Literal["allergy_check"]
    content: AllergyCheck


@wire
class MedicationChunk(_ChunkFrame):
    stage: Literal["medication_selection"]
    content: Medication


@wire
class InteractionChunk(_ChunkFrame):
    stage: Literal["interaction_check"]
    content: Interaction


@wire
class MonitoringChunk(_ChunkFrame):
    stage: Literal["monitoring_advice"]
    content: MonitoringItem


@wire
class FinalizationChunk(_ChunkFrame):
    stage: Literal["finalization"]
    content: Finalization


@wire
class Complete(TypedDict):
    type: Literal["complete"]
    session_id: SessionId
    seq: Seq
    result: DiagnosisResult | PrescriptionResult
    request_id: NotRequired[RequestId]
    timestamp: Timestamp


ErrorCode = Literal[
    "invalid_json",
    "unknown_type",
    "validation_error",
    "not_found",
    "forbidden",
    "rate_limited",
    "too_many_sockets",
    "invalid_state",
    "unavailable",
    "stream_failed",
    "cancelled",
    "internal_error",
]


@wire
class StreamError(TypedDict):
    """An error: in reply to a message, or (with ``seq``) a stream's terminal frame."""

    type: Literal["error"]
    error: Annotated[str, Field(description="For people.")]
    code: Annotated[ErrorCode, Field(description="For programs.")]
    details: NotRequired[
        Annotated[
            dict[str, list[str]],
            Field(description="validation_error: each field path's messages."),
        ]
    ]
    session_id: NotRequired[
        Annotated[SessionId, Field(description="The stream it ends or concerns.")]
    ]
    seq: NotRequired[
        Annotated[int, Field(ge=1, description="A stream's terminal frame: after its last event.")]
    ]
    request_id: NotRequired[
        Annotated[
            str,
            Field(
                max_length=MAX_REQUEST_ID_CHARS,
                description="The request_id of the message it answers.",
            ),
        ]
    ]
    retry_after: NotRequired[
        Annotated[float, Field(ge=0, description="rate_limited: seconds to wait.")]
    ]
    timestamp: Timestamp


def _frame_tag(frame: Any) -> str | None:
    """A frame's type, or a stream chunk's stage (its content's shape depends on it)."""
    if not isinstance(frame, dict):
        return None
    return frame.get("stage") if frame.get("type") == "stream_chunk" else frame.get("type")


Frame = Annotated[
    Annotated[Accepted, Tag("accepted")]
    | Annotated[CheckedProgress, Tag("progress")]
    | Annotated[SymptomsAnalysisChunk, Tag("symptoms_analysis")]
    | Annotated[VitalsEvaluationChunk, Tag("vitals_evaluation")]
    | Annotated[HistoryReviewChunk, Tag("history_review")]
    | Annotated[DifferentialChunk, Tag("differential_diagnosis")]
    | Annotated[PrimaryDiagnosisChunk, Tag("primary_diagnosis")]
    | Annotated[AllergyCheckChunk, Tag("allergy_check")]
    | Annotated[MedicationChunk, Tag("medication_selection")]
    | Annotated[InteractionChunk, Tag("interaction_check")]
    | Annotated[MonitoringChunk, Tag("monitoring_advice")]
    | Annotated[FinalizationChunk, Tag("finalization")]
    | Annotated[Complete, Tag("complete")]
    | Annotated[StreamError, Tag("error")],
    Discriminator(_frame_tag),
]
"""Any frame of a stream, as stored and sent: chosen by ``type``, and a chunk by ``stage``."""
EngineResult = DiagnosisResult | PrescriptionResult
