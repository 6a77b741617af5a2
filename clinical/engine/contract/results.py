"""What the engine emits, as pydantic models: the ``complete`` frame's ``result`` of each kind,
every ``stream_chunk``'s ``content`` by stage, and the frames of protocol v1 around them.

These models document and check the engine's output; they do not validate it at run time. The
engine builds plain dicts and the stream sends them as they are. The models exist for the OpenAPI
schema (sessions' ``result`` and events) and for tests/engine/test_result_models.py, which runs
every vignette and prescription case through them. Every model forbids unknown fields and is
strict (``"0.5"`` is not a probability, ``1`` is not ``true``), so a field the engine adds, renames
or retypes fails that test until this module describes it.

Two kinds of optional field: ``X | None`` without a default is always sent and may be null (a
score's ``risk`` that the missing items leave open); :func:`omitted` is a key the engine leaves out
when it has nothing to say, and never sends as null. Wire names that are Python keywords (``for``,
``from``) are aliases. Values are in the request's units (DESIGN.md, wire protocol v1).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from clinical.engine.contract.events import STAGES

# ---------------------------------------------------------------- shared pieces


def omitted(description: str, **constraints: Any) -> Any:
    """A key the engine leaves out when it has nothing to say (never null)."""
    return Field(default=None, description=description, **constraints)


def _openapi_30(schema: dict[str, Any]) -> None:
    """No ``default: null`` for an omitted key, and ``enum`` for ``const`` (a one-value
    ``Literal``): OpenAPI 3.0 has no ``const``."""
    for field in schema.get("properties", {}).values():
        if "default" in field and field["default"] is None:
            del field["default"]
        if "const" in field:
            field["enum"] = [field.pop("const")]


def _ordered(span: list[int]) -> list[int]:
    if span[0] > span[1]:
        raise ValueError("a span's start is after its end")
    return span


Urgency = Literal["emergency", "urgent", "routine", "self_care"]
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
Certainty = Literal["present", "absent", "possible", "family", "past"]
Consciousness = Literal["alert", "confused", "voice", "pain", "unresponsive"]
InteractionSeverity = Literal["contraindicated", "major", "moderate", "minor"]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_openapi_30)


# ---------------------------------------------------------------- findings and scores


class FindingReport(_Wire):
    """A finding the request established, and what established it."""

    finding: str = Field(description="The knowledge base's finding id.")
    label: str
    category: Literal["symptom", "sign", "vital", "lab", "history"]
    status: Literal["present", "absent"]
    via: Literal["symptom", "history", "note", "vitals", "labs", "age", "score"]
    name: str = Field(description="What the request said (symptom name, input name, history).")
    value: float | str = omitted("The measured value (vitals, labs, age, score).")
    severity: Literal["mild", "moderate", "severe"] = omitted("As the symptom gave it.")
    duration: str = omitted("As the symptom or the note gave it.")


class RaisedCondition(_Wire):
    condition_id: str
    diagnosis: str
    factor: float = Field(ge=0, description="The prior's multiplier.")


class RiskFactor(FindingReport):
    """A history finding present that raises the prior of some conditions."""

    raises: list[RaisedCondition]


class _Score(_Wire):
    """A published score: the points of the items scored; an outcome field is null while the
    missing items could still change it."""

    advice: str | None
    components: dict[str, int] = Field(description="Points per item scored.")
    missing: list[str] = Field(description="Items that could not be scored (inputs unknown).")
    complete: bool
    source: str


class News2Score(_Score):
    total: int = Field(ge=0, le=20)
    risk: Literal["low", "low-medium", "medium", "high"] | None
    red_score: bool | None = Field(description="3 points in a single parameter.")
    scale: int = Field(ge=1, le=2, description="SpO2 scale.")


class QsofaScore(_Score):
    score: int = Field(ge=0, le=3)
    positive: bool | None = Field(description="2 or more.")


class Curb65Score(_Score):
    score: int = Field(ge=0, le=5)
    risk: Literal["low", "intermediate", "high"] | None
    mortality: str | None


class Crb65Score(Curb65Score):
    score: int = Field(ge=0, le=4)


class CentorScore(_Score):
    score: int = Field(ge=0, le=4)
    probability: str | None


class McIsaacScore(CentorScore):
    score: int = Field(ge=-1, le=5)


class Scores(_Wire):
    """Every score that applies to this patient and has an input known, by score id."""

    news2: News2Score = omitted("Age 16 or over, with a vital sign given.")
    qsofa: QsofaScore = omitted("Age 18 or over, with one of its inputs known.")
    curb65: Curb65Score = omitted("Age 18 or over, with urea given.")
    crb65: Crb65Score = omitted("Age 18 or over, without urea, one of its inputs known.")
    centor: CentorScore = omitted("With a sore throat or tonsillar exudate.")
    mcisaac: McIsaacScore = omitted("The same, age 3 or over.")


# ---------------------------------------------------------------- the note's reading (extracted)


class NoteText(_Wire):
    text: str = Field(description="The note's own words: note[span[0]:span[1]].")
    span: Span


class Mention(NoteText):
    """A finding or condition the note names, with its certainty (ConText)."""

    kind: Literal["finding", "condition"]
    id: str
    label: str
    category: Literal["symptom", "sign", "vital", "lab", "history"] = omitted("Findings only.")
    certainty: Certainty
    duration: str = omitted("The duration stated in its clause, as written.")
    onset: Literal["sudden", "gradual"] = omitted("The onset stated in its clause.")
    fuzzy: bool = omitted("Sent (true) only when a misspelling was forgiven.")

    @model_validator(mode="after")
    def _category_for_findings_only(self) -> Mention:
        if (self.category is not None) != (self.kind == "finding"):
            raise ValueError("a finding has a category, a condition none")
        return self


class UsedMention(Mention):
    used: bool = Field(description="Whether the diagnosis took it from the note.")


class _Reading(NoteText):
    """A value read from the note, in the request's unit."""

    unit: str = omitted("As written (mg/dL, F, months), or how it was read (GCS).")
    written: float = omitted("The number as written, when converted.")
    used: bool = Field(description="Whether the diagnosis took it (a structured field wins).")


