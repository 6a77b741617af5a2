// One session on screen: its header (who, when, the request), the progress bar, the results of
// its kind, the care-team chat and the engine's disclaimer. Frames arrive here already in seq
// order and once each; this view only turns them into DOM.

import { ChatPanel } from "./chat.js";
import { DiagnosisResults } from "./diagnosis-view.js";
import { clear, h } from "./dom.js";
import { dateTime, humanize, patientLabel, patientLine } from "./format.js";
import { PrescriptionResults } from "./prescription-view.js";
import { ProgressBar } from "./progress.js";

const STATUS = {
  running: "Running",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
  pending: "Pending",
  not_found: "Not found",
};
const FAILURES = {
  cancelled: { status: "cancelled", progress: "Cancelled", title: "Cancelled." },
  not_found: { status: "not_found", progress: "Not available", title: "Not found." },
  stream_failed: {
    status: "failed",
    progress: "Stopped: the stream failed",
    title: "This stream failed.",
  },
};

const BREATHING = { true: " on oxygen", false: " on air" };

function vitalsLine(vitals = {}) {
  const breathing = BREATHING[vitals.supplemental_oxygen] || "";
  const parts = [
    vitals.temperature !== undefined && `T ${vitals.temperature} °C`,
    vitals.heart_rate !== undefined && `HR ${vitals.heart_rate}/min`,
    vitals.blood_pressure && `BP ${vitals.blood_pressure} mmHg`,
    vitals.respiratory_rate !== undefined && `RR ${vitals.respiratory_rate}/min`,
    vitals.oxygen_saturation !== undefined && `SpO₂ ${vitals.oxygen_saturation}%${breathing}`,
    vitals.consciousness && humanize(vitals.consciousness),
  ];
  return parts.filter(Boolean).join(" · ");
}

function symptomText(symptom) {
  if (typeof symptom === "string") return symptom;
  const status = { absent: "absent", unknown: "set aside" }[symptom.status];
  const extra = [status, symptom.severity, symptom.duration].filter(Boolean).join(", ");
  return extra ? `${symptom.name} (${extra})` : symptom.name;
}

function summaryRow(term, text) {
  return text ? [h("dt", { text: term }), h("dd", { text })] : [];
}

const NOTE_PREVIEW_CHARS = 90;

function notePreview(note) {
  if (typeof note !== "string" || !note) return "";
  const chars = Array.from(note.replace(/\s+/g, " "));
  const text =
    chars.length > NOTE_PREVIEW_CHARS
      ? `${chars.slice(0, NOTE_PREVIEW_CHARS).join("")}…`
      : chars.join("");
  return `“${text}” (marked up below)`;
}

function diagnosisSummary(request) {
  const history = request.history || {};
  return [
    ...summaryRow("Note", notePreview(request.note)),
    ...summaryRow("Symptoms", (request.symptoms || []).map(symptomText).join(", ")),
    ...summaryRow("Vital signs", vitalsLine(request.vitals)),
    ...summaryRow(
      "Allergies",
      (history.allergies || []).join(", ") ||
        (request.note ? "None in the form: what the note says is read below" : "None recorded"),
    ),
    ...summaryRow("Conditions", (history.conditions || []).join(", ")),
    ...summaryRow("Medications", (history.medications || []).join(", ")),
  ];
}

function prescriptionSummary(request) {
  const info = request.patient_info || {};
  const body = [
    info.weight !== undefined && `${info.weight} kg`,
    info.egfr !== undefined && `eGFR ${info.egfr}`,
  ];
  return [
    ...summaryRow(
      "Patient",
      [patientLine(info.age, info.sex), ...body].filter(Boolean).join(" · "),
    ),
    ...summaryRow("Allergies", (request.allergies || []).join(", ") || "None recorded"),
    ...summaryRow("Medications", (request.current_medications || []).join(", ")),
  ];
}

export class SessionView {
  constructor(record, { me, onPrescribe, onRerun, sendChat, onOpenSession }) {
    this.record = record;
    this.onPrescribe = onPrescribe;
    this.onRerun = onRerun;
    this.onOpenSession = onOpenSession;
    this.results = null;
    this.progress = new ProgressBar();
    this.chat = new ChatPanel(record.id, { me, send: (text) => sendChat(record.id, text) });
    this.title = h("h1", { id: "session-heading", tabIndex: -1, text: "Session" });
    this.eyebrow = h("p", { class: "eyebrow", text: "Loading…" });
    this.status = h("span", {
      class: "status status-running",
      testid: "session-status",
      dataset: { status: "running" },
      text: "Running",
    });
    this.meta = h("p", { class: "meta muted" });
    this.patientBanner = h("p", {
      class: "patient-banner",
      testid: "patient-banner",
      text: "Patient loading…",
    });
    this.summary = h("dl", { class: "request-summary", testid: "request-summary" });
    this.failure = h("div", { class: "failure-slot" });
    this.main = h("div", { class: "col-main" });
    this.side = h("aside", {
      class: "col-side",
      attrs: { "aria-label": "Scores, checks and chat" },
    });
    this.disclaimer = h("p", {
      class: "result-disclaimer",
      testid: "result-disclaimer",
      hidden: true,
    });
    this.node = h(
      "article",
      { class: "session", dataset: { sessionId: record.id } },
      h(
        "header",
        { class: "session-head" },
        h(
          "div",
          { class: "session-title" },
          this.patientBanner,
          this.eyebrow,
          h("div", { class: "title-row" }, this.title, this.status),
          this.meta,
        ),
        this.summary,
      ),
      this.progress.node,
      this.failure,
      h("div", { class: "session-grid" }, this.main, this.side),
      this.disclaimer,
    );
    this.side.append(this.chat.node);
  }

