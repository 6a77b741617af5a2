// The REST API the portal reads (same origin, session cookie). Only GETs: everything that
// changes state goes over the socket, so no CSRF token is needed here.

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

export async function getJSON(path, { signal } = {}) {
  const response = await fetch(path, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
    signal,
  });
  const body = await response.json().catch(() => null);
  if (response.status === 401) onSignedOut();
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

const query = (params) => new URLSearchParams(params).toString();

export const api = {
  sessions: (limit = 50) => getJSON(`/api/sessions/?${query({ limit })}`),
  session: (id) => getJSON(`/api/sessions/${encodeURIComponent(id)}/`),
  events: (id, afterSeq) =>
    getJSON(`/api/sessions/${encodeURIComponent(id)}/events/?${query({ after_seq: afterSeq })}`),
  chat: (id) => getJSON(`/api/sessions/${encodeURIComponent(id)}/chat/`),
  findings: (search, signal) =>
    getJSON(`/api/kb/findings/?${query({ search, limit: 40 })}`, { signal }),
  drugs: (search, signal) => getJSON(`/api/kb/drugs/?${query({ search, limit: 8 })}`, { signal }),
  allergyGroups: (search, signal) =>
    getJSON(`/api/kb/allergy-groups/?${query({ search, limit: 8 })}`, { signal }),
};