class NumberReading(_Reading):
    value: float


class BloodPressureReading(_Reading):
    value: str = Field(pattern=r"^\d{2,3}/\d{2,3}$")


class FlagReading(_Reading):
    value: bool


class ConsciousnessReading(_Reading):
    value: Consciousness


class GcsReading(_Reading):
    value: int = Field(ge=3, le=15)


class SexReading(_Reading):
    value: Literal["male", "female"]


class ExtractedVitals(_Wire):
    temperature: NumberReading = omitted("Degrees C.")
    heart_rate: NumberReading = omitted("Beats per minute.")
    blood_pressure: BloodPressureReading = omitted('"SYS/DIA" mmHg.')
    respiratory_rate: NumberReading = omitted("Breaths per minute.")
    oxygen_saturation: NumberReading = omitted("SpO2 %.")
    supplemental_oxygen: FlagReading = omitted("On oxygen (false: on air).")
    consciousness: ConsciousnessReading = omitted("ACVPU, or from a GCS.")
    gcs: GcsReading = omitted("Glasgow Coma Scale total.")


class ExtractedLabs(_Wire):
    urea_mmol_l: NumberReading = omitted("mmol/L.")
    glucose_mmol_l: NumberReading = omitted("mmol/L.")
    wbc_10e9_l: NumberReading = omitted("10^9/L.")
    crp_mg_l: NumberReading = omitted("mg/L.")
    ketones_mmol_l: NumberReading = omitted("mmol/L.")
    lactate_mmol_l: NumberReading = omitted("mmol/L.")
    haemoglobin_g_l: NumberReading = omitted("g/L.")
    potassium_mmol_l: NumberReading = omitted("mmol/L.")
    creatinine_umol_l: NumberReading = omitted("umol/L.")
    troponin_ng_l: NumberReading = omitted("ng/L.")
    alt_u_l: NumberReading = omitted("U/L.")
    inr: NumberReading = omitted("Ratio.")


class PregnancyStatement(NoteText):
    value: bool


class ExtractedHistory(_Wire):
    age: NumberReading = omitted("Years.")
    sex: SexReading = omitted("The patient's sex.")
    gestation_weeks: NumberReading = omitted("Weeks of pregnancy.")
    pregnant: PregnancyStatement = omitted("Whether the note says the patient is pregnant.")
    past: list[Mention] = Field(description="Findings and conditions in the past.")
    family: list[Mention] = Field(description="Findings and conditions of relatives.")


class DurationReading(NoteText):
    kind: Literal["duration"]
    value: float = Field(ge=0, description="Days.")
    unit: Literal["days"]


class OnsetReading(NoteText):
    kind: Literal["onset"]
    value: Literal["sudden", "gradual"]


class ExtractedMedication(NoteText):
    id: str = Field(description="The drug id.")
    name: str
    certainty: Certainty
    used: bool


class ExtractedAllergy(NoteText):
    groups: list[str] = omitted("Allergy group ids, when the allergen is known.")
    drug: str = omitted("The drug id, when the allergen names one drug.")


class Unrecognized(NoteText):
    kind: Literal["allergy", "medication", "history"]


