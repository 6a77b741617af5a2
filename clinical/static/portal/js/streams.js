// What the page knows of each session: its frames applied strictly in seq order, once each.
// A frame whose seq was already applied is ignored (a replay, a resume overlap); one that comes
// early waits until the frames before it arrive, so the screen never shows a gap or a repeat.

export function isTerminal(frame) {
  return frame.type === "complete" || (frame.type === "error" && Number.isInteger(frame.seq));
}

export class StreamRecord {
  constructor(id) {
    this.id = id;
    this.kind = null;
    this.lastSeq = -1;
    this.pending = new Map();
    this.finished = false;
    this.result = null;
    this.failure = null;
    this.duplicates = 0;
  }

  /** The frames that become applicable with this one, in seq order ([] for a repeat). */
  offer(frame) {
    const seq = frame.seq;
    if (!Number.isInteger(seq) || seq <= this.lastSeq || this.pending.has(seq)) {
      this.duplicates += 1;
      return [];
    }
    this.pending.set(seq, frame);
    const ready = [];
    while (this.pending.has(this.lastSeq + 1)) {
      const next = this.pending.get(this.lastSeq + 1);
      this.pending.delete(this.lastSeq + 1);
      this.lastSeq += 1;
      this.note(next);
      ready.push(next);
    }
    return ready;
  }

  note(frame) {
    if (frame.type === "accepted" && frame.kind) this.kind = frame.kind;
    if (frame.type === "complete") this.result = frame.result;
    if (frame.type === "error") this.failure = frame;
    if (isTerminal(frame)) this.finished = true;
  }

  get hasGap() {
    return this.pending.size > 0;
  }

  /** The last_seq to resume from. A finished session asks for its terminal frame again (which
   *  the page ignores) so that the server sees it end and stops following it for this socket;
   *  resuming also puts the socket back in the session's chat room. */
  get resumeFrom() {
    return this.finished ? Math.max(-1, this.lastSeq - 1) : this.lastSeq;
  }
}

export class StreamBook {
  constructor() {
    this.records = new Map();
  }

  get(id) {
    return this.records.get(id);
  }

  ensure(id) {
    let record = this.records.get(id);
    if (!record) {
      record = new StreamRecord(id);
      this.records.set(id, record);
    }
    return record;
  }

  all() {
    return Array.from(this.records.values());
  }

  get duplicates() {
    return this.all().reduce((total, record) => total + record.duplicates, 0);
  }
}
