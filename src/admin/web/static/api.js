/**
 * The admin API from the page: same-origin fetches with the session cookie, the CSRF
 * token on every change, and errors as {@link ApiError} with the API's `fields`.
 */

let csrfToken = '';
let onSignedOut = () => {};

export class ApiError extends Error {
  constructor(status, body) {
    const err = body?.error ?? {};
    super(err.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = err.code ?? 'HTTP_ERROR';
    /** Every failing field: {path, value, allowed, message, code}. */
    this.fields = Array.isArray(err.fields) ? err.fields : [];
  }
}

export function setCsrfToken(token) {
  csrfToken = token ?? '';
}

export function whenSignedOut(fn) {
  onSignedOut = fn;
}

export async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined)
    headers['content-type'] = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
  if (method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const e = new ApiError(res.status, data);
    if (res.status === 401 && e.code === 'UNAUTHENTICATED') onSignedOut();
    throw e;
  }
  return data;
}

export const get = (path) => api('GET', path);

/** `/api/users/201`-style path of one entry, the key URL-encoded. */
export const entryPath = (segment, key) => `/api/${segment}/${encodeURIComponent(key)}`;

let openApi;
/** The OpenAPI document: the page takes ranges, defaults and allowed texts from it. */
export function openApiDoc() {
  openApi ??= get('/api/openapi.json').catch((e) => {
    openApi = undefined;
    throw e;
  });
  return openApi;
}

/** The response schema of `GET path` (an OpenAPI path like `/api/users/{extension}`). */
export async function responseSchema(path) {
  const doc = await openApiDoc();
  return doc.paths[path]?.get?.responses?.['200']?.content?.['application/json']?.schema ?? {};
}
