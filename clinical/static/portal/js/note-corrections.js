// The clinician's corrections to what the engine read from a note, and the request that re-runs
// the diagnosis with them. Each finding the note yielded can be marked present or absent
// (flipping a negation), removed, or undone; missing ones can be added. The re-run keeps the
// note and every other field of the original request, and sends the corrected findings as
// structured symptoms ("Productive cough", "No chest pain"), which win over the note. A removed
// finding goes as `{name, status: "unknown"}`: the engine sets it aside, whatever the note says.

import { absentLabel } from "./format.js";

const FINDING_LISTS = ["findings", "negated", "uncertain"];

/** A structured symptom's name for a finding in a state: "Cough" or "No cough". */
export function statement(label, state) {
  return state === "absent" ? absentLabel(label) : label;
}

/** How a structured symptom reads in a summary: "No cough", or "Fever, set aside". */
export function symptomLabel(symptom) {
  if (typeof symptom === "string") return symptom;
  return symptom.status === "unknown" ? `${symptom.name}, set aside` : symptom.name;
}

function symptomName(symptom) {
  return typeof symptom === "string" ? symptom : symptom?.name;
}

export class Corrections {
  constructor() {
    this.items = [];
    this.request = {};
    this.formIds = new Map();
    this.addedCount = 0;
  }

  /**
   * extracted: the note's reading; recognised: the stream's recognized_findings (the ones the
   * form's symptoms settled come `via: "symptom"`); request: the original request.
   */
  load(extracted, recognised, request) {
    this.request = request || {};
    this.formIds = new Map();
    for (const report of recognised || []) {
      if (report.via === "symptom")
        this.formIds.set(report.finding, { status: report.status, name: report.name });
    }
    const byId = new Map();
    for (const list of FINDING_LISTS) {
      for (const entry of extracted?.[list] || []) {
        if (entry.kind !== "finding") continue;
        const known = byId.get(entry.id);
        if (known) {
          known.texts.push(entry.text);
          continue;
        }
        const form = this.formIds.get(entry.id);
        const initial = form ? form.status : entry.certainty;
        byId.set(entry.id, {
          key: entry.id,
          id: entry.id,
          label: entry.label,
          read: entry.certainty,
          texts: [entry.text],
          duration: typeof entry.duration === "string" ? entry.duration : undefined,
          used: entry.used,
          form,
          initial,
          state: initial,
        });
      }
    }
    this.items = Array.from(byId.values());
  }

  get(key) {
    return this.items.find((item) => item.key === key);
  }

  set(key, state) {
    const item = this.get(key);
    if (item) item.state = state;
  }

  undo(key) {
    const item = this.get(key);
    if (!item) return;
    if (item.read === "added") this.items = this.items.filter((other) => other !== item);
    else item.state = item.initial;
  }

  /** Add a missing finding (as present); returns its key, or null when it is already listed. */
  add(label) {
    const text = String(label ?? "").trim();
    if (!text) return null;
    const same = this.items.find(
      (item) => item.label.toLowerCase() === text.toLowerCase() && item.state !== "removed",
    );
    if (same) return null;
    this.addedCount += 1;
    const key = `added-${this.addedCount}`;
    this.items.push({
      key,
      id: null,
      label: text,
      read: "added",
      texts: [],
      initial: "present",
      state: "present",
    });
    return key;
  }

  /** Removed, though the note states it: it goes as set aside, so the note no longer counts. */
  setAside(item) {
    return item.state === "removed" && item.id !== null;
  }

  get changed() {
    return this.items.some((item) => item.read === "added" || item.state !== item.initial);
  }

  /** The structured symptoms of the re-run: the original ones no correction touches, then
   *  every listed finding that is present or absent (an unchanged form symptom as it was),
   *  and every removed one the knowledge base knows as set aside.
   *  `originals` are the request's own symptoms: the original request's, or the form's when
   *  the note was read before any stream. */
  symptoms(originals = this.request.symptoms || []) {
    const listed = new Set(this.items.filter((item) => item.id).map((item) => item.id));
    const formNames = new Map(
      Array.from(this.formIds.entries()).map(([id, report]) => [report.name, id]),
    );
    const kept = originals.filter((symptom) => !listed.has(formNames.get(symptomName(symptom))));
    const symptoms = [...kept];
    for (const item of this.items) {
      if (this.setAside(item)) {
        symptoms.push({ name: item.label, status: "unknown" });
        continue;
      }
      if (item.state !== "present" && item.state !== "absent") continue;
      const original =
        item.form && item.form.status === item.state
          ? originals.find((symptom) => symptomName(symptom) === item.form.name)
          : undefined;
      if (original !== undefined) {
        symptoms.push(original);
        continue;
      }
      const symptom = { name: statement(item.label, item.state) };
      if (item.state === "present" && item.duration) symptom.duration = item.duration;
      symptoms.push(symptom);
    }
    const seen = new Set();
    return symptoms.filter((symptom) => {
      const name = String(symptomName(symptom)).toLowerCase();
      if (seen.has(name)) return false;
      seen.add(name);
      return true;
    });
  }

  /** The re-run's request: the original with the corrected symptoms, the note kept. Before a
   *  stream, `request` is the form's: the diagnosis starts with the corrections the same way. */
  rerunRequest(request = this.request) {
    return { ...request, symptoms: this.symptoms(request.symptoms || []) };
  }
}
