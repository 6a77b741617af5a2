// A diagnosis session's clinical note: the note with what the engine read marked in it, the
// findings read (present, denied, uncertain) and everything else read (vital signs, labs, age,
// sex, medications, allergies), or that nothing could be read. The session's own clinician can
// correct the findings (mark present or absent, remove, add a missing one) and re-run the
// diagnosis with the corrections as structured symptoms, the note kept. The same view, as a
// preview (`preview: true`), shows the form's note read before any stream ("Read note"): there
// the corrections go with the diagnosis the form starts, so it has no re-run button.

import { Combobox } from "./combobox.js";
import { clear, h } from "./dom.js";
import { Corrections, symptomLabel } from "./note-corrections.js";
import { MARKS, highlightedNote, legend, spansMatch, spansOf } from "./note-highlight.js";
import { readingsList } from "./note-readings.js";
import { suggestions } from "./suggestions.js";

const READ_AS = {
  present: "Present",
  absent: "Absent",
  possible: "Uncertain",
  added: "Added by you",
};
const NOW = {
  present: "now present",
  absent: "now absent",
  possible: "back to uncertain",
  removed: "removed",
};
let viewCounter = 0;

function button(text, testid, label, onClick, className = "button small") {
  return h("button", {
    type: "button",
    class: className,
    text,
    testid,
    attrs: { "aria-label": label },
    on: { click: onClick },
  });
}

/** What starting the diagnosis will send, for a note read before the stream. */
function previewSummary(changed, names) {
  if (!changed)
    return "Correct a finding above and the diagnosis starts with your corrections, as structured symptoms that win over the note.";
  if (!names.length)
    return "Starting the diagnosis sends the note as written, with no structured symptoms from these corrections.";
  return `Starting the diagnosis sends the note as written and, as structured symptoms that win over it: ${names.join("; ")}.`;
}

export class NoteView {
  constructor({ onRerun = null, preview = false }) {
    viewCounter += 1;
    this.uid = `note-${viewCounter}`;
    this.onRerun = onRerun;
    this.preview = preview;
    this.note = null;
    this.request = null;
    this.extracted = null;
    this.recognised = [];
    this.editable = false;
    this.finished = false;
    this.corrections = new Corrections();
    this.status = h("div", { class: "note-status", attrs: { role: "status" } });
    this.body = h("div", { class: "note-body" });
    this.node = h(
      "section",
      {
        class: preview ? "card note-view note-view-preview" : "card note-view",
        testid: preview ? undefined : "note-view",
        hidden: true,
        attrs: { "aria-labelledby": `${this.uid}-heading` },
      },
      h(
        "header",
        { class: "card-head" },
        h("h2", {
          id: `${this.uid}-heading`,
          text: preview ? "The note as read, before the diagnosis" : "Clinical note",
        }),
        h("span", {
          class: "tag",
          text: preview ? "Correct it before you start" : "As read by the engine",
        }),
      ),
      this.status,
      this.body,
    );
  }

  /** The session's request (its note) and whether this user may correct and re-run it. */
  setRequest(request, editable) {
    const note = typeof request?.note === "string" ? request.note : "";
    if (!note || (note === this.note && Boolean(editable) === this.editable)) return;
    this.request = request;
    this.editable = Boolean(editable);
    this.note = note;
    this.node.hidden = false;
    this.render();
  }

  setExtracted(extracted, recognised) {
    if (!extracted || this.extracted) return;
    this.extracted = extracted;
    this.recognised = recognised || [];
    this.node.hidden = this.note === null;
    this.render();
  }

  /** The stream ended (completed or failed): a re-run may start now. */
  finish() {
    this.finished = true;
    this.updateRerun();
  }

  /** Forget the note, its reading and the corrections (a preview read again, or cleared). */
  reset() {
    this.note = null;
    this.request = null;
    this.extracted = null;
    this.recognised = [];
    this.editable = false;
    this.finished = false;
    this.busy = false;
    this.corrections = new Corrections();
    this.summary = this.rerunButton = this.rerunError = this.addInput = null;
    clear(this.status);
    clear(this.body);
    this.node.hidden = true;
  }

