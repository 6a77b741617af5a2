// The portal's controller: routes frames from the socket to each session's record and view,
// starts streams from the forms, resumes every known session after a reconnect, and keeps the
// address bar, the history list and the connection indicator in step.

import { api, whenSignedOut } from "./api.js";
import { Connection } from "./connection.js";
import { DiagnosisForm } from "./diagnosis-form.js";
import { $ } from "./dom.js";
import { showFormMessage } from "./form-errors.js";
import { kindOfStage } from "./format.js";
import { ageFrom } from "./patient-field.js";
import { HistoryList } from "./history.js";
import { PrescriptionDialog } from "./prescription-form.js";
import { noteAllergies, noteMedications, withNoteReadings } from "./prescription-prefill.js";
import { SessionView } from "./session-view.js";
import { StreamBook } from "./streams.js";

const ANSWER_TIMEOUT_MS = 15000;
const GAP_RETRIES = 3;
const RECOVER_LOOKBACK = 5;
const SESSION_PATH = /^\/sessions\/([0-9a-f-]{36})\/?$/;
const CONNECTION_TEXT = {
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  "signed-out": "Signed out",
  refused: "Connection refused",
};

// A start is refused, not queued, while the page has no working socket: a clinical request sent
// by itself minutes later, when the network returns, could start a diagnosis the clinician no
// longer expects (another patient may be on screen by then). The page says so at once, beside
// the button it was started from, and the button stays usable.
function notSent(button) {
  return (
    "Not connected to the server: your request was not sent, and it will not be sent " +
    `automatically. Nothing you entered is lost. Press “${button}” again once the top bar ` +
    "says Connected."
  );
}

let requestCounter = 0;

function requestId(prefix) {
  requestCounter += 1;
  return `${prefix}-${Date.now().toString(36)}-${requestCounter}`;
}

export class PortalApp {
  constructor(config) {
    this.config = config;
    this.me = config.user;
    this.book = new StreamBook();
    this.views = new Map();
    this.pending = new Map();
    this.activeId = null;
    this.connection = new Connection(config.socketPath);
    this.newView = $('[data-view="new"]');
    this.sessionSection = $('[data-view="session"]');
    this.indicator = $('[data-testid="connection-state"]');
    this.startButton = $('[data-testid="start-diagnosis"]');
    this.startStatus = $('[data-testid="start-status"]');
    this.history = new HistoryList($(".sidebar"), {
      me: this.me,
      onOpen: (id) => this.navigate(`/sessions/${id}/`),
    });
    this.form = new DiagnosisForm($('[data-testid="diagnosis-form"]'), config.bounds, (data) =>
      this.submitDiagnosis(data),
    );
    this.dialog = new PrescriptionDialog(
      $('[data-testid="prescription-dialog"]'),
      config.bounds,
      (data) => this.submitPrescription(data),
    );
  }

  start() {
    whenSignedOut(() => this.signedOut());
    this.connection.addEventListener("state", (event) => this.showConnection(event.detail));
    this.connection.addEventListener("open", (event) => this.connected(event.detail.reconnected));
    this.connection.addEventListener("frame", (event) => this.receive(event.detail));
    this.connection.addEventListener("signed-out", () => this.signedOut());
    $('[data-testid="clear-form"]').addEventListener("click", () => this.showStartStatus(""));
    $('[data-testid="new-diagnosis"]').addEventListener("click", (event) => {
      event.preventDefault();
      this.navigate("/");
    });
    window.addEventListener("popstate", () => this.route());
    this.connection.start();
    this.history.load();
    this.route({ focus: false });
  }

  // ---- navigation ---------------------------------------------------------------------------

  navigate(path) {
    if (location.pathname !== path) history.pushState({}, "", path);
    this.route();
  }

  /** Show what the address names; moves focus to its heading unless the page just loaded. */
  route({ focus = true } = {}) {
    const match = SESSION_PATH.exec(location.pathname);
    if (match) this.openSession(match[1], focus);
    else this.showNew(focus);
  }

  showNew(focus) {
    this.activeId = null;
    this.history.setActive(null);
    this.sessionSection.hidden = true;
    this.newView.hidden = false;
    document.title = "New diagnosis · medstream";
    if (focus) $("#new-heading").focus();
  }

  openSession(id, focus = true) {
    const record = this.book.ensure(id);
    const view = this.viewFor(record);
    if (!record.detail && !record.request) this.loadDetail(record);
    if (!record.requested) {
      record.requested = true;
      this.follow(record);
    }
    this.activeId = id;
    this.history.setActive(id);
    this.newView.hidden = true;
    this.sessionSection.replaceChildren(view.node);
    this.sessionSection.hidden = false;
    if (!view.chat.loaded) view.chat.loadHistory();
    document.title = view.documentTitle;
    if (focus) view.title.focus({ preventScroll: true });
  }

  viewFor(record) {
    let view = this.views.get(record.id);
    if (!view) {
      view = new SessionView(record, {
        me: this.me,
        onPrescribe: (source, target) => this.openPrescription(source, target),
        onRerun: (source, data, handlers) => this.submitRerun(source, data, handlers),
        sendChat: (sessionId, text) => this.sendChat(sessionId, text),
        onOpenSession: (id) => this.navigate(`/sessions/${id}/`),
      });
      this.views.set(record.id, view);
    }
    return view;
  }

