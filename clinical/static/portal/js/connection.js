// One WebSocket to /ws/<user_id>/, authenticated by the session cookie (same origin, so the
// browser sends the Origin the server checks). When it drops, a fresh socket is opened after an
// exponential backoff with jitter; the page then resumes every session from the last seq it saw.
//
// A socket can stay "open" long after its network has gone: Chromium keeps it OPEN when the
// browser goes offline, TCP notices nothing until a send times out (minutes), and daphne's own
// WebSocket pings go from the server every 20 s and are never seen by a script. So the page
// listens for itself: while open it sends the protocol's `ping` every HEARTBEAT_INTERVAL_MS, and
// when nothing at all (the `pong`, or any other frame) has come back HEARTBEAT_ANSWER_MS after a
// ping, it counts the socket lost, closes it and reconnects as after any drop. The browser's
// `offline` event does the same at once (no waiting for the heartbeat), and `online` reconnects
// at once.

const CLOSE_UNAUTHENTICATED = 4401;
const CLOSE_FORBIDDEN = 4403;
// The code the page closes its own socket with (a test drop, a silent socket, going offline).
const CLOSE_BY_PAGE = 4000;
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;
const STABLE_AFTER_MS = 5000;
// How often an open socket is pinged. With HEARTBEAT_ANSWER_MS this sets the worst case for
// noticing a dead network: a ping answered just before the network goes, the next one sent
// HEARTBEAT_INTERVAL_MS later and given HEARTBEAT_ANSWER_MS, so 1.5 + 3 = 4.5 s at most before
// the indicator stops saying "Connected" (the bound is 5 s). 40 pings a minute per tab, each a
// few bytes; the server answers a socket's first 60 a minute free of the message rate.
export const HEARTBEAT_INTERVAL_MS = 1500;
// How long after a ping the page waits for any frame before counting the socket lost. The
// server answers on the socket's own task, after whatever that socket was doing (a start's
// database calls, a batch of frames); 3 s covers that on a busy worker (the slowest stream
// delivery measured under the churn test was 2.2 s) while keeping the whole bound under 5 s.
// A socket counted lost wrongly costs a reconnect and an exact resume, never a frame.
export const HEARTBEAT_ANSWER_MS = 3000;

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
    this.heartbeat = null;
    this.answerTimer = null;
    this.ignoreNetworkEvents = false;
    this.stats = { connects: 0, drops: 0, silent: 0, offline: 0 };
    window.addEventListener("offline", () => this.wentOffline());
    window.addEventListener("online", () => this.cameOnline());
  }

  /** Is the browser offline? (`navigator.onLine` false is reliable; true only means "maybe".) */
  get browserOffline() {
    return !this.ignoreNetworkEvents && navigator.onLine === false;
  }

  get isOpen() {
    return (
      this.socket !== null && this.socket.readyState === WebSocket.OPEN && !this.browserOffline
    );
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
    if (this.socket) {
      // One still trying to open (begun offline, it may hang): never two at once.
      const stale = this.socket;
      this.socket = null;
      stale.close();
    }
    // Offline, a try goes on quietly under "Offline" rather than flickering "Reconnecting".
    if (!this.browserOffline) this.setState(this.stats.connects ? "reconnecting" : "connecting");
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
    this.startHeartbeat(socket);
    // Only a connection that stays up resets the backoff, so a socket refused at once
    // (a worker restarting) does not make the page hammer the server.
    clearTimeout(this.stableTimer);
    this.stableTimer = setTimeout(() => {
      this.attempt = 0;
    }, STABLE_AFTER_MS);
    this.dispatchEvent(new CustomEvent("open", { detail: { reconnected } }));
  }

  received(socket, event) {
    if (socket !== this.socket) return;
    // Any frame is an answer: the socket works.
    clearTimeout(this.answerTimer);
    this.answerTimer = null;
    if (typeof event.data !== "string") return;
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    if (frame.type === "pong") return;
    this.dispatchEvent(new CustomEvent("frame", { detail: frame }));
    if (this.dropAfter && this.dropAfter(frame)) {
      this.dropAfter = null;
      this.drop();
    }
  }

  closed(socket, event) {
    if (socket !== this.socket) return;
    this.socket = null;
    this.stopHeartbeat();
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

  startHeartbeat(socket) {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => this.beat(socket), HEARTBEAT_INTERVAL_MS);
  }

  stopHeartbeat() {
    clearInterval(this.heartbeat);
    clearTimeout(this.answerTimer);
    this.heartbeat = this.answerTimer = null;
  }

  /** Ping; unless a ping is still waiting for its answer, whose deadline then stands. */
  beat(socket) {
    if (socket !== this.socket || socket.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ type: "ping" }));
    if (this.answerTimer === null) {
      this.answerTimer = setTimeout(() => this.silent(socket), HEARTBEAT_ANSWER_MS);
    }
  }

  /** Nothing came back in time: the network (or the server) has gone quiet. */
  silent(socket) {
    if (socket !== this.socket) return;
    this.stats.silent += 1;
    this.drop("no answer to the heartbeat");
  }

  wentOffline() {
    if (this.ignoreNetworkEvents) return;
    this.stats.offline += 1;
    if (this.socket) this.drop("the browser went offline");
    else this.setState(this.state);
  }

  cameOnline() {
    if (this.ignoreNetworkEvents) return;
    this.attempt = 0;
    this.retryNow();
  }

  scheduleRetry() {
    // Offline, `online` brings the next try at once; until then one now and then, in case the
    // browser is wrong about the network.
    const exponent = this.browserOffline ? Infinity : this.attempt;
    const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** exponent);
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    this.setState("waiting");
    this.timer = setTimeout(() => this.open(), delay);
  }

  /** Reconnect now: when waiting out a backoff, or while a socket is still trying to open
   *  (one begun offline may hang until it times out). */
  retryNow() {
    const opening = this.socket && this.socket.readyState === WebSocket.CONNECTING;
    if (this.state === "waiting" || opening) this.open();
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
  drop(reason = "dropped by the page") {
    const socket = this.socket;
    if (!socket) return;
    this.socket = null;
    this.stopHeartbeat();
    clearTimeout(this.stableTimer);
    socket.close(CLOSE_BY_PAGE, reason);
    this.stats.drops += 1;
    this.scheduleRetry();
  }

  setState(state) {
    this.state = state;
    const detail = { state, retryAt: this.retryAt, browserOffline: this.browserOffline };
    this.dispatchEvent(new CustomEvent("state", { detail }));
  }
}
