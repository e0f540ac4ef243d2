/**
 * Pieces every resource plugin shares: the per-route config (who may call it, how the
 * OpenAPI document describes it), cookies, JSON helpers and body parsing with the
 * configuration model's error shape.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import { z } from 'zod';
import type { Auth } from './auth.js';
import { ApiError, type FieldError, validationFailed } from './errors.js';
import type { AdminContext, AdminOptions } from './types.js';

/** A JSON Schema object (2020-12, as OpenAPI 3.1 uses). */
export type JsonSchema = Record<string, unknown>;

/**
 * Who may call a route: anyone (`public`), an administrator (session or bearer token),
 * a user signed in to self-service (`user`), or either kind of session (`signedIn`).
 */
export type AuthLevel = 'public' | 'admin' | 'user' | 'signedIn';

/** How the OpenAPI document describes an operation. */
export interface OperationDoc {
  summary: string;
  description?: string;
  tags: string[];
  body?: { schema: JsonSchema; contentTypes?: string[] };
  query?: { name: string; schema: JsonSchema; description?: string; required?: boolean }[];
  /** The success response (default 200, JSON). */
  response?: { status?: number; schema?: JsonSchema; description?: string; contentType?: string };
}

/** Who a request comes from, once authenticated. */
export type Principal =
  | { kind: 'admin'; account: string; via: 'session'; session: string; csrf: string }
  | { kind: 'admin'; account: string; via: 'token'; token: string }
  | { kind: 'user'; extension: string; via: 'session'; session: string; csrf: string };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Default `admin`. */
    auth?: AuthLevel;
    doc?: OperationDoc;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** What each resource plugin is registered with. */
export interface PluginOptions {
  ctx: AdminContext;
  options: ResolvedOptions;
  auth: Auth;
  metrics: ApiMetrics;
}

export type ResolvedOptions = Required<Omit<AdminOptions, 'loginThrottle'>> &
  Pick<AdminOptions, 'loginThrottle'>;

/** The API's own counters, registered in the context's registry. */
export interface ApiMetrics {
  requests: Counter<'route' | 'method' | 'status'>;
  loginFailures: Counter<'kind'>;
}

// ───────────────────────────── cookies ─────────────────────────────

/** Reads a Cookie header (RFC 6265 §5.4) into name → value; the first of a repeated name wins. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (!out.has(name)) {
      try {
        out.set(name, decodeURIComponent(value));
      } catch {
        out.set(name, value);
      }
    }
  }
  return out;
}

export interface CookieOptions {
  maxAgeSeconds: number;
  secure: boolean;
}

/** A Set-Cookie value for the session cookie: HttpOnly, SameSite=Strict, whole site. */
export function serializeCookie(name: string, value: string, o: CookieOptions): string {
  const parts = [
    `${name}=${encodeURIComponent(value)}`,
    'Path=/',
    `Max-Age=${Math.max(0, Math.floor(o.maxAgeSeconds))}`,
    'HttpOnly',
    'SameSite=Strict',
  ];
  if (o.secure) parts.push('Secure');
  return parts.join('; ');
}

// ───────────────────────────── JSON values ─────────────────────────────

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** RFC 7396 JSON Merge Patch: objects merge, `null` removes a member, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export function getAt(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const seg of path.split('.')) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[seg];
  }
  return cur;
}

/** A copy of `obj` with `path` set (`undefined` removes it); only objects on the path are copied. */
export function setAt<T>(obj: T, path: string, value: unknown): T {
  const [head, ...rest] = path.split('.');
  const base: Record<string, unknown> = isPlainObject(obj) ? { ...obj } : {};
  if (head === undefined) return obj;
  if (rest.length === 0) {
    if (value === undefined) delete base[head];
    else base[head] = value;
  } else {
    if (value === undefined && !isPlainObject(base[head])) return base as T;
    base[head] = setAt(base[head], rest.join('.'), value);
  }
  return base as T;
}

// ───────────────────────────── request bodies ─────────────────────────────

/** The JSON body as an object, or a 422 naming the whole body. */
export function objectBody(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (!isPlainObject(body)) {
    throw validationFailed([
      {
        path: '',
        value: body === undefined ? null : body,
        allowed: 'a JSON object',
        message: 'the request body must be a JSON object',
        code: body === undefined ? 'REQUIRED' : 'INVALID_TYPE',
      },
    ]);
  }
  return body;
}

/** An API-own request field (sign-in, tokens): its schema and how its allowed values read. */
export const field = <T extends z.ZodType>(schema: T, allowed: string): T => schema.meta({ allowed }) as T;

function zodCode(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return value === undefined ? 'REQUIRED' : 'INVALID_TYPE';
    case 'too_big':
    case 'too_small':
      return issue.origin === 'string' || issue.origin === 'array' ? 'INVALID_LENGTH' : 'OUT_OF_RANGE';
    case 'unrecognized_keys':
      return 'UNKNOWN_FIELD';
    case 'invalid_format':
      return 'INVALID_FORMAT';
    default:
      return 'INVALID_VALUE';
  }
}

/**
 * Parses a flat API-own body (not a directory entity) with `schema`, or throws a 422
 * listing every failing field in the same shape as configuration errors.
 */
export function parseBody<S extends z.ZodObject>(schema: S, request: FastifyRequest): z.output<S> {
  const body = objectBody(request);
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const fields: FieldError[] = [];
  for (const issue of r.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        fields.push({
          path: key,
          value: body[key],
          allowed: `one of the fields ${Object.keys(schema.shape).join(', ')}`,
          message: `unknown field ${key}`,
          code: 'UNKNOWN_FIELD',
        });
      }
      continue;
    }
    const key = String(issue.path[0] ?? '');
    const value = body[key];
    const fieldSchema = schema.shape[key] as z.ZodType | undefined;
    const meta = fieldSchema
      ? (z.globalRegistry.get(fieldSchema) as { allowed?: string } | undefined)
      : undefined;
    fields.push({
      path: key,
      value: value === undefined ? null : value,
      allowed: meta?.allowed ?? issue.message,
      message: `${key}: ${issue.message}`,
      code: zodCode(issue, value),
    });
  }
  throw validationFailed(fields);
}

/** An ISO 8601 instant query parameter, or now when absent; 400 when unreadable. */
export function instantParam(value: unknown, name: string, now: number): number {
  if (value === undefined || value === '') return now;
  const t = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(t)) {
    throw new ApiError('MALFORMED_REQUEST', `${name} must be an ISO 8601 instant, e.g. 2026-03-29T08:00:00Z`);
  }
  return t;
}

/** A non-negative integer query parameter; 400 when it is not one. */
export function intParam(value: unknown, name: string, max: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n > max) {
    throw new ApiError('MALFORMED_REQUEST', `${name} must be a whole number from 0 to ${max}`);
  }
  return n;
}

/** The configuration revision as an entity tag. */
export const revisionTag = (revision: number): string => `"${revision}"`;

export function setRevision(reply: FastifyReply, revision: number): void {
  reply.header('etag', revisionTag(revision));
}