  async loadDetail(record) {
    try {
      record.detail = await api.session(record.id);
      this.describe(record, record.detail);
    } catch (error) {
      if (error.status === 404)
        this.viewFor(record).failed({
          code: "not_found",
          error: "No such session, or not one you may see.",
        });
    }
  }

  describe(record, detail) {
    record.kind ||= detail.kind;
    record.patientRef = detail.patient;
    this.viewFor(record).describe({
      request: detail.request,
      patientRef: detail.patient,
      owner: detail.owner,
      createdAt: detail.created_at,
      follows: detail.follows,
      correctedFrom: detail.corrected_from,
      kind: detail.kind,
      status: detail.status,
      isMine: detail.owner === this.me.username,
    });
  }

  // ---- the socket ---------------------------------------------------------------------------

  showConnection({ state, retryAt, browserOffline }) {
    clearInterval(this.countdown);
    const shown = state === "open" ? "connected" : state === "waiting" ? "offline" : state;
    this.indicator.dataset.state = shown;
    const text = $(".connection-text", this.indicator);
    const countdown = $(".connection-countdown", this.indicator);
    countdown.textContent = "";
    // The state is announced once (the same words are not set again); the countdown beside
    // it is for the eye only.
    const say = (words) => {
      if (text.textContent !== words) text.textContent = words;
    };
    if (shown !== "offline") {
      say(CONNECTION_TEXT[shown] || shown);
      return;
    }
    if (browserOffline) {
      // Tries go on now and then (the browser may be wrong); `online` brings one at once.
      say("Offline: no network · reconnecting when it returns");
      return;
    }
    say("Connection lost · retrying");
    const tick = () => {
      const seconds = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
      countdown.textContent = ` in ${seconds} s`;
    };
    tick();
    this.countdown = setInterval(tick, 1000);
  }

  /** (Re)connected: follow every session this page shows again, from the last seq it has. */
  connected(reconnected) {
    for (const record of this.book.all()) {
      if (record.requested || record.lastSeq >= 0) this.sendResume(record, record.resumeFrom);
    }
    if (reconnected) {
      this.history.refreshSoon();
      // Messages may have been missed while the socket was down: each chat reloads its history
      // when next shown, the open one now.
      for (const view of this.views.values()) view.chat.loaded = false;
      const active = this.activeId && this.views.get(this.activeId);
      if (active) active.chat.loadHistory();
      if (this.pending.size) this.recoverPending();
    }
  }

  /** A request sent just before a drop may have started a stream whose `accepted` went to the
   *  dead socket: find it by its request_id among the user's newest sessions and adopt it. */
  async recoverPending() {
    const page = await api.sessions(RECOVER_LOOKBACK).catch(() => null);
    for (const session of page?.results || []) {
      if (session.owner !== this.me.username || this.book.get(session.id)) continue;
      const detail = await api.session(session.id).catch(() => null);
      if (!detail || !this.pending.has(detail.request_id)) continue;
      const record = this.book.ensure(session.id);
      record.detail = detail;
      this.adopt(detail.request_id, record, detail.created_at);
      this.follow(record);
    }
  }

  follow(record) {
    if (this.connection.isOpen) this.sendResume(record, record.lastSeq);
    else this.fillFromStore(record);
  }

  sendResume(record, lastSeq) {
    this.connection.send({
      type: "resume",
      request_id: `resume-${record.id}`,
      data: { session_id: record.id, last_seq: lastSeq },
    });
  }

  receive(frame) {
    if (frame.type === "chat") {
      this.views.get(frame.session_id)?.chat.add(frame.message);
      return;
    }
    if (frame.type === "error" && !Number.isInteger(frame.seq)) {
      this.requestFailed(frame);
      return;
    }
    if (typeof frame.session_id === "string" && Number.isInteger(frame.seq)) this.offer(frame);
  }

  offer(frame) {
    const record = this.book.ensure(frame.session_id);
    if (frame.type === "accepted") this.accepted(frame, record);
    record.kind ||= frame.type === "accepted" ? frame.kind : kindOfStage(frame.stage);
    this.applyFrames(record, record.offer(frame));
    if (record.hasGap) this.fillGap(record);
  }

  applyFrames(record, frames) {
    if (!frames.length) return;
    const view = this.viewFor(record);
    for (const frame of frames) view.apply(frame);
    if (record.finished || frames[0].seq === 0) this.history.refreshSoon();
    if (record.id === this.activeId) document.title = view.documentTitle;
  }

  /** Frames the socket skipped (or that it cannot bring while offline), from the store. */
  async fillFromStore(record) {
    const page = await api.events(record.id, record.lastSeq).catch(() => null);
    for (const frame of page?.events || []) this.applyFrames(record, record.offer(frame));
    return page;
  }

