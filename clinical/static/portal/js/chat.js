// The care-team chat of one session: its stored history on open, then live `chat` frames.
// A message is shown once, by id, whether it came from the history or the socket (they can
// overlap around a reconnect); the sender sees their own message when the server echoes it.

import { api } from "./api.js";
import { clear, h } from "./dom.js";
import { clockTime, dateTime } from "./format.js";

const MAX_CHARS = 2000;
let panelCounter = 0;

export class ChatPanel {
  constructor(sessionId, { me, send }) {
    this.sessionId = sessionId;
    this.me = me;
    this.sendMessage = send;
    this.seen = new Set();
    this.loaded = false;
    panelCounter += 1;
    const inputId = `chat-input-${panelCounter}`;
    this.log = h("ol", { class: "chat-log", testid: "chat-log" });
    this.empty = h("p", { class: "muted small chat-empty", text: "No messages yet." });
    this.input = h("textarea", {
      id: inputId,
      rows: 2,
      maxLength: MAX_CHARS,
      testid: "chat-input",
      placeholder: "Message the care team",
      attrs: { "aria-describedby": `${inputId}-hint` },
      on: { keydown: (event) => this.key(event) },
    });
    this.error = h("p", { class: "field-error", attrs: { role: "alert" }, hidden: true });
    this.form = h(
      "form",
      {
        class: "chat-form",
        on: {
          submit: (event) => {
            event.preventDefault();
            this.submit();
          },
        },
      },
      h("label", { class: "visually-hidden", htmlFor: inputId, text: "Message to the care team" }),
      this.input,
      h("button", {
        type: "submit",
        class: "button primary small",
        testid: "chat-send",
        text: "Send",
      }),
    );
    this.node = h(
      "section",
      { class: "card chat", testid: "chat-panel" },
      h("header", { class: "card-head" }, h("h2", { text: "Care-team chat" })),
      h("p", {
        class: "muted small",
        id: `${inputId}-hint`,
        text: "Seen by this session's clinician and reviewers. Enter sends, Shift+Enter starts a new line.",
      }),
      h(
        "div",
        { attrs: { role: "log", "aria-live": "polite", "aria-label": "Messages" } },
        this.empty,
        this.log,
      ),
      this.form,
      this.error,
    );
  }

  async loadHistory() {
    try {
      const frames = await api.chat(this.sessionId);
      for (const frame of frames) this.add(frame.message);
      this.loaded = true;
    } catch {
      this.showError("The chat history could not be loaded; new messages still appear.");
    }
  }

  add(message) {
    if (!message || this.seen.has(message.id)) return;
    this.seen.add(message.id);
    this.empty.hidden = true;
    const node = h(
      "li",
      {
        class: `chat-message${message.author_id === this.me.id ? " is-mine" : ""}`,
        testid: "chat-message",
        dataset: { messageId: message.id },
      },
      h(
        "p",
        { class: "chat-meta" },
        h("strong", { class: "chat-author", testid: "chat-author", text: message.author }),
        " ",
        h("time", {
          class: "chat-time",
          testid: "chat-time",
          dateTime: message.timestamp,
          text: clockTime(message.timestamp),
          attrs: { title: dateTime(message.timestamp) },
        }),
      ),
      h("p", { class: "chat-text", text: message.text }),
    );
    const later = Array.from(this.log.children).find(
      (li) => Number(li.dataset.messageId) > message.id,
    );
    this.log.insertBefore(node, later || null);
    if (!later) this.log.scrollTop = this.log.scrollHeight;
  }

  key(event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.submit();
    }
  }

  submit() {
    const text = this.input.value.trim();
    this.hideError();
    if (!text) return;
    if (!this.sendMessage(text)) {
      this.showError(
        "Not connected: the message was not sent. It can be sent once the connection is back.",
      );
      return;
    }
    this.input.value = "";
  }

  showError(text) {
    clear(this.error).append(text);
    this.error.hidden = false;
  }

  hideError() {
    this.error.hidden = true;
  }
}
