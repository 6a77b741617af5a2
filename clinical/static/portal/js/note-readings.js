// What the engine read from a note besides findings: vital signs, labs, age and sex, timing,
// medications, allergies, history and anything it could not place, each with the words it came
// from and whether it was used (a value the form gave wins over the note's).

import { h } from "./dom.js";
import { humanize, patientLine } from "./format.js";
import { MEASURES } from "./measures.js";

const VITALS = MEASURES.vitals;
const LABS = MEASURES.labs;
const UNIT_WORDS = { F: "°F", C: "°C" };
const numberFormat = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 2 });

function number(value) {
  return typeof value === "number" ? numberFormat.format(value) : String(value);
}

function quoted(text) {
  return h("q", { class: "read-from", text });
}

function usedTag(used, givenByForm) {
  if (used === true) return h("span", { class: "tag tag-used", text: "used" });
  if (used === false && givenByForm)
    return h("span", { class: "tag tag-unused", text: "not used: the form's value wins" });
  if (used === false) return h("span", { class: "tag tag-unused", text: "not used" });
  return null;
}

function row(kind, field, text, entry, extra = []) {
  return h(
    "li",
    { class: "read-item", testid: "extracted-reading", dataset: { kind, field } },
    h("span", { class: "read-value", text }),
    entry?.text ? [" ", quoted(entry.text)] : null,
    extra.length ? [" ", extra] : null,
  );
}

function valueText(field, entry, units) {
  if (field === "supplemental_oxygen") return entry.value ? "on oxygen" : "on room air";
  if (field === "consciousness") return humanize(entry.value);
  const unit = units === "%" ? "%" : units ? ` ${units}` : "";
  const written =
    entry.written !== undefined && entry.unit
      ? ` (written ${number(entry.written)} ${UNIT_WORDS[entry.unit] || entry.unit})`
      : "";
  return `${number(entry.value)}${unit}${written}`;
}

function measurements(kind, entries, names, given = {}) {
  return Object.entries(entries || {}).map(([field, entry]) => {
    const [label, unit] = names[field] || [humanize(field), entry.unit || ""];
    const text = `${label} ${valueText(field, entry, unit)}`;
    return row(kind, field, text, entry, [usedTag(entry.used, given[field] !== undefined)]);
  });
}

/** Age and sex: always given by the form too (the request needs them), so the note's are
 *  checked against the form's and a difference is pointed out. */
function patient(history, requestHistory = {}) {
  const rows = [];
  const age = history.age;
  if (age) {
    const differs = requestHistory.age !== undefined && Number(requestHistory.age) !== age.value;
    rows.push(
      row("history", "age", `Age ${patientLine(age.value)}`, age, [
        differs
          ? h("span", {
              class: "tag tag-warn",
              text: `differs from the form (${patientLine(requestHistory.age)}): the form's is used`,
            })
          : h("span", { class: "tag tag-unused", text: "checked against the form" }),
      ]),
    );
  }
  const sex = history.sex;
  if (sex) {
    const differs = requestHistory.sex && requestHistory.sex !== sex.value;
    rows.push(
      row("history", "sex", `Sex ${sex.value}`, sex, [
        differs
          ? h("span", {
              class: "tag tag-warn",
              text: `differs from the form (${requestHistory.sex}): the form's is used`,
            })
          : h("span", { class: "tag tag-unused", text: "checked against the form" }),
      ]),
    );
  }
  if (history.gestation_weeks)
    rows.push(
      row(
        "history",
        "gestation_weeks",
        `Gestation ${number(history.gestation_weeks.value)} weeks`,
        history.gestation_weeks,
      ),
    );
  if (history.pregnant)
    rows.push(
      row(
        "history",
        "pregnant",
        history.pregnant.value ? "Pregnant" : "Not pregnant",
        history.pregnant,
      ),
    );
  return rows;
}

function medications(entries) {
  return (entries || []).map((entry) =>
    row(
      "medication",
      entry.id,
      entry.certainty === "absent" ? `Not taking ${entry.name}` : entry.name,
      entry,
      [usedTag(entry.used, false)],
    ),
  );
}

function allergies(extracted) {
  const rows = (extracted.allergies || []).map((entry) => {
    const groups = (entry.groups || []).map(humanize).join(", ");
    const text = groups ? `${entry.text} (${groups})` : `${entry.text} (not in the knowledge base)`;
    return row("allergy", entry.drug || entry.text, text, null);
  });
  if (extracted.no_known_allergies)
    rows.push(row("allergy", "none", "No known drug allergies", extracted.no_known_allergies));
  return rows;
}

function timing(entries) {
  return (entries || []).map((entry) =>
    row(
      "timing",
      entry.kind,
      entry.kind === "duration"
        ? `Duration ${number(entry.value)} ${entry.unit || "days"}`
        : `Onset ${entry.value}`,
      entry,
    ),
  );
}

function mentions(kind, entries, prefix = "") {
  return (entries || []).map((entry) => row(kind, entry.id, `${prefix}${entry.label}`, entry));
}

function unrecognised(entries) {
  return (entries || []).map((entry) =>
    row("unrecognised", entry.kind, `${humanize(entry.kind)} not recognised`, entry),
  );
}

function notUnderstood(entries) {
  return (entries || []).map((entry) => row("unread", "unread", "not understood", entry));
}

function group(title, rows) {
  if (!rows.length) return [];
  return [h("dt", { text: title }), h("dd", {}, h("ul", { class: "read-list" }, rows))];
}

/** The readings as a definition list, or null when the note gave none. */
export function readingsList(extracted, request = {}) {
  const history = extracted.history || {};
  const parts = [
    ...group("Patient", patient(history, request.history)),
    ...group("Vital signs", measurements("vital", extracted.vitals, VITALS, request.vitals)),
    ...group("Labs", measurements("lab", extracted.labs, LABS, request.labs)),
    ...group("Timing", timing(extracted.timing)),
    ...group("Medications", medications(extracted.medications)),
    ...group("Allergies", allergies(extracted)),
    ...group("Diagnoses named", mentions("condition", extracted.conditions)),
    ...group("Past history", mentions("past", history.past)),
    ...group("Family history", mentions("family", history.family)),
    ...group("Not recognised", unrecognised(extracted.unrecognized)),
    ...group("Not understood: the diagnosis did not use these words", notUnderstood(extracted.unread)),
  ];
  if (!parts.length) return null;
  return h("dl", { class: "readings", testid: "extracted-readings" }, parts);
}
