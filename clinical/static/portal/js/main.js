// Entry point: read the page's configuration, start the portal, and expose a small hook that
// browser tests (and a curious clinician's console) use to cut the socket and inspect resume.

import { PortalApp } from "./app.js";

const config = JSON.parse(document.getElementById("portal-config").textContent);
const app = new PortalApp(config);
app.start();

window.__medstream = Object.freeze({
  /** Drop the socket now; or as soon as a stream frame with seq >= afterSeq has been shown;
   *  or right after the page sends its next message (so that its answer is lost). */
  dropSocket({ afterSeq, afterSend = false } = {}) {
    if (afterSend) {
      app.connection.dropAfterSend = true;
    } else if (afterSeq !== undefined) {
      app.connection.dropAfter = (frame) =>
        frame.type !== "chat" && Number.isInteger(frame.seq) && frame.seq >= afterSeq;
    } else {
      app.connection.drop();
    }
  },
  /** Ask the server to replay a session from the start: every frame is already shown, so none
   *  may appear twice. */
  replay(sessionId) {
    return app.connection.send({ type: "resume", data: { session_id: sessionId, last_seq: -1 } });
  },
  /** Ignore the browser's `offline` and `online` events from now on, as a browser does that
   *  believes it is online while its network is dead (a test of the heartbeat on its own). */
  ignoreNetworkEvents() {
    app.connection.ignoreNetworkEvents = true;
  },
  stats() {
    return {
      ...app.connection.stats,
      state: app.connection.state,
      duplicates: app.book.duplicates,
    };
  },
  /** The sessions this page holds frames of (its own streams, ones it opened, and streams its
   *  user started in another tab or on another worker), each with the last seq applied. */
  sessions() {
    return app.book.all().map((record) => ({
      id: record.id,
      kind: record.kind,
      lastSeq: record.lastSeq,
      finished: record.finished,
    }));
  },
  /** Send a diagnosis request as given, skipping the client-side checks (server errors). */
  sendDiagnosis(data) {
    app.submitDiagnosis(data);
  },
});
