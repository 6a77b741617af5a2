// The patient reference at the top of the form: an NHS number (its modulus 11 check digit
// verified as it is typed), a local identifier such as an MRN, each with a date of birth, or an
// explicit "anonymous". It becomes the request's `data.patient`, which the server keeps beside
// the session and never passes to the engine (only the age the date of birth gives).

import { $ } from "./dom.js";

const NHS_WEIGHTS = [10, 9, 8, 7, 6, 5, 4, 3, 2];

/** Whether ten digits pass the NHS number's modulus 11 check (NHS Data Dictionary). */
export function nhsNumberIsValid(digits) {
  if (!/^\d{10}$/.test(digits)) return false;
  const total = NHS_WEIGHTS.reduce((sum, weight, index) => sum + Number(digits[index]) * weight, 0);
  const check = 11 - (total % 11) === 11 ? 0 : 11 - (total % 11);
  return check !== 10 && check === Number(digits[9]);
}

/** Whole years of age on `today` for an ISO date of birth. */
export function ageFrom(birthDate, today = new Date()) {
  const [year, month, day] = birthDate.split("-").map(Number);
  const beforeBirthday =
    today.getMonth() + 1 < month || (today.getMonth() + 1 === month && today.getDate() < day);
  return today.getFullYear() - year - (beforeBirthday ? 1 : 0);
}

function todayIso() {
  const now = new Date();
  const pad = (value) => String(value).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export class PatientField {
  constructor(form, bounds) {
    this.form = form;
    this.bounds = bounds;
    this.identifier = $("#patient-identifier", form);
    this.birthDate = $("#patient-birth-date", form);
    this.birthDate.max = todayIso();
    for (const radio of this.radios()) radio.addEventListener("change", () => this.sync());
    this.sync();
  }

  radios() {
    return [...this.form.querySelectorAll('input[name="patient.identifier_system"]')];
  }

  get system() {
    return this.radios().find((radio) => radio.checked)?.value || "";
  }

  /** An anonymous patient has no identifier or date of birth: the boxes are off, not hidden. */
  sync() {
    const anonymous = this.system === "anonymous";
    this.identifier.disabled = anonymous;
    this.birthDate.disabled = anonymous;
    this.identifier.placeholder = this.system === "nhs_number" ? "e.g. 943 476 5919" : "";
    this.identifier.inputMode = this.system === "nhs_number" ? "numeric" : "text";
  }

  /** The date of birth as typed, when it is a usable one (for the age it gives). */
  get birthDateValue() {
    return this.system !== "anonymous" && this.birthDate.value ? this.birthDate.value : "";
  }

  read(problems) {
    const system = this.system;
    if (!system) {
      problems.add("patient.identifier_system", "choose NHS number, local or anonymous");
      return undefined;
    }
    if (system === "anonymous") return { anonymous: true };
    const typed = this.identifier.value.trim();
    const identifier = system === "nhs_number" ? typed.replace(/ /g, "") : typed;
    if (!identifier) problems.add("patient.identifier", "give the patient's identifier");
    else if (system === "nhs_number" && !/^\d{10}$/.test(identifier))
      problems.add("patient.identifier", "an NHS number is 10 digits");
    else if (system === "nhs_number" && !nhsNumberIsValid(identifier))
      problems.add("patient.identifier", "not a valid NHS number: its check digit does not match");
    else if (identifier.length > this.bounds.identifier.maxLength)
      problems.add("patient.identifier", `at most ${this.bounds.identifier.maxLength} characters`);
    const birthDate = this.birthDate.value;
    if (!birthDate) problems.add("patient.birth_date", "give the date of birth");
    else if (birthDate > todayIso()) problems.add("patient.birth_date", "is in the future");
    return { identifier, identifier_system: system, birth_date: birthDate };
  }

  reset() {
    this.sync();
  }
}
