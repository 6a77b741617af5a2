// The REST API the portal reads (same origin, session cookie). Everything that changes state
// goes over the socket; the one POST here, reading a note, changes nothing but is still a
// cookie-authenticated write to Django, so it carries the page's CSRF token.

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

let onSignedOut = () => {};

/** Called when the server no longer knows the session cookie (sign-in expired). */
export function whenSignedOut(callback) {
  onSignedOut = callback;
}

async function answer(response) {
  const body = await response.json().catch(() => null);
  if (response.status === 401) onSignedOut();
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

export async function getJSON(path, { signal } = {}) {
  const response = await fetch(path, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
    signal,
  });
  return answer(response);
}

/** The CSRF token the page was rendered with (Django checks it on cookie-authenticated POSTs). */
function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}

export async function postJSON(path, body, { signal } = {}) {
  const response = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: {
      Accept: "application/json",
      "Content-Type": "application/json",
      "X-CSRFToken": csrfToken(),
    },
    body: JSON.stringify(body),
    signal,
  });
  return answer(response);
}

const query = (params) => new URLSearchParams(params).toString();

export const api = {
  sessions: (limit = 50, patient = "") =>
    getJSON(`/api/sessions/?${query(patient ? { limit, patient } : { limit })}`),
  session: (id) => getJSON(`/api/sessions/${encodeURIComponent(id)}/`),
  events: (id, afterSeq) =>
    getJSON(`/api/sessions/${encodeURIComponent(id)}/events/?${query({ after_seq: afterSeq })}`),
  chat: (id) => getJSON(`/api/sessions/${encodeURIComponent(id)}/chat/`),
  findings: (search, signal) =>
    getJSON(`/api/kb/findings/?${query({ search, limit: 40 })}`, { signal }),
  drugs: (search, signal) => getJSON(`/api/kb/drugs/?${query({ search, limit: 8 })}`, { signal }),
  allergyGroups: (search, signal) =>
    getJSON(`/api/kb/allergy-groups/?${query({ search, limit: 8 })}`, { signal }),
  /** What the engine reads from a note, with no stream: `{extracted}` as the stream sends it. */
  readNote: (note, signal) => postJSON("/api/notes/read/", { note }, { signal }),
};
