// What a prescription dialog starts with from the session it follows: the form's allergies and
// medications, and those the engine read from the note ("allergic to penicillin", "takes
// warfarin"), so an allergy written only in the note is checked too. The clinician sees them
// as chips and can remove any.

/** The allergies read from the note, as written ("penicillin"). */
export function noteAllergies(extracted) {
  return (extracted?.allergies || []).map((allergy) => allergy.text).filter(Boolean);
}

/** The medications the note says the patient takes now (not denied, not past). */
export function noteMedications(extracted) {
  return (extracted?.medications || [])
    .filter((medication) => medication.certainty === "present")
    .map((medication) => medication.name || medication.text)
    .filter(Boolean);
}

/** The form's values, then the note's, each once (ignoring case). */
export function withNoteReadings(formValues, noteValues) {
  const seen = new Set();
  const merged = [];
  for (const value of [...(formValues || []), ...(noteValues || [])]) {
    const key = String(value).trim().toLowerCase();
    if (!key || seen.has(key)) continue;
    seen.add(key);
    merged.push(value);
  }
  return merged;
}
