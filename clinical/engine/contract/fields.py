"""Every vital sign and lab the engine knows, defined once: its request name, the unit and the
physiological bounds the request accepts, how people label it, how a note writes it and converts
it, and the label the wire and the portal show.

Everything that lists these measurements is derived from :data:`VITAL_SIGNS` and :data:`LABS`:
the request models (:mod:`clinical.engine.contract.requests`), the inputs a derived finding or a
score table may test (:mod:`clinical.engine.knowledge.schema`,
:mod:`clinical.engine.knowledge.score_tables`), the note reader's patterns
(:mod:`clinical.engine.note.measures`), the ``extracted`` result models, and the portal's labels
(served in its configuration). A measurement added here is accepted, read, scored and shown
everywhere at once.

Bounds are physiological limits, not normal ranges: a value no living patient can have is an
entry error, an abnormal one is the engine's business. Unit factors are molar-mass and SI-prefix
arithmetic as tabulated by Young (Ann Intern Med 1987, knowledge-base source
``young_1987_si_units``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, get_args

CONSCIOUSNESS_LEVELS = ("alert", "confused", "voice", "pain", "unresponsive")
# ACVPU's letters: NEWS2 (RCP 2017) charts consciousness as Alert, new Confusion, Voice, Pain,
# Unresponsive.
ACVPU_LETTERS: Mapping[str, str] = MappingProxyType(
    {level[0]: level for level in CONSCIOUSNESS_LEVELS}
)

Group = Literal["vitals", "labs"]
Kind = Literal["number", "pressure", "flag", "level"]


# The unit of a guess whose size cannot tell the unit: the value is reported, never used.
UNCLEAR = "unclear"


@dataclass(frozen=True)
class UnitGuess:
    """The unit a value written without one is read in, when its size tells: a creatinine of 1.8
    can only be mg/dL, one of 160 only umol/L. :data:`UNCLEAR` where the size cannot tell and the
    readings disagree (glucose 90 is 5 mmol/L in mg/dL, severe hyperglycaemia in mmol/L)."""

    unit: str
    above: float | None = None
    below: float | None = None

    def fits(self, value: float) -> bool:
        if self.above is not None and value <= self.above:
            return False
        return self.below is None or value < self.below


@dataclass(frozen=True)
class NoteForm:
    """One way a note writes a lab: its labels (a regular-expression alternation, matched case
    blind), the units it may carry with the factor to the request's unit, and the unit read when
    none is written (the first guess that fits, else ``unmarked``). ``assumed`` says that
    reading an unmarked value in ``unmarked`` is an assumption the result must state (another
    unit is as plausible for the same size), not a certainty (urea in mmol/L)."""

    labels: str
    units: Mapping[str, float]
    unmarked: str
    guesses: tuple[UnitGuess, ...] = ()
    assumed: bool = False

    def unit_for(self, value: float) -> str:
        return next((guess.unit for guess in self.guesses if guess.fits(value)), self.unmarked)


@dataclass(frozen=True)
class Measure:
    """A vital sign or a lab as the request, the note, the scores and the screen know it."""

    name: str
    group: Group
    label: str
    unit: str
    kind: Kind = "number"
    minimum: float | None = None
    maximum: float | None = None
    description: str = ""
    # Regular-expression alternations for a vital sign in a note: the words that label it
    # ("hr|pulse"), the units that may follow its number ("bpm"), and the units that say what a
    # number is with no label ("110 bpm"). Labs use ``note_forms``.
    note_labels: str = ""
    note_units: str = ""
    note_unit_alone: str = ""
    note_forms: tuple[NoteForm, ...] = ()
    # The inputs it gives the derived findings and score tables (blood pressure gives two).
    inputs: tuple[str, ...] = field(default=())

    @property
    def derived_inputs(self) -> tuple[str, ...]:
        return self.inputs or (self.name,)


# Blood pressure, written "SYS/DIA" in mmHg: each part's bounds.
SYSTOLIC_BOUNDS = (40, 300)
DIASTOLIC_BOUNDS = (20, 200)

VITAL_SIGNS: tuple[Measure, ...] = (
    Measure(
        "temperature", "vitals", "Temperature", "°C", minimum=20.0, maximum=45.0,
        description="degrees Celsius",
        note_labels=r"temp(?:erature)?|tmax|t|febrile|pyrexial|fever",
    ),
    Measure(
        "heart_rate", "vitals", "Heart rate", "beats/min", minimum=20, maximum=300,
        description="beats per minute", note_labels=r"hr|heart\s++rate|pulse(?:\s++rate)?|pr",
        note_units=r"bpm|/\s*+min", note_unit_alone=r"bpm|beats\s*+(?:/|per)\s*+min(?:ute)?",
    ),
    Measure(
        "blood_pressure", "vitals", "Blood pressure", "mmHg", kind="pressure",
        description='systolic/diastolic in mmHg, e.g. "120/80"',
        note_labels=r"bp|b/p|blood\s++pressure", inputs=("systolic_bp", "diastolic_bp"),
    ),
    Measure(
        "respiratory_rate", "vitals", "Respiratory rate", "breaths/min", minimum=3, maximum=80,
        description="breaths per minute",
        note_labels=r"rr|resp(?:iratory)?\s++rate|resps?|respirations?|breathing\s++at",
        note_units=r"/\s*+min|breaths", note_unit_alone=r"breaths\s*+(?:/|per)\s*+min(?:ute)?",
    ),
    Measure(
        "oxygen_saturation", "vitals", "SpO₂", "%", minimum=50.0, maximum=100.0,
        description="SpO2 percent",
        note_labels=(
            r"spo2|sp02|sao2|o2\s++sats?|sats?|saturations?|saturating|oxygen\s++saturations?|o2"
        ),
        note_units="%",
        note_unit_alone=r"%\s*+(?=on\s++(?:ra|room\s++air|air|\d|o2|oxygen))",
    ),
    Measure(
        "supplemental_oxygen", "vitals", "Breathing", "", kind="flag",
        description="true when breathing supplemental oxygen",
    ),
    Measure(
        "consciousness", "vitals", "Consciousness (ACVPU)", "", kind="level",
        description="ACVPU level",
    ),
)  # fmt: skip

_PER_UL = 0.001  # cells per microlitre to 10^9 per litre
_MMOL = {"mmol/l": 1.0}

LABS: tuple[Measure, ...] = (
    Measure(
        "urea_mmol_l", "labs", "Urea", "mmol/L", minimum=0, maximum=150,
        note_forms=(
            # Urea nitrogen (BUN, US) and urea itself (UK) are both the request's urea.
            NoteForm(r"bun|blood\s++urea\s++nitrogen|urea\s++nitrogen",
                     {"mmol/l": 1.0, "mg/dl": 0.357}, "mg/dl"),
            NoteForm(r"(?:serum\s++|plasma\s++)?urea(?!\s++nitrogen)",
                     {"mmol/l": 1.0, "mg/dl": 0.1665}, "mmol/l"),
        ),
    ),
    Measure(
        "glucose_mmol_l", "labs", "Glucose", "mmol/L", minimum=0.5, maximum=150,
        # Unmarked glucose: UK notes write mmol/L (NICE, JBDS), and HHS starts at 30 mmol/L
        # (JBDS HHS 2022, source jbds_hhs_2022), so up to 60 (an ESTIMATE: twice that threshold,
        # the HHS range seen in practice) it is read in mmol/L and the result says it assumed
        # so; read in mg/dL (42 mg/dL is 2.3 mmol/L) it would turn an HHS into a hypoglycaemia.
        # Above the field's maximum (150) only mg/dL fits; between, the two readings disagree
        # (90 is 5.0 mmol/L in mg/dL) and the value is reported, never used.
        note_forms=(NoteForm(
            r"(?:blood\s++|capillary\s++|plasma\s++|random\s++|fasting\s++)?(?:glucose|sugars?)"
            r"|bm|cbg|gluc",
            {"mmol/l": 1.0, "mg/dl": 0.0555}, "mmol/l",
            (UnitGuess("mg/dl", above=150), UnitGuess(UNCLEAR, above=60)), assumed=True,
        ),),
    ),
    Measure(
        "wbc_10e9_l", "labs", "White cells", "\u00d710\u2079/L", minimum=0, maximum=1000,
        note_forms=(NoteForm(
            r"wbc|wcc|white\s++(?:blood\s++)?cell(?:\s++count)?s?|white\s++count|leu[ck]ocytes",
            {"x10^9/l": 1.0, "10^9/l": 1.0, "k/ul": 1.0, "/ul": _PER_UL, "/mm3": _PER_UL},
            "x10^9/l", (UnitGuess("/ul", above=500),),
        ),),
    ),
    Measure(
        "crp_mg_l", "labs", "CRP", "mg/L", minimum=0, maximum=1000,
        note_forms=(NoteForm(r"crp|c[-\s]reactive\s++protein",
                             {"mg/l": 1.0, "mg/dl": 10.0}, "mg/l"),),
    ),
    Measure(
        "ketones_mmol_l", "labs", "Ketones", "mmol/L", minimum=0, maximum=20,
        note_forms=(NoteForm(
            r"(?:blood\s++|capillary\s++|serum\s++)?ketones?|beta[-\s]?hydroxybutyrate|bhb",
            _MMOL, "mmol/l",
        ),),
    ),
    Measure(
        "lactate_mmol_l", "labs", "Lactate", "mmol/L", minimum=0, maximum=40,
        note_forms=(NoteForm(r"(?:venous\s++|serum\s++)?lactate|lactic\s++acid",
                             {"mmol/l": 1.0, "mg/dl": 0.111}, "mmol/l"),),
    ),
    Measure(
        "haemoglobin_g_l", "labs", "Haemoglobin", "g/L", minimum=10, maximum=260,
        note_forms=(NoteForm(r"hb|ha?emoglobin|hgb", {"g/l": 1.0, "g/dl": 10.0}, "g/l",
                             (UnitGuess("g/dl", below=25),)),),
    ),
    Measure(
        "potassium_mmol_l", "labs", "Potassium", "mmol/L", minimum=1, maximum=12,
        note_forms=(NoteForm(r"(?:serum\s++)?potassium|k\+?",
                             {"mmol/l": 1.0, "meq/l": 1.0}, "mmol/l"),),
    ),
    Measure(
        "creatinine_umol_l", "labs", "Creatinine", "µmol/L", minimum=5, maximum=3000,
        note_forms=(NoteForm(
            r"(?:serum\s++)?creatinine|creat|cr",
            {"umol/l": 1.0, "\u00b5mol/l": 1.0, "\u03bcmol/l": 1.0, "micromol/l": 1.0,
             "mg/dl": 88.4},
            "umol/l", (UnitGuess("mg/dl", below=20),),
        ),),
    ),
    Measure(
        "troponin_ng_l", "labs", "Troponin", "ng/L", minimum=0, maximum=1_000_000,
        note_forms=(NoteForm(
            r"(?:hs[-\s]?|high[-\s]sensitivity\s++)?(?:troponin|trop)(?:\s*+[ti])?|hs[-\s]?tn[ti]"
            r"|tn[ti]",
            {"ng/l": 1.0, "pg/ml": 1.0, "ng/ml": 1000.0, "ug/l": 1000.0, "\u00b5g/l": 1000.0},
            "ng/l",
        ),),
    ),
    Measure(
        "alt_u_l", "labs", "ALT", "U/L", minimum=0, maximum=50_000,
        note_forms=(NoteForm(
            r"alt|alanine\s++(?:amino)?transaminase|alanine\s++aminotransferase|sgpt",
            {"u/l": 1.0, "iu/l": 1.0}, "u/l",
        ),),
    ),
    Measure(
        "inr", "labs", "INR", "", minimum=0.5, maximum=20,
        note_forms=(NoteForm(r"inr", {}, ""),),
    ),
)  # fmt: skip

# Readings a note gives that the request has no field for: a GCS total (read as ACVPU).
NOTE_ONLY_VITALS: Mapping[str, tuple[str, str]] = MappingProxyType({"gcs": ("GCS", "")})

MEASURES: Mapping[str, Measure] = MappingProxyType({m.name: m for m in (*VITAL_SIGNS, *LABS)})
VITAL_NAMES = tuple(m.name for m in VITAL_SIGNS)
LAB_NAMES = tuple(m.name for m in LABS)
VITAL_INPUTS = tuple(name for m in VITAL_SIGNS if m.kind != "flag" for name in m.derived_inputs)
LAB_INPUTS = LAB_NAMES
# Inputs a derived finding or a score table compares with a number, and those that are a category.
NUMERIC_INPUTS = frozenset(
    {"age", *(n for m in VITAL_SIGNS if m.kind in ("number", "pressure") for n in m.derived_inputs)}
    | set(LAB_NAMES)
)
Sex = Literal["male", "female"]
SEXES: tuple[str, ...] = get_args(Sex)
CATEGORICAL_INPUTS: Mapping[str, tuple[str | bool, ...]] = MappingProxyType(
    {"consciousness": CONSCIOUSNESS_LEVELS, "supplemental_oxygen": (False, True), "sex": SEXES}
)


def display_labels() -> dict[str, dict[str, list[str]]]:
    """``{vitals: {name: [label, unit]}, labs: {...}}``: what the portal shows for a reading."""
    vitals = {m.name: [m.label, m.unit] for m in VITAL_SIGNS}
    vitals |= {name: list(shown) for name, shown in NOTE_ONLY_VITALS.items()}
    return {"vitals": vitals, "labs": {m.name: [m.label, m.unit] for m in LABS}}
