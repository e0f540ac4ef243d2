/**
 * The SIP message model (RFC 3261 §7): a request or a response, an ordered list of header
 * fields and a raw body. Header values are kept as text exactly as received (after
 * unfolding, RFC 3261 §7.3.1); typed views (Via, CSeq, tags) are parsed on demand.
 */

/** RFC 3261 §7.3.3 and later RFCs: compact header names and their long forms. */
export const COMPACT_FORMS: Readonly<Record<string, string>> = {
  a: 'Accept-Contact',
  b: 'Referred-By',
  c: 'Content-Type',
  d: 'Request-Disposition',
  e: 'Content-Encoding',
  f: 'From',
  i: 'Call-ID',
  j: 'Reject-Contact',
  k: 'Supported',
  l: 'Content-Length',
  m: 'Contact',
  n: 'Identity-Info',
  o: 'Event',
  r: 'Refer-To',
  s: 'Subject',
  t: 'To',
  u: 'Allow-Events',
  v: 'Via',
  x: 'Session-Expires',
  y: 'Identity',
};

/**
 * Keys of the names seen so far: every lookup compares keys, and lower-casing a name anew
 * each time was a string per field per lookup. Bounded, since peers choose the names.
 */
const keyCache = new Map<string, string>();
const KEY_CACHE_MAX = 1024;

/** Lower-case key used to compare header names: compact forms map to their long form. */
export function headerKey(name: string): string {
  const cached = keyCache.get(name);
  if (cached !== undefined) return cached;
  const lower = name.toLowerCase();
  const long = lower.length === 1 ? COMPACT_FORMS[lower] : undefined;
  const key = long ? long.toLowerCase() : lower;
  if (keyCache.size < KEY_CACHE_MAX) keyCache.set(name, key);
  return key;
}

/**
 * Header names are tokens (RFC 3261 §25.1), plain ASCII: a field can then match a lookup
 * key only if its name has the key's length (lower-casing ASCII keeps the length) or is a
 * one-letter compact form. Lookups compare lengths first and look a field's key up only on
 * a length match, instead of computing the key of every field they pass. A key that is not
 * ASCII (only a programmatic name could be) takes the plain scan.
 */
interface LookupKey {
  key: string;
  ascii: boolean;
}

const lookupCache = new Map<string, LookupKey>();
const ASCII_RE = /^[\x00-\x7f]*$/;

function lookupKey(name: string): LookupKey {
  const cached = lookupCache.get(name);
  if (cached !== undefined) return cached;
  const key = headerKey(name);
  const found = { key, ascii: ASCII_RE.test(key) };
  if (lookupCache.size < KEY_CACHE_MAX) lookupCache.set(name, found);
  return found;
}

/** Whether the field named `name` has the key `k` (see LookupKey). */
function nameMatches(name: string, k: LookupKey): boolean {
  const len = name.length;
  if (k.ascii && len !== k.key.length && len !== 1) return false;
  return headerKey(name) === k.key;
}

export interface HeaderField {
  /** The name as it appeared on the wire (may be a compact form). */
  readonly name: string;
  /** The value, unfolded, with leading and trailing whitespace removed. */
  value: string;
}

/** Ordered header fields with case-insensitive, compact-form-aware lookup. */
export class Headers {
  readonly fields: HeaderField[];

  constructor(fields: Iterable<HeaderField> = []) {
    this.fields = [...fields];
  }

  /** The first field value with this name, or undefined. */
  get(name: string): string | undefined {
    const k = lookupKey(name);
    const fields = this.fields;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (nameMatches(f.name, k)) return f.value;
    }
    return undefined;
  }

  /** Every field value with this name, one per header line, in order. */
  getAll(name: string): string[] {
    const k = lookupKey(name);
    const out: string[] = [];
    const fields = this.fields;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (nameMatches(f.name, k)) out.push(f.value);
    }
    return out;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Replaces every field with this name by one field (appended where the first one was). */
  set(name: string, value: string): this {
    const key = headerKey(name);
    const at = this.fields.findIndex((f) => headerKey(f.name) === key);
    this.remove(name);
    if (at < 0) this.fields.push({ name, value });
    else this.fields.splice(Math.min(at, this.fields.length), 0, { name, value });
    return this;
  }

  append(name: string, value: string): this {
    this.fields.push({ name, value });
    return this;
  }

  /** Inserts a field before every other field of the same name (e.g. a new top Via). */
  prepend(name: string, value: string): this {
    const key = headerKey(name);
    const at = this.fields.findIndex((f) => headerKey(f.name) === key);
    this.fields.splice(at < 0 ? this.fields.length : at, 0, { name, value });
    return this;
  }

  remove(name: string): this {
    const key = headerKey(name);
    for (let i = this.fields.length - 1; i >= 0; i--) {
      if (headerKey(this.fields[i]!.name) === key) this.fields.splice(i, 1);
    }
    return this;
  }

  clone(): Headers {
    return new Headers(this.fields.map((f) => ({ name: f.name, value: f.value })));
  }
}

export interface SipRequest {
  readonly type: 'request';
  method: string;
  /** The Request-URI exactly as received. */
  uri: string;
  version: string;
  headers: Headers;
  body: Buffer;
}

export interface SipResponse {
  readonly type: 'response';
  status: number;
  reason: string;
  version: string;
  headers: Headers;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

export function isRequest(m: SipMessage): m is SipRequest {
  return m.type === 'request';
}

export function makeRequest(
  method: string,
  uri: string,
  fields: [string, string][] = [],
  body?: Buffer,
): SipRequest {
  return {
    type: 'request',
    method,
    uri,
    version: 'SIP/2.0',
    headers: new Headers(fields.map(([name, value]) => ({ name, value }))),
    body: body ?? Buffer.alloc(0),
  };
}

export function makeResponse(
  status: number,
  reason: string,
  fields: [string, string][] = [],
  body?: Buffer,
): SipResponse {
  return {
    type: 'response',
    status,
    reason,
    version: 'SIP/2.0',
    headers: new Headers(fields.map(([name, value]) => ({ name, value }))),
    body: body ?? Buffer.alloc(0),
  };
}
