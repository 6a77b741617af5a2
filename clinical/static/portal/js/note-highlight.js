// The note as written, with what the engine read from it marked by its character spans.
// Spans count code points (the engine is Python), so the note is cut as an array of code points,
// and a span whose text does not match the note is left unmarked rather than marked wrongly.
// Certainty is never shown by colour alone: a denied finding is struck through, an uncertain one
// carries a "?", family and past history a label, words nothing read are marked "not read", and
// each mark says what it is in words to screen readers; a legend explains the marks.

import { h } from "./dom.js";

export const MARKS = {
  present: { word: "present", legend: "Present", glyph: "" },
  absent: { word: "absent", legend: "Denied or absent", glyph: "" },
  possible: { word: "uncertain", legend: "Uncertain", glyph: "?" },
  family: { word: "family history", legend: "Family history", glyph: "FH" },
  past: { word: "past history", legend: "Past, not now", glyph: "past" },
  reading: { word: "read", legend: "Measurement, medication, allergy or timing", glyph: "" },
  unread: { word: "not understood", legend: "Not understood: not used", glyph: "not read" },
};
const FINDING_LISTS = ["findings", "negated", "uncertain", "conditions"];

function item(span, certainty, label, rank) {
  if (!Array.isArray(span) || span.length !== 2) return null;
  const [start, end] = span.map(Number);
  if (!Number.isInteger(start) || !Number.isInteger(end) || end <= start) return null;
  return { start, end, certainty, labels: [label], rank };
}

function readingLabel(name, entry) {
  return `${name}: ${entry.value ?? entry.text}`;
}

/** Every span the extraction names, findings first (they win where spans overlap). */
export function spansOf(extracted) {
  const found = [];
  for (const list of FINDING_LISTS) {
    for (const entry of extracted[list] || []) {
      const label = entry.kind === "condition" ? `${entry.label} (named diagnosis)` : entry.label;
      found.push(item(entry.span, MARKS[entry.certainty] ? entry.certainty : "present", label, 0));
    }
  }
  const history = extracted.history || {};
  for (const kind of ["family", "past"]) {
    for (const entry of history[kind] || []) found.push(item(entry.span, kind, entry.label, 0));
  }
  const readings = [
    ...Object.entries(extracted.vitals || {}),
    ...Object.entries(extracted.labs || {}),
    ...["age", "sex", "gestation_weeks", "pregnant"]
      .filter((name) => history[name])
      .map((name) => [name, history[name]]),
  ];
  for (const [name, entry] of readings)
    found.push(item(entry.span, "reading", readingLabel(name.replaceAll("_", " "), entry), 1));
  for (const entry of extracted.timing || [])
    found.push(item(entry.span, "reading", `${entry.kind}: ${entry.text}`, 1));
  for (const entry of extracted.medications || []) {
    const label = entry.certainty === "absent" ? `not taking ${entry.name}` : entry.name;
    found.push(item(entry.span, "reading", `medication: ${label}`, 1));
  }
  for (const entry of extracted.allergies || [])
    found.push(item(entry.span, "reading", `allergy: ${entry.text}`, 1));
  if (extracted.no_known_allergies)
    found.push(item(extracted.no_known_allergies.span, "reading", "no known drug allergies", 1));
  for (const entry of extracted.unread || [])
    found.push(item(entry.span, "unread", "the diagnosis did not use these words", 2));
  return found.filter(Boolean);
}

/** Non-overlapping marks in note order; the same span read twice alike becomes one mark. */
export function layOut(spans) {
  const sorted = [...spans].sort(
    (a, b) => a.start - b.start || a.rank - b.rank || b.end - b.start - (a.end - a.start),
  );
  const chosen = [];
  for (const span of sorted) {
    const last = chosen[chosen.length - 1];
    if (last && span.start === last.start && span.end === last.end) {
      if (span.certainty === last.certainty) {
        for (const label of span.labels) if (!last.labels.includes(label)) last.labels.push(label);
      }
    } else if (!last || span.start >= last.end) {
      chosen.push({ ...span, labels: [...span.labels] });
    }
  }
  return chosen;
}

export function markNode(certainty, text, labels = []) {
  const meta = MARKS[certainty];
  const said = labels.length ? `${meta.word}: ${labels.join("; ")}` : meta.word;
  return h(
    "mark",
    {
      class: `note-mark mark-${certainty}`,
      testid: "note-mark",
      dataset: { certainty },
      title: said,
    },
    text,
    meta.glyph
      ? h("sup", { class: "mark-glyph", text: meta.glyph, attrs: { "aria-hidden": "true" } })
      : null,
    h("span", { class: "visually-hidden", text: ` (${said})` }),
  );
}

/** The note with its marks, as a paragraph that keeps the note's own line breaks. */
export function highlightedNote(note, extracted) {
  const chars = Array.from(note);
  const node = h("p", { class: "note-text", testid: "note-highlight" });
  let at = 0;
  for (const span of layOut(spansOf(extracted || {}))) {
    if (span.end > chars.length) continue;
    const text = chars.slice(span.start, span.end).join("");
    if (at < span.start) node.append(chars.slice(at, span.start).join(""));
    node.append(markNode(span.certainty, text, span.labels));
    at = span.end;
  }
  if (at < chars.length) node.append(chars.slice(at).join(""));
  return node;
}

/** Whether every finding's span points at its own text in this note (the note shown is the
 *  one the engine read). */
export function spansMatch(note, extracted) {
  const chars = Array.from(note);
  return FINDING_LISTS.every((list) =>
    (extracted[list] || []).every(
      (entry) => chars.slice(entry.span[0], entry.span[1]).join("") === entry.text,
    ),
  );
}

const ALWAYS_EXPLAINED = ["present", "absent", "possible"];

/** What the marks mean: present, denied and uncertain always, the others when the note has them. */
export function legend(shown = new Set()) {
  const entries = Object.entries(MARKS).filter(
    ([certainty]) => ALWAYS_EXPLAINED.includes(certainty) || shown.has(certainty),
  );
  return h(
    "ul",
    { class: "note-legend", testid: "note-legend", attrs: { "aria-label": "What the marks mean" } },
    entries.map(([certainty, meta]) =>
      h(
        "li",
        {},
        h(
          "span",
          { class: `note-mark mark-${certainty} legend-sample`, attrs: { "aria-hidden": "true" } },
          { reading: "HR 110", unread: "went all funny" }[certainty] ?? "cough",
          meta.glyph ? h("sup", { class: "mark-glyph", text: meta.glyph }) : null,
        ),
        " ",
        meta.legend,
      ),
    ),
  );
}
