// The new-diagnosis form: a clinical note, symptoms (with severity and duration), vital signs
// with units, labs for CURB-65, and history. It reads itself into a protocol v1 `diagnosis`
// request (the note as `data.note`, beside whatever structured fields were filled, which win
// over it) and checks it against the server's bounds before anything is sent. "Read note" shows
// what the engine reads from the note before the stream; corrections made there are sent with it.

import { Combobox } from "./combobox.js";
import { $, $$, h } from "./dom.js";
import { clearErrors, showErrors } from "./form-errors.js";
import { NoteField } from "./note-field.js";
import { NotePreview } from "./note-preview.js";
import { PatientField } from "./patient-field.js";
import { suggestions } from "./suggestions.js";
import { TokenField } from "./token-field.js";
import {
  Problems,
  checkList,
  checkName,
  checkNote,
  checkPregnancy,
  readBloodPressure,
  readChoice,
  readNumber,
} from "./validation.js";
import { unitOf } from "./measures.js";

const SEVERITIES = ["mild", "moderate", "severe"];
const VITALS = ["temperature", "heart_rate", "respiratory_rate", "oxygen_saturation"].map(
  (name) => [name, unitOf(name)],
);

let rowCounter = 0;

function compact(object) {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

export class DiagnosisForm {
  constructor(form, bounds, onSubmit) {
    this.form = form;
    this.bounds = bounds;
    this.list = $('[data-testid="symptom-list"]', form);
    this.symptomInput = $("#symptom-input", form);
    this.note = new NoteField(
      $("#note-input", form),
      $("#note-count", form),
      $('[data-role="note-count-live"]', form),
      bounds.note.maxLength,
    );
    this.preview = new NotePreview(this);
    this.patient = new PatientField(form, bounds.patient);
    this.tokens = Object.fromEntries(
      $$("[data-token-field]", form).map((root) => [root.dataset.tokenField, new TokenField(root)]),
    );
    new Combobox(this.symptomInput, $("#symptom-options", form), {
      search: suggestions.symptoms,
      onPick: (choice) => this.addSymptom(choice.value),
    });
    $('[data-action="add-symptom"]', form).addEventListener("click", () => this.addTypedSymptom());
    $('[data-action="clear-form"]', form).addEventListener("click", () => {
      this.reset();
      this.symptomInput.focus();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit(onSubmit);
    });
  }

  field(name) {
    return this.form.elements.namedItem(name);
  }

  /** Empty every field (after a stream starts, so one patient's details never carry over). */
  reset() {
    this.form.reset();
    this.note.reset();
    this.preview.reset();
    this.list.replaceChildren();
    this.patient.reset();
    for (const tokens of Object.values(this.tokens)) tokens.set([]);
    clearErrors(this.form);
  }

  addTypedSymptom() {
    const text = this.symptomInput.value.trim();
    if (text) this.addSymptom(text);
    this.symptomInput.value = "";
    this.symptomInput.focus();
  }

  addSymptom(name, { severity = "", duration = "" } = {}) {
    const known = this.rows().some((row) => row.dataset.name.toLowerCase() === name.toLowerCase());
    if (known) return;
    this.list.append(this.symptomRow(name, severity, duration));
    this.renumber();
  }

  symptomRow(name, severity, duration) {
    rowCounter += 1;
    const id = `symptom-${rowCounter}`;
    const select = h(
      "select",
      { id: `${id}-severity`, dataset: { role: "severity" }, testid: "symptom-severity" },
      h("option", { value: "", text: "Severity not stated" }),
      SEVERITIES.map((level) =>
        h("option", { value: level, text: level[0].toUpperCase() + level.slice(1) }),
      ),
    );
    select.value = severity;
    const durationInput = h("input", {
      type: "text",
      id: `${id}-duration`,
      value: duration,
      placeholder: "Duration, e.g. 3 days",
      maxLength: this.bounds.symptoms.duration.maxLength,
      dataset: { role: "duration" },
      testid: "symptom-duration",
    });
    const row = h(
      "li",
      { class: "symptom-row", dataset: { name }, testid: "symptom-row" },
      h("span", { class: "symptom-name", text: name }),
      h("label", { class: "visually-hidden", htmlFor: select.id, text: `Severity of ${name}` }),
      select,
      h("label", {
        class: "visually-hidden",
        htmlFor: durationInput.id,
        text: `Duration of ${name}`,
      }),
      durationInput,
      h("button", {
        type: "button",
        class: "button quiet small",
        text: "Remove",
        attrs: { "aria-label": `Remove ${name}` },
        on: { click: () => this.removeSymptom(row) },
      }),
      h("p", { class: "field-error", hidden: true }),
    );
    return row;
  }

  removeSymptom(row) {
    const neighbour = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    this.renumber();
    (neighbour ? $("button", neighbour) : this.symptomInput).focus();
  }

  /** Rows carry their index as the server's path, so `symptoms.2.duration` finds row 2. */
  renumber() {
    this.rows().forEach((row, index) => {
      row.dataset.field = `symptoms.${index}`;
      $(".field-error", row).dataset.errorFor = `symptoms.${index}`;
    });
  }

  rows() {
    return $$(".symptom-row", this.list);
  }

  submit(onSubmit) {
    clearErrors(this.form);
    const { data, problems } = this.read();
    if (!problems.empty) {
      showErrors(this.form, problems.details, (path) => this.labelOf(path));
      return;
    }
    onSubmit(data);
  }

  showServerErrors(details) {
    showErrors(this.form, details, (path) => this.labelOf(path));
  }

  labelOf(path) {
    if (path === "non_field_errors" || path === "data") return "Request";
    const field = this.form.querySelector(
      `[data-field="${CSS.escape(path)}"] label, [data-field="${CSS.escape(path)}"] legend`,
    );
    return field ? field.textContent.replace(/\s+/g, " ").trim() : path;
  }

  read() {
    const problems = new Problems();
    const patient = this.patient.read(problems);
    const note = this.readNote(problems);
    const symptoms = this.readSymptoms(problems, note !== undefined || this.note.value !== "");
    const vitals = compact(this.readVitals(problems));
    const urea = readNumber(
      this.field("labs.urea_mmol_l").value,
      "labs.urea_mmol_l",
      this.bounds.labs.urea_mmol_l,
      "mmol/L",
      problems,
    );
    const history = this.readHistory(problems);
    const data = { patient, symptoms, history };
    if (Object.keys(vitals).length) data.vitals = vitals;
    if (urea !== undefined) data.labs = { urea_mmol_l: urea };
    if (note !== undefined) data.note = note;
    return { data: this.preview.applyTo(data, problems), problems };
  }

  readNote(problems) {
    const text = this.note.value;
    if (!text) return undefined;
    return checkNote(text, this.note.count, "note", this.bounds.note.maxLength, problems);
  }

  readSymptoms(problems, hasNote) {
    const limits = this.bounds.symptoms;
    const pending = this.symptomInput.value.trim();
    if (pending) {
      this.addSymptom(pending);
      this.symptomInput.value = "";
    }
    const rows = this.rows();
    if (!rows.length && !hasNote) {
      problems.add("note", "write a note, or add at least one symptom below");
      problems.add("symptoms", "add at least one symptom, or write a clinical note above");
    }
    if (rows.length > limits.maxItems)
      problems.add("symptoms", `at most ${limits.maxItems} symptoms`);
    return rows.map((row, index) => {
      const path = `symptoms.${index}`;
      const name = checkName(row.dataset.name, `${path}.name`, limits.name.maxLength, problems);
      const durationText = $('[data-role="duration"]', row).value.trim();
      const duration = durationText
        ? checkName(durationText, `${path}.duration`, limits.duration.maxLength, problems)
        : undefined;
      const severity = $('[data-role="severity"]', row).value || undefined;
      return compact({ name, severity, duration });
    });
  }

  readVitals(problems) {
    const vitals = {};
    for (const [name, unit] of VITALS) {
      const path = `vitals.${name}`;
      vitals[name] = readNumber(
        this.field(path).value,
        path,
        this.bounds.vitals[name],
        unit,
        problems,
      );
    }
    vitals.blood_pressure = readBloodPressure(
      this.field("vitals.blood_pressure").value,
      "vitals.blood_pressure",
      this.bounds.blood_pressure,
      problems,
    );
    vitals.consciousness = this.field("vitals.consciousness").value || undefined;
    const measured = Object.values(vitals).some((value) => value !== undefined);
    // Room air or oxygen only means something next to a measurement (NEWS2's SpO2 row).
    vitals.supplemental_oxygen = measured
      ? readChoice(this.field("vitals.supplemental_oxygen").value)
      : undefined;
    return vitals;
  }

  readHistory(problems) {
    const age = readNumber(
      this.field("history.age").value,
      "history.age",
      this.bounds.history.age,
      "years",
      problems,
    );
    // The server takes the age from the date of birth when Age is left empty.
    const agedByBirth = Boolean(this.patient.birthDateValue);
    if (age === undefined && !agedByBirth && !problems.details["history.age"])
      problems.add("history.age", "this field is required, or give the date of birth");
    const sex = this.field("history.sex").value || undefined;
    if (!sex) problems.add("history.sex", "choose female or male");
    const pregnant = readChoice(this.field("history.pregnant").value);
    checkPregnancy(pregnant, sex, age, "history.pregnant", problems);
    const lists = {};
    for (const name of ["allergies", "conditions", "medications"]) {
      const path = `history.${name}`;
      lists[name] = checkList(this.tokens[path].values(), path, this.bounds.lists, problems);
    }
    const smoker = readChoice(this.field("history.smoker").value);
    return compact({ age, sex, ...lists, pregnant, smoker });
  }
}