  render() {
    if (this.note === null) return;
    if (!this.extracted) {
      clear(this.status).append(h("p", { class: "muted placeholder", text: "Reading the note…" }));
      clear(this.body).append(h("p", { class: "note-text plain", text: this.note }));
      return;
    }
    this.corrections.load(this.extracted, this.recognised, this.request);
    clear(this.status);
    const nothing = Boolean(this.extracted.nothing_extracted);
    const aligned = spansMatch(this.note, this.extracted);
    if (nothing) {
      this.status.append(
        h(
          "div",
          { class: "notice notice-warn", testid: "nothing-extracted" },
          h("strong", { text: "Nothing could be extracted. " }),
          this.extracted.message || "No finding, measurement or history was recognised.",
          this.editable ? ` Add the findings yourself below${this.preview ? "" : " and re-run"}.` : "",
        ),
      );
    } else if (!aligned) {
      this.status.append(
        h("p", {
          class: "notice",
          text: "The note shown differs from the text the engine read, so nothing is marked in it.",
        }),
      );
    }
    const text =
      nothing || !aligned
        ? h("p", { class: "note-text", testid: "note-highlight", text: this.note })
        : highlightedNote(this.note, this.extracted);
    this.findingList = h("ul", {
      class: "extracted-findings",
      testid: "extracted-findings",
      attrs: { "aria-label": "Findings read from the note" },
    });
    this.renderFindings();
    const readings = readingsList(this.extracted, this.request);
    clear(this.body).append(
      // Focusable, so a long note can be scrolled from the keyboard.
      h(
        "div",
        { class: "note-frame", tabIndex: 0, attrs: { role: "region", "aria-label": "The note" } },
        text,
      ),
      nothing ? null : legend(new Set(spansOf(this.extracted).map((span) => span.certainty))),
      h(
        "div",
        { class: "note-columns" },
        h(
          "section",
          { class: "note-findings", attrs: { "aria-labelledby": `${this.uid}-findings` } },
          h("h3", { id: `${this.uid}-findings`, text: "Findings" }),
          this.findingList,
          this.editable ? this.addControl() : null,
        ),
        readings
          ? h(
              "section",
              { class: "note-readings", attrs: { "aria-labelledby": `${this.uid}-read` } },
              h("h3", { id: `${this.uid}-read`, text: "Also read from the note" }),
              readings,
            )
          : null,
      ),
      this.editable ? this.rerunControl() : null,
    );
    this.updateRerun();
  }

  // ---- findings and their corrections -------------------------------------------------------

  renderFindings() {
    const rows = this.corrections.items.map((item) => this.findingRow(item));
    clear(this.findingList).append(
      ...(rows.length
        ? rows
        : [h("li", { class: "muted empty-findings", text: "No finding was read from the note." })]),
    );
  }

  findingRow(item) {
    const changed = item.read === "added" || item.state !== item.initial;
    const badge = item.read === "added" ? "added" : item.read;
    const row = h(
      "li",
      {
        class: `extracted-finding state-${item.state}${changed ? " is-corrected" : ""}`,
        testid: "extracted-finding",
        dataset: { finding: item.id || "", certainty: item.read, key: item.key },
      },
      h(
        "div",
        { class: "finding-line" },
        h(
          "span",
          { class: `certainty-badge badge-${badge}` },
          READ_AS[badge] || badge,
          MARKS[badge]?.glyph
            ? h("span", { text: ` ${MARKS[badge].glyph}`, attrs: { "aria-hidden": "true" } })
            : null,
        ),
        " ",
        h("strong", { class: "finding-label", text: item.label }),
        item.texts.length
          ? [" ", h("q", { class: "read-from", text: item.texts.join(", ") })]
          : null,
        changed && item.read !== "added"
          ? [" ", h("span", { class: "tag tag-corrected", text: `corrected: ${NOW[item.state]}` })]
          : null,
      ),
      this.editable ? this.findingActions(item, changed) : null,
      item.form
        ? h("p", {
            class: "hint",
            text: `The form's symptom “${item.form.name}” decided this finding, not the note.`,
          })
        : null,
      this.corrections.setAside(item)
        ? h("p", {
            class: "hint finding-caveat",
            text: "Set aside: the engine will count it neither present nor absent, whatever the note says.",
          })
        : null,
    );
    if (changed) row.dataset.correction = item.read === "added" ? "added" : item.state;
    return row;
  }

  findingActions(item, changed) {
    const name = item.label;
    const act = (fn) => () => this.change(item.key, fn);
    const actions = [];
    for (const state of ["present", "absent"]) {
      if (item.state === state || item.state === "removed") continue;
      const mark = () => this.corrections.set(item.key, state);
      actions.push(
        button(`Mark ${state}`, `finding-mark-${state}`, `Mark ${name} ${state}`, act(mark)),
      );
    }
    if (item.read === "added" || item.state !== "removed") {
      // An added finding is taken away; one the note read is removed (set aside).
      const remove =
        item.read === "added"
          ? () => this.corrections.undo(item.key)
          : () => this.corrections.set(item.key, "removed");
      actions.push(
        button("Remove", "finding-remove", `Remove ${name}`, act(remove), "button small quiet"),
      );
    }
    if (changed && item.read !== "added")
      actions.push(
        button(
          "Undo",
          "finding-undo",
          `Undo the correction of ${name}`,
          act(() => this.corrections.undo(item.key)),
          "button small quiet",
        ),
      );
    return h("div", { class: "finding-actions" }, actions);
  }

