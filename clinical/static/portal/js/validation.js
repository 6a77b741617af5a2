// Client-side checks that mirror the server's request models. The bounds come from the page
// (read from the engine's models by the server), so both sides refuse the same values; the
// server still validates everything and its answer wins.

export class Problems {
  constructor() {
    this.details = {};
  }

  add(path, message) {
    (this.details[path] ||= []).push(message);
  }

  get empty() {
    return Object.keys(this.details).length === 0;
  }
}

const BLOOD_PRESSURE = /^\s*(\d{2,3})\s*\/\s*(\d{2,3})\s*$/;
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/** A number typed by a person ("38,6" is 38.6), or undefined when the box is empty. */
export function readNumber(raw, path, bounds, unit, problems) {
  const text = String(raw ?? "")
    .trim()
    .replace(",", ".");
  if (text === "") return undefined;
  const value = Number(text);
  if (!/^[-+]?(\d+\.?\d*|\.\d+)$/.test(text) || !Number.isFinite(value)) {
    problems.add(path, "must be a number");
    return undefined;
  }
  if (bounds && (value < bounds.min || value > bounds.max)) {
    const suffix = unit ? ` ${unit}` : "";
    problems.add(path, `must be between ${bounds.min} and ${bounds.max}${suffix}`);
    return undefined;
  }
  return value;
}

export function readBloodPressure(raw, path, bounds, problems) {
  const text = String(raw ?? "").trim();
  if (text === "") return undefined;
  const match = BLOOD_PRESSURE.exec(text);
  if (!match) {
    problems.add(path, 'must be "systolic/diastolic" in mmHg, e.g. "120/80"');
    return undefined;
  }
  const [systolic, diastolic] = [Number(match[1]), Number(match[2])];
  const { systolic: sys, diastolic: dia } = bounds;
  if (systolic < sys.min || systolic > sys.max) {
    problems.add(path, `systolic must be between ${sys.min} and ${sys.max} mmHg`);
  } else if (diastolic < dia.min || diastolic > dia.max) {
    problems.add(path, `diastolic must be between ${dia.min} and ${dia.max} mmHg`);
  } else if (diastolic >= systolic) {
    problems.add(path, "diastolic must be lower than systolic");
  } else {
    return `${systolic}/${diastolic}`;
  }
  return undefined;
}

/** A name (symptom, allergy, drug): non-blank, one line, no control characters, bounded. */
export function checkName(name, path, maxLength, problems) {
  const text = String(name ?? "").trim();
  if (!text) problems.add(path, "must not be blank");
  else if (text.length > maxLength) problems.add(path, `must be at most ${maxLength} characters`);
  else if (/[\r\n]/.test(text)) problems.add(path, "must be a single line");
  else if (CONTROL.test(text)) problems.add(path, "must not contain control characters");
  else return text;
  return undefined;
}

export function checkList(values, path, limits, problems) {
  if (values.length > limits.maxItems) {
    problems.add(path, `at most ${limits.maxItems} entries`);
    return [];
  }
  return values
    .map((value, index) => checkName(value, `${path}.${index}`, limits.maxLength, problems))
    .filter((value) => value !== undefined);
}

/** "true"/"false"/"" from a select as a boolean, or undefined when not stated. */
export function readChoice(value) {
  if (value === "true") return true;
  if (value === "false") return false;
  return undefined;
}

export function checkPregnancy(pregnant, sex, age, path, problems) {
  if (pregnant !== true) return;
  if (sex === "male") problems.add(path, "pregnant is set but sex is male");
  else if (age !== undefined && age < 10)
    problems.add(path, "pregnant is set but age is under 10 years");
}

/** A clinical note (already NFC and trimmed): at most `maxLength` characters, counted as code
 *  points, and no control characters (line breaks and tabs are fine). */
export function checkNote(text, count, path, maxLength, problems) {
  if (count > maxLength) {
    const format = new Intl.NumberFormat("en-GB");
    problems.add(
      path,
      `must be at most ${format.format(maxLength)} characters (it has ${format.format(count)})`,
    );
  } else if (CONTROL.test(text)) {
    problems.add(path, "must not contain control characters");
  } else {
    return text;
  }
  return undefined;
}
