// "Read note": the form's note read by the server before any stream (POST /api/notes/read/,
// which stores nothing), shown with the same marks, findings and corrections as a session's
// note (NoteView, as a preview). The clinician corrects the reading first; starting the
// diagnosis then sends the note with the corrected findings as structured symptoms, exactly as
// a re-run does. Age and sex the note gives fill the form's age and sex only while those are
// empty: what the clinician typed is never overwritten.

import { ApiError, api } from "./api.js";
import { $, clear } from "./dom.js";
import { clearErrors, showErrors } from "./form-errors.js";
import { patientLine } from "./format.js";
import { NoteView } from "./note-view.js";
import { Problems, checkNote, readNumber } from "./validation.js";

const SEXES = ["female", "male"];

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/** "2 findings (1 present, 1 denied)", or that none was read, for the announcement. */
function findingsLine(extracted) {
  const counts = [
    [(extracted.findings || []).length, "present"],
    [(extracted.negated || []).filter((item) => item.kind === "finding").length, "denied"],
    [(extracted.uncertain || []).filter((item) => item.kind === "finding").length, "uncertain"],
  ].filter(([count]) => count > 0);
  const total = counts.reduce((sum, [count]) => sum + count, 0);
  if (!total) return "no finding was read from it";
  return `${plural(total, "finding")} (${counts.map(([n, word]) => `${n} ${word}`).join(", ")})`;
}

export class NotePreview {
  /** `form` is the DiagnosisForm: its note field, bounds, fields and error display. */
  constructor(form) {
    this.form = form;
    this.root = form.form;
    this.button = $('[data-action="read-note"]', this.root);
    this.status = $('[data-role="note-read-status"]', this.root);
    this.error = $('[data-role="note-read-error"]', this.root);
    this.section = $('[data-testid="note-preview"]', this.root);
    this.view = new NoteView({ preview: true });
    this.section.append(this.view.node);
    this.readText = null;
    this.stale = false;
    this.ticket = 0;
    this.abort = null;
    this.button.addEventListener("click", () => this.read());
    form.note.textarea.addEventListener("input", () => this.noteChanged());
  }

  /** The note the reading belongs to differs from the one in the box now. */
  get outdated() {
    return this.readText !== null && this.form.note.value !== this.readText;
  }

  async read() {
    clearErrors(this.root);
    this.error.hidden = true;
    const text = this.form.note.value;
    const problems = new Problems();
    if (!text) problems.add("note", "write a note to read");
    else checkNote(text, this.form.note.count, "note", this.form.bounds.note.maxLength, problems);
    if (!problems.empty) {
      showErrors(this.root, problems.details, (path) => this.form.labelOf(path));
      return;
    }
    this.ticket += 1;
    const ticket = this.ticket;
    this.abort?.abort();
    this.abort = new AbortController();
    this.busy(true);
    this.status.textContent = "Reading the note…";
    try {
      const body = await api.readNote(text, this.abort.signal);
      if (ticket === this.ticket) this.show(text, body.extracted);
    } catch (error) {
      if (ticket === this.ticket && error.name !== "AbortError") this.failed(error);
    } finally {
      if (ticket === this.ticket) this.busy(false);
    }
  }

  busy(flag) {
    this.button.disabled = flag;
    this.button.textContent = flag ? "Reading…" : "Read note";
    this.section.setAttribute("aria-busy", String(flag));
  }

  show(text, extracted) {
    const filled = this.prefill(extracted.history || {});
    this.readText = text;
    this.stale = false;
    this.view.reset();
    this.view.setRequest({ note: text, history: this.patient() }, true);
    this.view.setExtracted(extracted, []);
    this.section.hidden = false;
    this.section.classList.remove("is-stale");
    const said = extracted.nothing_extracted
      ? `Nothing could be read from the note. ${extracted.message || ""}`.trim()
      : `The note was read: ${findingsLine(extracted)}. Check the marks below and correct any finding before you start.`;
    this.status.textContent = filled.length
      ? `${said} Filled in from the note: ${filled.join(" and ")}.`
      : said;
  }

  /** Age and sex from the note, into the form's fields only where those are empty. */
  prefill(history) {
    const filled = [];
    const age = this.form.field("history.age");
    const bounds = this.form.bounds.history.age;
    const years = history.age?.value;
    if (
      age.value.trim() === "" &&
      typeof years === "number" &&
      years >= bounds.min &&
      years <= bounds.max
    ) {
      age.value = String(years);
      filled.push(`age ${patientLine(years)}`);
    }
    const sex = this.form.field("history.sex");
    const read = history.sex?.value;
    if (!sex.value && SEXES.includes(read)) {
      sex.value = read;
      filled.push(`sex ${read}`);
    }
    return filled;
  }

  /** The form's age and sex now, for the readings' "checked against the form". */
  patient() {
    const age = readNumber(
      this.form.field("history.age").value,
      "history.age",
      this.form.bounds.history.age,
      "years",
      new Problems(),
    );
    const sex = this.form.field("history.sex").value || undefined;
    return { age, sex };
  }

  failed(error) {
    const body = error instanceof ApiError ? error.body : null;
    if (error.status === 400 && body?.details) {
      this.status.textContent = "";
      showErrors(this.root, body.details, (path) => this.form.labelOf(path));
      return;
    }
    let text;
    if (error.status === 429) {
      const wait = Math.max(1, Math.ceil(Number(body?.retry_after) || 1));
      text = `Too many notes read just now: try again in ${wait} s.`;
    } else if (body?.error) {
      text = `The note could not be read: ${body.error}`;
    } else {
      text = "The note could not be read (no answer from the server). Try again.";
    }
    this.status.textContent = "";
    clear(this.error).append(`${text} You can also start the diagnosis without reading it first.`);
    this.error.hidden = false;
  }

  /** The note was edited after it was read: say so once, and dim the reading. */
  noteChanged() {
    const stale = this.outdated;
    if (stale === this.stale) return;
    this.stale = stale;
    this.section.classList.toggle("is-stale", stale);
    this.status.textContent = stale
      ? "The note has changed since it was read: read it again to see what this text gives."
      : "The note is as it was read again.";
  }

  /**
   * The diagnosis request with the reading's corrections: the form's data with the corrected
   * findings as structured symptoms after the form's own (as a re-run sends them). Nothing
   * changes when the note was not read or nothing was corrected. Corrections made on a note
   * that has since changed are not guessed onto the new text: that is a problem beside the note.
   */
  applyTo(data, problems) {
    if (this.readText === null || !this.view.corrections.changed) return data;
    if (this.outdated) {
      problems.add(
        "note",
        "the note changed after you corrected its reading: read it again (your corrections were made on the old text)",
      );
      return data;
    }
    return this.view.corrections.rerunRequest(data);
  }

  /** Forget the reading (the form was cleared, or a stream started from it). */
  reset() {
    this.ticket += 1;
    this.abort?.abort();
    this.abort = null;
    this.busy(false);
    this.readText = null;
    this.stale = false;
    this.view.reset();
    this.section.hidden = true;
    this.section.classList.remove("is-stale");
    this.status.textContent = "";
    clear(this.error);
    this.error.hidden = true;
  }
}
