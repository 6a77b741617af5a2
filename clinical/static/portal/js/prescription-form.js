// The prescription dialog: the chosen diagnosis, prefilled from its session (age, sex,
// pregnancy, allergies, medications), asking for weight and eGFR, checked before sending.

import { $, $$ } from "./dom.js";
import { clearErrors, showErrors } from "./form-errors.js";
import { TokenField } from "./token-field.js";
import { Problems, checkList, checkPregnancy, readChoice, readNumber } from "./validation.js";

function compact(object) {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

function choiceValue(value) {
  return value === true ? "true" : value === false ? "false" : "";
}

export class PrescriptionDialog {
  constructor(dialog, bounds, onSubmit) {
    this.dialog = dialog;
    this.form = $("form", dialog);
    this.bounds = bounds;
    this.target = null;
    this.submitButton = $('[data-testid="start-prescription"]', dialog);
    this.tokens = Object.fromEntries(
      $$("[data-token-field]", this.form).map((root) => [
        root.dataset.tokenField,
        new TokenField(root),
      ]),
    );
    $('[data-action="close-dialog"]', dialog).addEventListener("click", () => this.close());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit(onSubmit);
    });
  }

  field(name) {
    return this.form.elements.namedItem(name);
  }

  /** target: {diagnosis, icd10, followsId}; prefill: the diagnosis session's history. */
  open(target, prefill = {}) {
    this.target = target;
    this.busy(false);
    clearErrors(this.form);
    const label = target.icd10 ? `${target.diagnosis} (${target.icd10})` : target.diagnosis;
    $('[data-role="rx-diagnosis"]', this.form).textContent = label;
    this.field("patient_info.age").value = prefill.age ?? "";
    for (const radio of this.field("patient_info.sex")) radio.checked = radio.value === prefill.sex;
    this.field("patient_info.pregnant").value = choiceValue(prefill.pregnant);
    this.tokens.allergies.set(prefill.allergies);
    this.tokens.current_medications.set(prefill.medications);
    this.dialog.showModal();
    this.field("patient_info.weight").focus();
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }

  busy(flag) {
    this.submitButton.disabled = flag;
    this.submitButton.textContent = flag ? "Starting…" : "Check and prescribe";
  }

  submit(onSubmit) {
    clearErrors(this.form);
    const { data, problems } = this.read();
    if (!problems.empty) {
      this.showServerErrors(problems.details);
      return;
    }
    onSubmit(data);
  }

  showServerErrors(details) {
    showErrors(this.form, details);
  }

  read() {
    const problems = new Problems();
    const limits = this.bounds.patient_info;
    const number = (name, unit) =>
      readNumber(
        this.field(`patient_info.${name}`).value,
        `patient_info.${name}`,
        limits[name],
        unit,
        problems,
      );
    const age = number("age", "years");
    const weight = number("weight", "kg");
    const egfr = number("egfr", "mL/min/1.73 m²");
    for (const [name, value] of [
      ["age", age],
      ["weight", weight],
    ]) {
      const path = `patient_info.${name}`;
      if (value === undefined && !problems.details[path])
        problems.add(path, "this field is required");
    }
    const sex = this.field("patient_info.sex").value || undefined;
    if (!sex) problems.add("patient_info.sex", "choose female or male");
    const pregnant = readChoice(this.field("patient_info.pregnant").value);
    checkPregnancy(pregnant, sex, undefined, "patient_info.pregnant", problems);
    const allergies = checkList(
      this.tokens.allergies.values(),
      "allergies",
      this.bounds.lists,
      problems,
    );
    const medications = checkList(
      this.tokens.current_medications.values(),
      "current_medications",
      this.bounds.lists,
      problems,
    );
    const data = {
      diagnosis: this.target.diagnosis,
      patient_info: compact({ age, weight, sex, egfr, pregnant }),
      allergies,
      current_medications: medications,
    };
    if (this.target.followsId) data.session_id = this.target.followsId;
    return { data, problems };
  }
}
