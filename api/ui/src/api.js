// The JSON API as the work screens use it: same-origin requests with the
// session cookie, the CSRF token on every write, and one place that turns
// 401 into the sign-in page and 429 into a wait.
import { reactive } from 'vue';

// session is who is signed in; the CSRF token lives only here, in memory
// (never in a URL or in storage), and comes back with GET /api/v1/session
// after a reload.
export const session = reactive({ user: null, csrf: '', loaded: false });

// ApiError carries the status, the server's message and, for 429, the
// seconds to wait.
export class ApiError extends Error {
  constructor(status, message, retryAfter = 0, details = null) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
    this.details = details;
  }
}

let onUnauthorized = () => {};

// setUnauthorizedHandler installs what a 401 does (the router sends the
// user to the sign-in page, keeping the route they wanted).
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

const writes = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

// request sends one API call and answers the decoded JSON (null for 204).
// opts: body (JSON-encoded unless a Blob/FormData), headers, quiet401 (a
// 401 is only thrown, not redirected: the sign-in form itself).
export async function request(method, path, opts = {}) {
  const headers = { Accept: 'application/json', ...(opts.headers || {}) };
  let body = opts.body;
  if (body !== undefined && !(body instanceof Blob) && !(body instanceof FormData)) {
    body = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  if (writes.has(method) && session.csrf) headers['X-CSRF-Token'] = session.csrf;
  let res;
  try {
    res = await fetch(path, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError(0, '无法连接服务器，请检查网络后重试');
  }
  if (res.status === 204) return null;
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (res.ok) return data;
  const msg = (data && data.error) || res.statusText || `HTTP ${res.status}`;
  if (res.status === 401) {
    if (!opts.quiet401) {
      session.user = null;
      session.csrf = '';
      onUnauthorized();
    }
    throw new ApiError(401, msg);
  }
  if (res.status === 429) {
    const ra = parseRetryAfter(res.headers.get('Retry-After'));
    throw new ApiError(429, msg, ra);
  }
  throw new ApiError(res.status, msg, 0, data && data.details);
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date.
export function parseRetryAfter(v) {
  if (!v) return 60;
  const n = Number(v);
  if (Number.isFinite(n)) return Math.max(1, Math.ceil(n));
  const t = Date.parse(v);
  return Number.isFinite(t) ? Math.max(1, Math.ceil((t - Date.now()) / 1000)) : 60;
}

// actingRoles is what the session may do now: the one role it acts in
// (a person holding several switches between them), or every role of the
// user when the server names none.
export function actingRoles() {
  const u = session.user;
  if (!u) return [];
  return u.role ? [u.role] : u.roles || [];
}

// selectRole makes the session act in another of the user's roles.
export async function selectRole(role) {
  const s = await request('PUT', '/api/v1/session/role', { body: { role } });
  session.user = s.user;
  if (s.csrf_token) session.csrf = s.csrf_token;
  return s.user;
}

export const get = (path, opts) => request('GET', path, opts);
export const post = (path, body, opts = {}) => request('POST', path, { ...opts, body });

// loadSession asks who is signed in; false when nobody is.
export async function loadSession() {
  try {
    const s = await request('GET', '/api/v1/session', { quiet401: true });
    session.user = s.user;
    session.csrf = s.csrf_token || '';
  } catch (e) {
    session.user = null;
    session.csrf = '';
    if (e.status !== 401) throw e;
  } finally {
    session.loaded = true;
  }
  return !!session.user;
}

// signIn posts the credentials; errors (401 wrong password, 429 with the
// wait) are thrown to the form.
export async function signIn(username, password) {
  const s = await request('POST', '/api/v1/session', { body: { username, password }, quiet401: true });
  session.user = s.user;
  session.csrf = s.csrf_token || '';
  session.loaded = true;
  return s.user;
}

// signOut ends the session on the server and forgets it here.
export async function signOut() {
  try {
    await request('DELETE', '/api/v1/session', { quiet401: true });
  } finally {
    session.user = null;
    session.csrf = '';
  }
}

// act takes a workflow action on a case at the version the user saw.
export function act(c, action, fields = {}) {
  return post(`/api/v1/cases/${c.id}/actions/${action}`, { version: c.version, ...fields });
}

// upload attaches one photo to a case.
export function upload(caseId, file) {
  return request('POST', `/api/v1/cases/${caseId}/attachments`, {
    body: file,
    headers: { 'Content-Type': file.type || 'application/octet-stream' },
  });
}

// query builds a query string from the set fields of o.
export function query(o) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