class ExtractedNote(_Wire):
    """What was read from ``note``, every item with its span (``extracted``)."""

    findings: list[UsedMention] = Field(description="Findings present.")
    negated: list[UsedMention] = Field(description="Findings and conditions denied.")
    uncertain: list[UsedMention] = Field(description="Findings and conditions only possible.")
    conditions: list[Mention] = Field(description="Conditions present.")
    vitals: ExtractedVitals
    labs: ExtractedLabs
    history: ExtractedHistory
    timing: list[Annotated[DurationReading | OnsetReading, Field(discriminator="kind")]]
    medications: list[ExtractedMedication]
    allergies: list[ExtractedAllergy]
    unrecognized: list[Unrecognized] = Field(description="Named where one is expected, unknown.")
    no_known_allergies: NoteText = omitted('The "no known allergies" statement.')
    nothing_extracted: bool = omitted("Sent (true) when nothing could be read.")
    message: str = omitted("Why nothing was read, with nothing_extracted.")


# ---------------------------------------------------------------- diagnosis


class EvidenceItem(_Wire):
    finding: str
    label: str
    status: Literal["present", "absent", "risk_factor"]
    likelihood_ratio: float = Field(ge=0, description="Or the prior's factor (risk_factor).")


class DifferentialItem(_Wire):
    """One ranked condition: ``{diagnosis, icd10, probability, reasoning}`` and what it rests on."""

    diagnosis: str
    icd10: Icd10
    probability: Probability
    reasoning: str
    condition_id: str
    base_urgency: Urgency = Field(description="The care the condition usually needs.")
    prior: Probability
    evidence: list[EvidenceItem] = Field(description="The findings that raised or lowered it.")


class RecommendedTest(_Wire):
    text: str
    source: str
    for_: str = Field(alias="for", description="The condition id it helps confirm or exclude.")


class PresentRedFlag(_Wire):
    """A red-flag rule that fired on the findings present."""

    status: Literal["present"]
    id: str
    text: str
    urgency: Literal["emergency", "urgent", "routine"]
    findings: list[str] = Field(description="The finding ids that fired it.")
    source: str


class WatchForRedFlag(_Wire):
    """A warning sign to safety-net on for a leading condition."""

    status: Literal["watch_for"]
    text: str
    for_: str = Field(alias="for", description="The condition id.")
    source: str


RedFlag = Annotated[PresentRedFlag | WatchForRedFlag, Field(discriminator="status")]


class _Triage(_Wire):
    icd10: Icd10
    condition_id: str
    confidence: Probability = Field(description="The primary diagnosis's probability.")
    urgency: Urgency
    urgency_reason: str
    recommended_tests: list[RecommendedTest]
    red_flags: list[RedFlag] = Field(description="Red flags present, then warning signs.")


class SymptomsAnalysis(_Wire):
    recognized_findings: list[FindingReport] = Field(description="From symptoms and the note.")
    unrecognized_symptoms: list[str]
    extracted: ExtractedNote = omitted("When the request has a note.")


class VitalsEvaluation(_Wire):
    findings: list[FindingReport] = Field(description="From vitals, labs, age and scores.")
    scores: Scores


class HistoryReview(_Wire):
    history_findings: list[FindingReport]
    risk_factors: list[RiskFactor]
    unrecognized_history: list[str]


class PrimaryDiagnosis(_Triage):
    diagnosis: str


class DiagnosisResult(_Triage):
    """A diagnosis stream's ``complete.result``."""

    primary_diagnosis: str
    differential: list[DifferentialItem] = Field(min_length=1, description="Ranked.")
    other_probability: Probability = Field(description="What the differential leaves out.")
    scores: Scores
    recognized_findings: list[FindingReport]
    unrecognized_symptoms: list[str]
    unrecognized_history: list[str]
    warnings: list[str]
    engine_version: EngineVersion
    disclaimer: Disclaimer
    extracted: ExtractedNote = omitted("When the request has a note.")


# ---------------------------------------------------------------- prescription


class RecognizedAllergy(_Wire):
    allergy: str = Field(description="As the request wrote it.")
    groups: list[str] = Field(description="Allergy group names.")
    drugs: list[str] = Field(description="Drug names.")
    matched: Literal["exact", "by a name within it"]


class CrossReactivity(_Wire):
    from_: str = Field(alias="from", description="The patient's allergy group.")
    to: str = Field(description="The group it may cross-react with.")
    action: Literal["exclude", "caution"]
    text: str
    source: str


class AllergyCheck(_Wire):
    recognized: list[RecognizedAllergy]
    unrecognized: list[str]
    groups: list[str] = Field(description="The patient's allergy groups.")
    cross_reactivity: list[CrossReactivity]


class Medication(_Wire):
    name: str
    drug: str = Field(description="The drug id.")
    dose: str = Field(description='As written: "500 mg", "1 g", "62.5 micrograms".')
    dose_mg: float = Field(ge=0)
    route: str
    frequency: str
    duration: str
    rationale: str = Field(description="Why, with the arithmetic of the dose.")
    source: str
    adjustments: list[str] = Field(description="Renal and other dose changes.")
    check_before_prescribing: list[str] = Field(description="What the request does not say.")


