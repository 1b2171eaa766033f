// The only way the UI talks to the server: the JSON API under /api/v1.

let csrfToken = '';
let pending = 0;
let barTimer = null;
const listeners = { unauthenticated: [] };

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || 'Unbekannter Fehler.');
    this.status = status;
    this.code = body?.code || 'error';
    this.details = Array.isArray(body?.details) ? body.details : [];
  }
}

export function setCsrf(token) { csrfToken = token || ''; }
export function onUnauthenticated(fn) { listeners.unauthenticated.push(fn); }

// A thin bar on top of the page while requests run longer than a moment (slow networks).
function busy(delta) {
  pending += delta;
  const bar = document.getElementById('loading-bar');
  if (!bar) return;
  if (pending > 0 && !barTimer && !bar.classList.contains('active')) {
    barTimer = setTimeout(() => { barTimer = null; if (pending > 0) bar.classList.add('active'); }, 250);
  }
  if (pending <= 0) {
    pending = 0;
    clearTimeout(barTimer); barTimer = null;
    bar.classList.remove('active');
  }
  document.body.toggleAttribute('data-busy', pending > 0);
}

async function parse(res) {
  if (res.status === 204) return null;
  const text = await res.text();
  if (!text) return null;
  try { return JSON.parse(text); } catch { return { message: text }; }
}

export async function request(method, path, body, { quiet = false } = {}) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin' };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (!quiet) busy(+1);
  let res;
  try {
    res = await fetch(`/api/v1${path}`, init);
  } catch {
    throw new ApiError(0, {
      code: 'network',
      message: 'Keine Verbindung zum Server. Bitte Internetverbindung prüfen und erneut versuchen.',
    });
  } finally {
    if (!quiet) busy(-1);
  }
  const data = await parse(res);
  if (!res.ok) {
    const err = new ApiError(res.status, data || { message: `Fehler ${res.status}` });
    if (res.status === 401 && path !== '/session') listeners.unauthenticated.forEach((fn) => fn());
    throw err;
  }
  return data;
}

export const get = (path, opts) => request('GET', path, undefined, opts);
export const post = (path, body, opts) => request('POST', path, body ?? {}, opts);
export const put = (path, body) => request('PUT', path, body);
export const patch = (path, body) => request('PATCH', path, body);
export const del = (path) => request('DELETE', path);

// Upload with progress (fetch cannot report upload progress).
export function upload(path, formData, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1${path}`);
    xhr.setRequestHeader('Accept', 'application/json');
    if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener('load', () => {
      busy(-1);
      let data = null;
      try { data = xhr.responseText ? JSON.parse(xhr.responseText) : null; } catch { data = { message: xhr.responseText }; }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(new ApiError(xhr.status, data));
    });
    xhr.addEventListener('error', () => {
      busy(-1);
      reject(new ApiError(0, { code: 'network', message: 'Keine Verbindung zum Server. Bitte erneut versuchen.' }));
    });
    busy(+1);
    xhr.send(formData);
  });
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
