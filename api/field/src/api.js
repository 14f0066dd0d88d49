// The JSON API as 城管通 uses it: same-origin requests with the session
// cookie and the CSRF token on every write. Who is signed in is also kept
// on the phone (name, role, display name — never the password or the
// token), so that the app opens offline after a restart and the outbox
// keeps its user; the server's session decides when the phone is online.
import { reactive } from 'vue';

const USER_KEY = 'citygrid.field.user';

export const session = reactive({ user: loadUser(), csrf: '', checked: false });
export const net = reactive({ online: navigator.onLine });
addEventListener('online', () => { net.online = true; });
addEventListener('offline', () => { net.online = false; });

function loadUser() {
  try { return JSON.parse(localStorage.getItem(USER_KEY) || 'null'); } catch { return null; }
}

function setUser(u) {
  session.user = u;
  if (u) localStorage.setItem(USER_KEY, JSON.stringify(u));
  else localStorage.removeItem(USER_KEY);
}

// ApiError carries the HTTP status (0: no network) and the server's
// message; offline is true when the request never reached the server.
export class ApiError extends Error {
  constructor(status, message, body = null) {
    super(message);
    this.status = status;
    this.body = body;
    this.offline = status === 0;
  }
}

const writes = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

// request sends one call and answers {status, data, headers}. opts: body
// (JSON unless a Blob), headers, raw (answer the Response body as is).
export async function request(method, path, opts = {}) {
  const headers = { Accept: 'application/json', ...(opts.headers || {}) };
  let body = opts.body;
  if (body !== undefined && !(body instanceof Blob)) {
    body = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  if (writes.has(method)) {
    if (!session.csrf) await refreshSession().catch(() => {});
    if (session.csrf) headers['X-CSRF-Token'] = session.csrf;
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError(0, '网络不可用');
  }
  const text = res.status === 204 ? '' : await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (res.ok) return { status: res.status, data, headers: res.headers };
  if (res.status === 401) session.csrf = '';
  throw new ApiError(res.status, (data && data.error) || `HTTP ${res.status}`, data);
}

export async function get(path) {
  return (await request('GET', path)).data;
}

// refreshSession asks the server who the cookie belongs to; a 401 signs
// the phone out, no network keeps the stored user.
export async function refreshSession() {
  try {
    const { data } = await request('GET', '/api/v1/session');
    session.csrf = data.csrf_token || '';
    setUser(data.user);
  } catch (e) {
    if (e.status === 401) setUser(null);
    throw e;
  } finally {
    session.checked = true;
  }
}

export async function signIn(username, password) {
  const { data } = await request('POST', '/api/v1/session', { body: { username: username.trim().toLowerCase(), password } });
  session.csrf = data.csrf_token || '';
  setUser(data.user);
  return data.user;
}

export async function signOut() {
  try { await request('DELETE', '/api/v1/session'); } finally { setUser(null); session.csrf = ''; }
}

// errorText is what a person reads for an error.
export function errorText(e) {
  if (!e) return '';
  if (e.offline) return '网络不可用，已保存，联网后自动发送';
  switch (e.status) {
    case 401: return '登录已过期，请重新登录';
    case 403: return '没有权限';
    case 404: return '不存在或已删除';
    case 409: return '状态已变化：' + e.message;
    case 412: return '他人已修改，需要确认';
    case 413: return '照片太大';
    case 422: return '重复提交的内容不一致';
    case 429: return '请求太频繁，请稍后再试';
  }
  if (e.status >= 500) return '服务器暂时不可用，稍后自动重试';
  return e.message || String(e);
}

// newKey is a fresh idempotency key.
export function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}
