// Words and numbers as the portal shows them: one place for labels, times and percentages.

const STAGES = {
  accepted: "Started",
  symptoms_analysis: "Symptoms analysis",
  vitals_evaluation: "Vital signs and scores",
  history_review: "History review",
  differential_diagnosis: "Differential diagnosis",
  primary_diagnosis: "Primary diagnosis",
  allergy_check: "Allergy check",
  medication_selection: "Medication selection",
  interaction_check: "Interaction check",
  monitoring_advice: "Monitoring advice",
  finalization: "Finalisation",
  complete: "Complete",
};

const PRESCRIPTION_STAGES = new Set([
  "allergy_check",
  "medication_selection",
  "interaction_check",
  "monitoring_advice",
  "finalization",
]);

export const URGENCY = {
  emergency: { label: "Emergency", icon: "!!", hint: "Immediate assessment" },
  urgent: { label: "Urgent", icon: "!", hint: "Same-day assessment" },
  routine: { label: "Routine", icon: "i", hint: "Routine care" },
  self_care: { label: "Self-care", icon: "✓", hint: "Self-care advice" },
};

export function stageLabel(stage) {
  return STAGES[stage] || humanize(stage);
}

/** The kind a stage belongs to, for a frame seen before its session's `accepted`. */
export function kindOfStage(stage) {
  return PRESCRIPTION_STAGES.has(stage) ? "prescription" : "diagnosis";
}

export function humanize(id) {
  const text = String(id ?? "")
    .replaceAll("_", " ")
    .trim();
  return text ? text[0].toUpperCase() + text.slice(1) : "";
}

export function percent(probability, digits = 0) {
  const value = Math.max(0, Math.min(1, Number(probability) || 0)) * 100;
  if (value > 0 && value < 1 && digits === 0) return "<1%";
  return `${value.toFixed(digits)}%`;
}

const timeFormat = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit" });
const dateTimeFormat = new Intl.DateTimeFormat("en-GB", {
  day: "numeric",
  month: "short",
  hour: "2-digit",
  minute: "2-digit",
});

export function clockTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : timeFormat.format(date);
}

export function dateTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : dateTimeFormat.format(date);
}

export function patientLine(age, sex) {
  const parts = [];
  if (age !== undefined && age !== null) {
    parts.push(age < 1 ? `${Math.round(age * 12)} months` : `${Math.floor(age)} years`);
  }
  if (sex) parts.push(sex);
  return parts.join(", ");
}

/** "No new confusion", from the finding's label ("New confusion"); acronyms keep their case. */
export function absentLabel(label) {
  const text = String(label ?? "");
  const lower = text.length > 1 && text[1] === text[1].toLowerCase();
  return `No ${lower ? text[0].toLowerCase() + text.slice(1) : text}`;
}

/** A session's patient as a clinician scans for it: "NHS 943 476 5919 · born 2 Mar 1954". */
export function patientLabel(patient) {
  if (!patient) return "Patient not stated";
  if (patient.anonymous) return "Anonymous patient";
  const born = patient.birth_date ? ` · born ${birthDate(patient.birth_date)}` : "";
  const id = patient.identifier;
  if (patient.identifier_system === "nhs_number")
    return `NHS ${id.slice(0, 3)} ${id.slice(3, 6)} ${id.slice(6)}${born}`;
  return `Local ID ${id}${born}`;
}

function birthDate(iso) {
  const [year, month, day] = iso.split("-").map(Number);
  return new Date(Date.UTC(year, month - 1, day)).toLocaleDateString("en-GB", {
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  });
}