  /** Apply a correction, redraw, and keep focus on the same finding (its Undo, so a slip is
   *  one key away from being taken back), or on the add box when the finding is gone. */
  change(key, apply) {
    apply();
    this.renderFindings();
    this.updateRerun();
    const row = this.findingList.querySelector(`[data-key="${CSS.escape(key)}"]`);
    const undo = row?.querySelector('[data-testid="finding-undo"]');
    (undo || row?.querySelector("button") || this.addInput || this.findingList).focus();
  }

  addControl() {
    const inputId = `${this.uid}-add`;
    this.addInput = h("input", {
      type: "text",
      id: inputId,
      testid: "add-finding-input",
      attrs: {
        role: "combobox",
        "aria-autocomplete": "list",
        "aria-expanded": "false",
        "aria-controls": `${inputId}-options`,
        "aria-describedby": `${inputId}-hint`,
        maxlength: 200,
      },
    });
    const options = h("ul", {
      class: "combo-list",
      id: `${inputId}-options`,
      attrs: { role: "listbox", "aria-label": "Suggested findings" },
      hidden: true,
    });
    const add = (label) => {
      const key = this.corrections.add(label);
      if (key) this.change(key, () => {});
    };
    new Combobox(this.addInput, options, {
      search: suggestions.findings,
      onPick: (choice) => add(choice.value),
    });
    return h(
      "div",
      { class: "field add-finding" },
      h("label", { htmlFor: inputId, text: "Add a finding the note has but was not read" }),
      h(
        "div",
        { class: "combo-row" },
        h("div", { class: "combo" }, this.addInput, options),
        button("Add", "add-finding", "Add this finding", () => {
          const text = this.addInput.value.trim();
          this.addInput.value = "";
          add(text);
        }),
      ),
      h("p", {
        class: "hint",
        id: `${inputId}-hint`,
        text: "From the knowledge base as you type; added as present, which you can change.",
      }),
    );
  }

  // ---- re-run -------------------------------------------------------------------------------

  rerunControl() {
    this.summary = h("p", {
      class: "rerun-summary",
      testid: "corrections-summary",
      id: `${this.uid}-summary`,
      attrs: { "aria-live": "polite" },
    });
    if (this.preview) return h("div", { class: "note-rerun" }, this.summary);
    this.rerunButton = h("button", {
      type: "button",
      class: "button primary",
      testid: "rerun-with-corrections",
      text: "Re-run with corrections",
      attrs: { "aria-describedby": `${this.uid}-summary` },
      on: { click: () => this.rerun() },
    });
    this.rerunError = h("p", { class: "field-error", attrs: { role: "alert" }, hidden: true });
    return h(
      "div",
      { class: "note-rerun" },
      this.summary,
      h("div", { class: "rerun-actions" }, this.rerunButton),
      this.rerunError,
    );
  }

  updateRerun() {
    if (!this.summary) return;
    const changed = this.corrections.changed;
    const symptoms = this.corrections.symptoms();
    const names = symptoms.map(symptomLabel);
    if (this.preview) {
      this.summary.textContent = previewSummary(changed, names);
      return;
    }
    let text;
    if (!changed) text = "Correct a finding above to re-run the diagnosis with your corrections.";
    else if (!names.length) text = "The re-run sends the note alone, with no structured symptoms.";
    else
      text = `The re-run sends the note as written and, as structured symptoms that win over it: ${names.join("; ")}.`;
    if (changed && !this.finished) text += " It can start once this stream has finished.";
    this.summary.textContent = text;
    this.rerunButton.disabled = !changed || !this.finished || this.busy;
  }

  rerun() {
    this.rerunError.hidden = true;
    this.onRerun(this.corrections.rerunRequest(), {
      busy: (flag) => {
        this.busy = flag;
        this.rerunButton.textContent = flag ? "Starting…" : "Re-run with corrections";
        this.updateRerun();
      },
      fail: (frame) => {
        const details = Object.entries(frame.details || {}).map(
          ([path, messages]) => `${path}: ${[].concat(messages).join("; ")}`,
        );
        clear(this.rerunError).append(
          [frame.error || "The re-run was not accepted.", ...details].join(" · "),
        );
        this.rerunError.hidden = false;
      },
      label: "Re-run with corrections",
    });
  }
}
