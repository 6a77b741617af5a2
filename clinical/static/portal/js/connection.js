// One WebSocket to /ws/<user_id>/, authenticated by the session cookie (same origin, so the
// browser sends the Origin the server checks). When it drops, a fresh socket is opened after an
// exponential backoff with jitter; the page then resumes every session from the last seq it saw.

const CLOSE_UNAUTHENTICATED = 4401;
const CLOSE_FORBIDDEN = 4403;
const CLOSE_TEST_DROP = 4000;
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;
const STABLE_AFTER_MS = 5000;

export class Connection extends EventTarget {
  constructor(path) {
    super();
    this.path = path;
    this.socket = null;
    this.state = "connecting";
    this.attempt = 0;
    this.timer = null;
    this.stableTimer = null;
    this.retryAt = 0;
    this.dropAfter = null;
    this.dropAfterSend = false;
    this.stats = { connects: 0, drops: 0 };
    window.addEventListener("online", () => this.retryNow());
  }

  get isOpen() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  start() {
    this.open();
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}${this.path}`;
  }

  open() {
    clearTimeout(this.timer);
    this.setState(this.stats.connects ? "reconnecting" : "connecting");
    const socket = new WebSocket(this.url());
    this.socket = socket;
    socket.addEventListener("open", () => this.opened(socket));
    socket.addEventListener("message", (event) => this.received(socket, event));
    socket.addEventListener("close", (event) => this.closed(socket, event));
  }

  opened(socket) {
    if (socket !== this.socket) return;
    const reconnected = this.stats.connects > 0;
    this.stats.connects += 1;
    this.setState("open");
    // Only a connection that stays up resets the backoff, so a socket refused at once
    // (a worker restarting) does not make the page hammer the server.
    clearTimeout(this.stableTimer);
    this.stableTimer = setTimeout(() => {
      this.attempt = 0;
    }, STABLE_AFTER_MS);
    this.dispatchEvent(new CustomEvent("open", { detail: { reconnected } }));
  }

  received(socket, event) {
    if (socket !== this.socket || typeof event.data !== "string") return;
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    this.dispatchEvent(new CustomEvent("frame", { detail: frame }));
    if (this.dropAfter && this.dropAfter(frame)) {
      this.dropAfter = null;
      this.drop();
    }
  }

  closed(socket, event) {
    if (socket !== this.socket) return;
    this.socket = null;
    clearTimeout(this.stableTimer);
    if (event.code === CLOSE_UNAUTHENTICATED) {
      this.setState("signed-out");
      this.dispatchEvent(new CustomEvent("signed-out"));
      return;
    }
    if (event.code === CLOSE_FORBIDDEN) {
      this.setState("refused");
      return;
    }
    this.stats.drops += 1;
    this.scheduleRetry();
  }

  scheduleRetry() {
    const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** this.attempt);
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    this.setState("waiting");
    this.timer = setTimeout(() => this.open(), delay);
  }

  retryNow() {
    if (this.state === "waiting") this.open();
  }

  send(message) {
    if (!this.isOpen) return false;
    this.socket.send(JSON.stringify(message));
    if (this.dropAfterSend) {
      this.dropAfterSend = false;
      this.drop();
    }
    return true;
  }

  /** Close the socket as a network drop would (test hook, and a manual check of resume).
   *  The page stops reading it at once: frames the server already sent on it are lost to the
   *  page, exactly as on a real drop, and must come back through resume. */
  drop() {
    const socket = this.socket;
    if (!socket) return;
    this.socket = null;
    clearTimeout(this.stableTimer);
    socket.close(CLOSE_TEST_DROP, "dropped by the page");
    this.stats.drops += 1;
    this.scheduleRetry();
  }

  setState(state) {
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, retryAt: this.retryAt } }));
  }
}