  async fillGap(record, attempt = 0) {
    if (record.filling) return;
    record.filling = true;
    await this.fillFromStore(record);
    record.filling = false;
    if (record.hasGap && attempt < GAP_RETRIES)
      setTimeout(() => this.fillGap(record, attempt + 1), 1000);
  }

  // ---- starting streams ---------------------------------------------------------------------

  submitDiagnosis(data) {
    this.showStartStatus("");
    this.submit(
      "diagnosis",
      data,
      {
        busy: (flag) => {
          this.startButton.disabled = flag;
          this.startButton.textContent = flag ? "Starting…" : "Start diagnosis";
        },
        fail: (frame) =>
          frame.code === "not_connected"
            ? this.showStartStatus(frame.error)
            : this.formFailed(this.form, frame),
        label: "Start diagnosis",
      },
      { fromForm: true },
    );
  }

  /** A diagnosis re-run with the clinician's corrections to a note's reading. */
  submitRerun(source, data, handlers) {
    const patient = data.patient || source.patientRef;
    this.submit("diagnosis", patient ? { ...data, patient } : data, handlers, {
      correctedFrom: source.id,
    });
  }

  submitPrescription(data) {
    // Following one's own diagnosis, the server takes its patient; else the page sends it.
    const patient = !data.session_id && this.prescribingFor?.patientRef;
    if (patient) data = { ...data, patient };
    this.submit("prescription", data, {
      busy: (flag) => this.dialog.busy(flag),
      fail: (frame) => this.formFailed(this.dialog, frame),
      accepted: () => this.dialog.close(),
      label: "Check and prescribe",
    });
  }

  /** The line beside "Start diagnosis": why a start was not sent ("" to clear it). */
  showStartStatus(message) {
    this.startStatus.textContent = message;
    this.startStatus.hidden = !message;
  }

  formFailed(form, frame) {
    if (frame.code === "validation_error" && frame.details) form.showServerErrors(frame.details);
    else showFormMessage(form.form, frame.error || "The request was not accepted.");
  }

  submit(kind, data, handlers, origin = {}) {
    const id = requestId(kind);
    if (!this.connection.send({ type: kind, request_id: id, data })) {
      handlers.fail({ code: "not_connected", error: notSent(handlers.label || "Start") });
      return;
    }
    handlers.busy(true);
    const timer = setTimeout(
      () => this.settle(id)?.fail({ error: "No answer from the server. Try again." }),
      ANSWER_TIMEOUT_MS,
    );
    this.pending.set(id, { kind, data, handlers, timer, ...origin });
  }

  settle(id) {
    const entry = this.pending.get(id);
    if (!entry) return null;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    entry.handlers.busy(false);
    return entry.handlers;
  }

  accepted(frame, record) {
    if (this.pending.has(frame.request_id)) this.adopt(frame.request_id, record, frame.timestamp);
  }

  /** The stream a pending request started: show it, described by the request the page sent. */
  adopt(id, record, createdAt) {
    const entry = this.pending.get(id);
    this.settle(id).accepted?.();
    if (entry.fromForm) this.form.reset();
    record.request = entry.data;
    record.requested = true;
    this.describe(record, {
      request: entry.data,
      patient: entry.data.patient || this.book.get(entry.data.session_id)?.patientRef || null,
      owner: this.me.username,
      created_at: createdAt,
      follows: entry.data.session_id || null,
      corrected_from: entry.correctedFrom || null,
      kind: entry.kind,
      status: "running",
    });
    this.navigate(`/sessions/${record.id}/`);
  }

  requestFailed(frame) {
    const id = frame.request_id || "";
    const handlers = this.settle(id);
    if (handlers) {
      handlers.fail(frame);
      return;
    }
    if (id.startsWith("chat-")) {
      this.views.get(id.split(":")[1])?.chat.showError(frame.error);
    } else if (id.startsWith("resume-")) {
      const record = this.book.get(id.slice("resume-".length));
      if (record && frame.code === "not_found") this.viewFor(record).failed(frame);
    }
  }

  // ---- prescriptions and chat ---------------------------------------------------------------

  async openPrescription(record, target) {
    if (!record.request && !record.detail) await this.loadDetail(record);
    const request = record.request || record.detail?.request || {};
    const history = request.history || {};
    const extracted = (record.result || record.detail?.result)?.extracted || {};
    const isMine = record.request !== undefined || record.detail?.owner === this.me.username;
    this.prescribingFor = record;
    this.dialog.open(
      { ...target, followsId: isMine ? record.id : null },
      {
        age: history.age ?? (record.patientRef?.birth_date && ageFrom(record.patientRef.birth_date)),
        sex: history.sex,
        pregnant: history.pregnant,
        allergies: withNoteReadings(history.allergies, noteAllergies(extracted)),
        medications: withNoteReadings(history.medications, noteMedications(extracted)),
      },
    );
  }

  sendChat(sessionId, text) {
    return this.connection.send({
      type: "chat",
      request_id: `${requestId("chat")}:${sessionId}`,
      data: { message: text, session_id: sessionId },
    });
  }

  signedOut() {
    const next = encodeURIComponent(location.pathname);
    location.assign(`${this.config.loginUrl}?next=${next}`);
  }
}
