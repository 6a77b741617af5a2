// The signed-in user's past sessions (a reviewer sees everyone's), newest first, from
// /api/sessions/. Each entry is a link to the session's own address, so it can also be opened
// in a new tab; a click opens it in place by replaying its stored events.

import { api } from "./api.js";
import { $, clear, h } from "./dom.js";
import { URGENCY, dateTime, humanize, patientLabel } from "./format.js";

export class HistoryList {
  constructor(nav, { me, onOpen }) {
    this.list = $('[data-testid="session-history"]', nav);
    this.status = $('[data-role="history-status"]', nav);
    this.me = me;
    this.onOpen = onOpen;
    this.activeId = null;
    this.timer = null;
    this.sessions = [];
    this.search = $("#history-patient", nav);
    $('[data-action="refresh-history"]', nav).addEventListener("click", () => this.load());
    $('[data-role="history-search"]', nav).addEventListener("submit", (event) => {
      event.preventDefault();
      this.load();
    });
    this.search.addEventListener("search", () => this.load());
  }

  /** Reload soon, once, however many streams start or finish meanwhile. */
  refreshSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.load(), 150);
  }

  async load() {
    try {
      const patient = this.search.value.trim();
      const page = await api.sessions(50, patient);
      this.sessions = page.results || [];
      const none = patient ? `No sessions for ${patient}.` : "No sessions yet.";
      this.status.textContent = this.sessions.length ? "" : none;
      this.render();
    } catch {
      this.status.textContent = "History could not be loaded; it will be tried again.";
    }
  }

  find(id) {
    return this.sessions.find((session) => session.id === id);
  }

  setActive(id) {
    this.activeId = id;
    for (const link of this.list.querySelectorAll("a")) {
      if (link.dataset.sessionId === id) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }

  render() {
    clear(this.list).append(
      ...this.cases().map((members) =>
        h(
          "li",
          { class: members.length > 1 ? "history-case" : "", testid: "history-case" },
          members.map((session) => this.item(session)),
        ),
      ),
    );
    this.setActive(this.activeId);
  }

  /** Sessions grouped as cases: a diagnosis, then the sessions that follow it (a prescription),
   *  oldest follower first; the newest case on top. */
  cases() {
    const listed = new Set(this.sessions.map((session) => session.id));
    const followers = new Map();
    for (const session of this.sessions) {
      if (!session.follows || !listed.has(session.follows)) continue;
      if (!followers.has(session.follows)) followers.set(session.follows, []);
      followers.get(session.follows).unshift(session);
    }
    return this.sessions
      .filter((session) => !session.follows || !listed.has(session.follows))
      .map((session) => [session, ...(followers.get(session.id) || [])]);
  }

  item(session) {
    const title =
      session.primary_diagnosis ||
      (session.status === "running" ? "In progress…" : humanize(session.status));
    const urgency = URGENCY[session.urgency];
    return h(
      "a",
      {
        href: `/sessions/${session.id}/`,
        class: `history-item kind-${session.kind}${session.follows ? " follows" : ""}`,
        testid: "session-history-item",
        dataset: { sessionId: session.id, kind: session.kind, status: session.status },
        on: {
          click: (event) => {
            if (event.metaKey || event.ctrlKey || event.shiftKey) return;
            event.preventDefault();
            this.onOpen(session.id);
          },
        },
      },
      h("span", {
        class: "history-kind",
        text: session.kind === "prescription" ? "Prescription" : "Diagnosis",
      }),
      h("span", {
        class: "history-patient",
        testid: "history-patient",
        text: patientLabel(session.patient),
      }),
      h("span", { class: "history-title", text: title }),
      h(
        "span",
        { class: "history-meta" },
        h("time", { dateTime: session.created_at, text: dateTime(session.created_at) }),
        urgency
          ? h("span", { class: `tag urgency-tag urgency-${session.urgency}`, text: urgency.label })
          : null,
        session.status !== "completed"
          ? h("span", { class: "tag", text: humanize(session.status) })
          : null,
        session.owner !== this.me.username
          ? h("span", { class: "history-owner", text: session.owner })
          : null,
      ),
    );
  }
}