class ExcludedDrug(_Wire):
    """A candidate dropped for allergy, contraindication, renal function, pregnancy or
    interaction."""

    name: str
    drug: str
    reason: str


class Interaction(_Wire):
    drugs: list[str] = Field(min_length=2, max_length=2, description="Prescribed, then other.")
    drug_ids: list[str] = Field(min_length=2, max_length=2)
    severity: InteractionSeverity = Field(description="A contraindicated pair is excluded instead.")
    mechanism: str
    advice: str
    source: str


class MonitoringItem(_Wire):
    text: str
    for_: str = Field(alias="for", description="The condition or drug name.")
    source: str


class Finalization(_Wire):
    follow_up: str
    warnings: list[str]


class PrescriptionResult(_Wire):
    """A prescription stream's ``complete.result``."""

    diagnosis: str
    icd10: Icd10
    condition_id: str
    urgency: Urgency = Field(description="The condition's usual urgency.")
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
_PERCENT = {(stage, percent) for stages in STAGES.values() for stage, percent, _ in stages}


class _Frame(_Wire):
    session_id: SessionId
    seq: int = Field(ge=0, description="From 0, rising by 1 with no gap.")
    request_id: str = omitted(
        "The request_id of the message that started the stream.", max_length=100
    )
    timestamp: Timestamp


class Accepted(_Frame):
    type: Literal["accepted"]
    seq: int = Field(ge=0, le=0)
    kind: Literal["diagnosis", "prescription"]


class Progress(_Frame):
    type: Literal["progress"]
    stage: Literal[
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
    progress: int = Field(ge=0, le=100, description="Fixed per stage.")
    message: str

    @model_validator(mode="after")
    def _stage_percent(self) -> Progress:
        if (self.stage, self.progress) not in _PERCENT:
            raise ValueError(f"{self.stage} is not at {self.progress}%")
        return self


class _Chunk(_Frame):
    type: Literal["stream_chunk"]


class SymptomsAnalysisChunk(_Chunk):
    stage: Literal["symptoms_analysis"]
    content: SymptomsAnalysis


class VitalsEvaluationChunk(_Chunk):
    stage: Literal["vitals_evaluation"]
    content: VitalsEvaluation


class HistoryReviewChunk(_Chunk):
    stage: Literal["history_review"]
    content: HistoryReview


class DifferentialChunk(_Chunk):
    stage: Literal["differential_diagnosis"]
    content: DifferentialItem


class PrimaryDiagnosisChunk(_Chunk):
    stage: Literal["primary_diagnosis"]
    content: PrimaryDiagnosis


class AllergyCheckChunk(_Chunk):
    stage: Literal["allergy_check"]
    content: AllergyCheck


class MedicationChunk(_Chunk):
    stage: Literal["medication_selection"]
    content: Medication


class InteractionChunk(_Chunk):
    stage: Literal["interaction_check"]
    content: Interaction


class MonitoringChunk(_Chunk):
    stage: Literal["monitoring_advice"]
    content: MonitoringItem


class FinalizationChunk(_Chunk):
    stage: Literal["finalization"]
    content: Finalization


StreamChunk = Annotated[
    SymptomsAnalysisChunk
    | VitalsEvaluationChunk
    | HistoryReviewChunk
    | DifferentialChunk
    | PrimaryDiagnosisChunk
    | AllergyCheckChunk
    | MedicationChunk
    | InteractionChunk
    | MonitoringChunk
    | FinalizationChunk,
    Field(discriminator="stage"),
]


class Complete(_Frame):
    type: Literal["complete"]
    result: DiagnosisResult | PrescriptionResult


class StreamError(_Wire):
    """An error: in reply to a message, or (with ``seq``) a stream's terminal frame."""

    type: Literal["error"]
    error: str = Field(description="For people.")
    code: Literal[
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
    ] = Field(description="For programs.")
    details: dict[str, list[str]] = omitted("validation_error: each field path's messages.")
    session_id: SessionId = omitted("The stream it ends or concerns.")
    seq: int = omitted("A stream's terminal frame: after its last event.", ge=1)
    request_id: str = omitted("The request_id of the message it answers.", max_length=100)
    retry_after: float = omitted("rate_limited: seconds to wait.", ge=0)
    timestamp: Timestamp


def _frame_tag(frame: Any) -> str | None:
    """A frame's type, or a stream chunk's stage (its content's shape depends on it)."""
    if not isinstance(frame, dict):
        return None
    return frame.get("stage") if frame.get("type") == "stream_chunk" else frame.get("type")


Frame = Annotated[
    Annotated[Accepted, Tag("accepted")]
    | Annotated[Progress, Tag("progress")]
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