  /** "Diagnosis: Community-acquired pneumonia · medstream", for the tab and history. */
  get documentTitle() {
    const prescription = this.record.kind === "prescription";
    const subject = prescription ? this.title.textContent : this.record.result?.primary_diagnosis;
    const kind = prescription ? "Prescription" : "Diagnosis";
    return `${subject && subject !== kind ? `${kind}: ${subject}` : kind} · medstream`;
  }

  setKind(kind) {
    if (this.results || !kind) return;
    this.node.dataset.kind = kind;
    this.results =
      kind === "prescription"
        ? new PrescriptionResults()
        : new DiagnosisResults({
            onPrescribe: (target) => this.onPrescribe(this.record, target),
            onRerun: (data, handlers) => this.onRerun(this.record, data, handlers),
          });
    this.main.append(...this.results.main);
    this.side.prepend(...this.results.side);
    this.eyebrow.textContent =
      kind === "prescription" ? "Prescription · decision support" : "Diagnosis · decision support";
    if (this.title.textContent === "Session")
      this.title.textContent = kind === "prescription" ? "Prescription" : "Differential diagnosis";
  }

  apply(frame) {
    if (frame.type === "accepted") {
      this.setKind(frame.kind);
      this.progress.update("accepted", 0, "Started");
      return;
    }
    this.setKind(this.record.kind);
    if (frame.type === "progress") this.progress.update(frame.stage, frame.progress, frame.message);
    this.results?.apply(frame);
    if (frame.type === "complete") this.completed(frame.result || {});
    if (frame.type === "error") this.failed(frame);
  }

  completed(result) {
    this.setStatus("completed");
    if (result.disclaimer) {
      clear(this.disclaimer).append(h("strong", { text: "Decision support. " }), result.disclaimer);
      this.disclaimer.hidden = false;
    }
    if (this.record.kind === "prescription" && result.diagnosis)
      this.title.textContent = result.diagnosis;
  }

  /** The banner that says who this is about, above everything else the session shows. */
  showPatient(patientRef) {
    this.patientBanner.textContent = patientLabel(patientRef);
    this.patientBanner.dataset.anonymous = String(!patientRef || Boolean(patientRef.anonymous));
  }

  failed(frame) {
    const outcome = FAILURES[frame.code] || FAILURES.stream_failed;
    this.setStatus(outcome.status);
    this.progress.fail(outcome.progress);
    clear(this.failure).append(
      h(
        "div",
        { class: "notice notice-error", testid: "stream-error", attrs: { role: "alert" } },
        h("strong", { text: `${outcome.title} ` }),
        frame.error || "",
      ),
    );
  }

  setStatus(status) {
    this.status.dataset.status = status;
    this.status.className = `status status-${status}`;
    this.status.textContent = STATUS[status] || humanize(status);
  }

  /** The session's stored details (owner, time, request), from the API or the page itself. */
  describe({ request, patientRef, owner, createdAt, follows, correctedFrom, kind, status, isMine }) {
    this.setKind(kind);
    this.showPatient(patientRef);
    if (status && !this.record.finished) this.setStatus(status);
    const patient =
      kind === "prescription" ? "" : patientLine(request?.history?.age, request?.history?.sex);
    clear(this.meta).append(
      [patient, isMine ? null : `by ${owner}`, createdAt ? `started ${dateTime(createdAt)}` : null]
        .filter(Boolean)
        .join(" · "),
    );
    if (follows) {
      const link = h("a", {
        href: `/sessions/${follows}/`,
        text: "the diagnosis it follows",
        on: {
          click: (event) => {
            event.preventDefault();
            this.onOpenSession(follows);
          },
        },
      });
      this.meta.append(" · ", h("span", {}, "Open ", link));
    }
    if (correctedFrom) {
      const link = h("a", {
        href: `/sessions/${correctedFrom}/`,
        text: "the session it corrects",
        on: {
          click: (event) => {
            event.preventDefault();
            this.onOpenSession(correctedFrom);
          },
        },
      });
      this.meta.append(" · ", h("span", {}, "Re-run with corrections of ", link));
    }
    if (kind !== "prescription") this.results?.describeRequest(request, isMine);
    if (kind === "prescription" && request?.diagnosis) this.title.textContent = request.diagnosis;
    if (request)
      clear(this.summary).append(
        ...(kind === "prescription" ? prescriptionSummary(request) : diagnosisSummary(request)),
      );
  }
}
