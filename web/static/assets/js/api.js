// api.js — the JSON API under /api/v1: the session cookie with its CSRF
// token (or a pasted bearer token), the error envelope, and 401 sending
// the user back to sign-in.
import { lang, t } from './i18n.js';

const TOKEN_KEY = 'shaobao.token';

export function token() { return localStorage.getItem(TOKEN_KEY) || ''; }
export function setToken(v) { localStorage.setItem(TOKEN_KEY, v.trim()); }
export function clearToken() { localStorage.removeItem(TOKEN_KEY); }

// csrf is the session's CSRF token from its readable cookie: present
// while a password sign-in's session may be alive.
export function csrf() {
  const m = document.cookie.match(/(?:^|;\s*)shaobao_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : '';
}

const SAFE = ['GET', 'HEAD', 'OPTIONS'];

// authHeaders are the sign-in headers of a request made outside request()
// (an upload): the bearer token, or the CSRF token of a state change.
export function authHeaders(method) {
  const h = headers({}, method);
  delete h['Accept'];
  return h;
}

// ApiError carries the envelope's code and message ({"error":{"code","message"}})
// and the HTTP status.
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// onUnauthorized is set by the app: a 401 anywhere signs the user out.
let unauthorized = () => {};
export function onUnauthorized(fn) { unauthorized = fn; }

function headers(extra, method = 'GET') {
  const h = { 'Accept': 'application/json', 'Accept-Language': lang() === 'en' ? 'en' : 'zh-CN', ...extra };
  if (token()) h['Authorization'] = 'Bearer ' + token();
  else if (!SAFE.includes(method) && csrf()) h['X-CSRF-Token'] = csrf();
  return h;
}

async function failure(res) {
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  const e = body && body.error;
  const err = e && e.message
    ? new ApiError(res.status, e.code || '', e.message)
    : new ApiError(res.status, 'http_' + res.status, t('unexpected', res.status));
  if (res.status === 401) unauthorized(err);
  return err;
}

// request sends one call and returns the parsed JSON (or null for 204).
// It throws ApiError with the API's own message; a network failure
// becomes an ApiError with status 0.
export async function request(method, path, body, extraHeaders = {}) {
  const opts = { method, headers: headers(extraHeaders, method), credentials: 'same-origin' };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch('/api/v1' + path, opts);
  } catch {
    throw new ApiError(0, 'network', t('network_error'));
  }
  if (!res.ok) throw await failure(res);
  if (res.status === 204) return null;
  try {
    return await res.json();
  } catch {
    throw new ApiError(res.status, 'bad_json', t('unexpected', res.status));
  }
}

export const get = (path) => request('GET', path);
export const post = (path, body, h) => request('POST', path, body ?? {}, h);
export const put = (path, body) => request('PUT', path, body);

// login opens a cookie session; the answer says whether the password
// must be changed first.
export function login(username, password) {
  clearToken();
  return post('/auth/login', { username, password });
}

// logout ends the cookie session (if any) and forgets a pasted token.
export async function logout() {
  const hadToken = token();
  clearToken();
  if (!hadToken && !csrf()) return;
  try { await post('/auth/logout'); } catch { /* already ended: nothing to do */ }
}

// download fetches an export with the token (a plain link cannot send
// it) and hands the file to the browser.
export async function download(path, fallbackName) {
  let res;
  try {
    res = await fetch('/api/v1' + path, { headers: headers({ 'Accept': '*/*' }), credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'network', t('network_error'));
  }
  if (!res.ok) throw await failure(res);
  const blob = await res.blob();
  const cd = res.headers.get('Content-Disposition') || '';
  const m = cd.match(/filename\*?=(?:UTF-8'')?"?([^";]+)"?/i);
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = m ? decodeURIComponent(m[1]) : fallbackName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

// query builds "?a=1&b=2" from the non-empty values of an object.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '' && v !== false) q.set(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

// Cached reference data: the catalogue and the department names.
let departmentsCache = null;
export async function departmentNames() {
  if (!departmentsCache) {
    departmentsCache = get('/departments').then((r) => {
      const m = new Map();
      for (const d of r.items || []) m.set(d.id, d);
      return m;
    }).catch((e) => { departmentsCache = null; throw e; });
  }
  return departmentsCache;
}
export function forgetCaches() { departmentsCache = null; }
