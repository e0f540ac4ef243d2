/**
 * SIP, SIPS and tel URIs (RFC 3261 §19.1, RFC 3966) and any other absolute URI.
 *
 * Escaping: every component keeps its raw, still-escaped text (`%41` stays `%41`), so a
 * URI is never unescaped twice and `formatUri` reproduces what was received. Escapes are
 * decoded exactly once, inside `uriEquals`, where RFC 3261 §19.1.4 says to compare the
 * decoded characters.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface SipUri {
  scheme: 'sip' | 'sips';
  /** Raw (escaped) user part; may contain `;` and `?` (RFC 3261 §19.1.1 user-unreserved). */
  user?: string;
  password?: string;
  /** Host as written: a name, an IPv4 address or a bracketed IPv6 reference (`[2001:db8::1]`). */
  host: string;
  port?: number;
  /** uri-parameters; names lower-cased, values raw (a flag parameter has value null). */
  params: Map<string, string | null>;
  /** Header fields after `?`; names as written, values raw. */
  headers: Map<string, string>;
}

export interface TelUri {
  scheme: 'tel';
  number: string;
  params: Map<string, string | null>;
}

/** Any other absolute URI (`http:`, `isbn:`, `urn:`…), kept opaque. */
export interface AbsoluteUri {
  scheme: string;
  opaque: string;
}

export type Uri = SipUri | TelUri | AbsoluteUri;

const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*$/;
// RFC 3261 §25.1: user = 1*( unreserved / escaped / user-unreserved )
const USER_RE = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$/;
const PASSWORD_RE = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,]|%[0-9A-Fa-f]{2})*$/;
// RFC 3261 §25.1: paramchar = param-unreserved / unreserved / escaped
const PARAMCHARS_RE = /^(?:[A-Za-z0-9\-_.!~*'()[\]/:&+$]|%[0-9A-Fa-f]{2})+$/;
// hnv-unreserved / unreserved / escaped (a header value may be empty)
const HNAME_RE = /^(?:[A-Za-z0-9\-_.!~*'()[\]/?:+$]|%[0-9A-Fa-f]{2})+$/;
const HVALUE_RE = /^(?:[A-Za-z0-9\-_.!~*'()[\]/?:+$]|%[0-9A-Fa-f]{2})*$/;
const HOSTNAME_RE =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?$/;
const TEL_NUMBER_RE = /^(?:\+[0-9().-]*[0-9][0-9().-]*|[0-9A-Fa-f*#().-]*[0-9A-Fa-f*#][0-9A-Fa-f*#().-]*)$/;
const OPAQUE_RE = /^[\x21-\x7e]+$/;

export function isSipUri(uri: Uri): uri is SipUri {
  return uri.scheme === 'sip' || uri.scheme === 'sips';
}

export function isTelUri(uri: Uri): uri is TelUri {
  return uri.scheme === 'tel';
}

/** Parses a URI; undefined when the text is not a well-formed URI of its scheme. */
export function parseUri(text: string): SipUri | TelUri | AbsoluteUri | undefined {
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  const schemeText = text.slice(0, colon);
  if (!SCHEME_RE.test(schemeText)) return undefined;
  const scheme = schemeText.toLowerCase();
  const rest = text.slice(colon + 1);
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(scheme, rest);
  if (scheme === 'tel') return parseTelUri(rest);
  // RFC 3261 §19.1.1 / RFC 3986 §3: other schemes are carried opaquely
  if (!OPAQUE_RE.test(rest)) return undefined;
  return { scheme, opaque: rest };
}

function parseSipUri(scheme: 'sip' | 'sips', rest: string): SipUri | undefined {
  // The user part may hold `;`, `?` and `:` (RFC 3261 §19.1.1), never `@`: split there first.
  const at = rest.indexOf('@');
  let user: string | undefined;
  let password: string | undefined;
  let afterUser = rest;
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    afterUser = rest.slice(at + 1);
    const pc = userinfo.indexOf(':');
    user = pc < 0 ? userinfo : userinfo.slice(0, pc);
    password = pc < 0 ? undefined : userinfo.slice(pc + 1);
    if (!USER_RE.test(user)) return undefined;
    if (password !== undefined && !PASSWORD_RE.test(password)) return undefined;
  }
  const q = afterUser.indexOf('?');
  const beforeHeaders = q < 0 ? afterUser : afterUser.slice(0, q);
  const headersText = q < 0 ? undefined : afterUser.slice(q + 1);
  const semi = beforeHeaders.indexOf(';');
  const hostport = semi < 0 ? beforeHeaders : beforeHeaders.slice(0, semi);
  const paramsText = semi < 0 ? undefined : beforeHeaders.slice(semi + 1);

  const hp = parseHostPort(hostport);
  if (!hp) return undefined;
  const params = new Map<string, string | null>();
  if (paramsText !== undefined) {
    for (const part of paramsText.split(';')) {
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      const value = eq < 0 ? null : part.slice(eq + 1);
      if (!PARAMCHARS_RE.test(name)) return undefined;
      if (value !== null && !PARAMCHARS_RE.test(value)) return undefined;
      params.set(name.toLowerCase(), value);
    }
  }
  const headers = new Map<string, string>();
  if (headersText !== undefined) {
    for (const part of headersText.split('&')) {
      const eq = part.indexOf('=');
      if (eq <= 0) return undefined;
      const name = part.slice(0, eq);
      const value = part.slice(eq + 1);
      if (!HNAME_RE.test(name) || !HVALUE_RE.test(value)) return undefined;
      headers.set(name, value);
    }
  }
  const uri: SipUri = { scheme, host: hp.host, params, headers };
  if (user !== undefined) uri.user = user;
  if (password !== undefined) uri.password = password;
  if (hp.port !== undefined) uri.port = hp.port;
  return uri;
}

/** `host [":" port]`; an IPv6 host must be bracketed (RFC 3261 §25.1, RFC 5118 §4.2). */
export function parseHostPort(text: string): { host: string; port?: number } | undefined {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return undefined;
    host = text.slice(0, close + 1);
    const after = text.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) return undefined;
    portText = after === '' ? undefined : after.slice(1);
    // RFC 5118 §4.10: only RFC 4291 addresses (no `:::`) are valid references
    if (!isIPv6(host.slice(1, -1))) return undefined;
  } else {
    const c = text.indexOf(':');
    host = c < 0 ? text : text.slice(0, c);
    portText = c < 0 ? undefined : text.slice(c + 1);
    if (!isValidHostName(host)) return undefined;
  }
  if (portText === undefined) return { host };
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535) return undefined;
  return { host, port };
}

function isValidHostName(host: string): boolean {
  if (/^[\d.]+$/.test(host)) return isIPv4(host);
  return HOSTNAME_RE.test(host);
}

function parseTelUri(rest: string): TelUri | undefined {
  const parts = rest.split(';');
  const number = parts[0] ?? '';
  if (!TEL_NUMBER_RE.test(number)) return undefined;
  const params = new Map<string, string | null>();
  for (const part of parts.slice(1)) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? null : part.slice(eq + 1);
    if (!PARAMCHARS_RE.test(name)) return undefined;
    if (value !== null && !PARAMCHARS_RE.test(value)) return undefined;
    params.set(name.toLowerCase(), value);
  }
  return { scheme: 'tel', number, params };
}

/** Renders a URI from its raw components (no escaping is added or removed). */
export function formatUri(uri: Uri): string {
  if (isSipUri(uri)) {
    let s = `${uri.scheme}:`;
    if (uri.user !== undefined) {
      s += uri.user;
      if (uri.password !== undefined) s += `:${uri.password}`;
      s += '@';
    }
    s += uri.host;
    if (uri.port !== undefined) s += `:${uri.port}`;
    for (const [name, value] of uri.params) s += value === null ? `;${name}` : `;${name}=${value}`;
    let sep = '?';
    for (const [name, value] of uri.headers) {
      s += `${sep}${name}=${value}`;
      sep = '&';
    }
    return s;
  }
  if (isTelUri(uri)) {
    let s = `tel:${uri.number}`;
    for (const [name, value] of uri.params) s += value === null ? `;${name}` : `;${name}=${value}`;
    return s;
  }
  return `${uri.scheme}:${uri.opaque}`;
}

/** Decodes `%HH` escapes once, into bytes (so an escaped NUL stays a NUL, RFC 4475 §3.1.1.4). */
export function unescapeBytes(text: string): Buffer {
  if (!text.includes('%')) return Buffer.from(text, 'utf8');
  const out: number[] = [];
  const src = Buffer.from(text, 'utf8');
  for (let i = 0; i < src.length; i++) {
    const b = src[i]!;
    if (b === 0x25 && i + 2 < src.length && isHex(src[i + 1]!) && isHex(src[i + 2]!)) {
      out.push(Number.parseInt(String.fromCharCode(src[i + 1]!, src[i + 2]!), 16));
      i += 2;
    } else out.push(b);
  }
  return Buffer.from(out);
}

function isHex(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
}

function asciiLower(buf: Buffer): Buffer {
  const out = Buffer.from(buf);
  for (let i = 0; i < out.length; i++) if (out[i]! >= 0x41 && out[i]! <= 0x5a) out[i] = out[i]! + 0x20;
  return out;
}

function sameEscaped(a: string | undefined, b: string | undefined, caseless: boolean): boolean {
  if (a === undefined || b === undefined) return a === b;
  const x = unescapeBytes(a);
  const y = unescapeBytes(b);
  return caseless ? asciiLower(x).equals(asciiLower(y)) : x.equals(y);
}

/** RFC 3261 §19.1.4: parameters that make URIs differ when present in only one of them. */
const SIGNIFICANT_PARAMS = ['user', 'ttl', 'method', 'maddr', 'transport'];

/**
 * URI equality per RFC 3261 §19.1.4 (SIP/SIPS), RFC 3966 §4 (tel, visual separators
 * ignored) and plain case-insensitive scheme + exact text for other schemes. Accepts raw
 * text or parsed URIs; text that does not parse is never equal to anything.
 */
export function uriEquals(a: string | Uri, b: string | Uri): boolean {
  const x = typeof a === 'string' ? parseUri(a) : a;
  const y = typeof b === 'string' ? parseUri(b) : b;
  if (!x || !y) return false;
  if (x.scheme !== y.scheme) return false;
  if (isSipUri(x) && isSipUri(y)) return sipUriEquals(x, y);
  if (isTelUri(x) && isTelUri(y)) {
    const digits = (n: string) => n.replace(/[().-]/g, '').toLowerCase();
    if (digits(x.number) !== digits(y.number)) return false;
    return sameParamMaps(x.params, y.params, true);
  }
  if (!isSipUri(x) && !isTelUri(x) && !isSipUri(y) && !isTelUri(y)) return x.opaque === y.opaque;
  return false;
}

function sipUriEquals(x: SipUri, y: SipUri): boolean {
  // RFC 3261 §19.1.4: userinfo is case-sensitive, compared after unescaping
  if (!sameEscaped(x.user, y.user, false)) return false;
  if (!sameEscaped(x.password, y.password, false)) return false;
  if (x.host.toLowerCase() !== y.host.toLowerCase()) {
    // IPv6 references compare by address, not spelling (RFC 5118 §4.3)
    if (!(x.host.startsWith('[') && y.host.startsWith('[') && sameIPv6(x.host, y.host))) return false;
  }
  // RFC 3261 §19.1.4: an omitted port is not equal to an explicit default port
  if (x.port !== y.port) return false;
  for (const [name, value] of x.params) {
    if (!y.params.has(name)) {
      if (SIGNIFICANT_PARAMS.includes(name)) return false;
      continue;
    }
    const other = y.params.get(name);
    if (value === null || other === null || other === undefined) {
      if (value !== other) return false;
    } else if (!sameEscaped(value, other, true)) return false;
  }
  for (const name of y.params.keys())
    if (!x.params.has(name) && SIGNIFICANT_PARAMS.includes(name)) return false;
  // RFC 3261 §19.1.4: header components must all be present and equal in both
  if (x.headers.size !== y.headers.size) return false;
  for (const [name, value] of x.headers) {
    let found = false;
    for (const [otherName, otherValue] of y.headers) {
      if (sameEscaped(name, otherName, true) && sameEscaped(value, otherValue, false)) found = true;
    }
    if (!found) return false;
  }
  return true;
}

function sameParamMaps(
  a: Map<string, string | null>,
  b: Map<string, string | null>,
  caseless: boolean,
): boolean {
  if (a.size !== b.size) return false;
  for (const [name, value] of a) {
    if (!b.has(name)) return false;
    const other = b.get(name) ?? null;
    if (value === null || other === null) {
      if (value !== other) return false;
    } else if (!sameEscaped(value, other, caseless)) return false;
  }
  return true;
}

function sameIPv6(a: string, b: string): boolean {
  return expandIPv6(a.slice(1, -1)) === expandIPv6(b.slice(1, -1));
}

/** Full 8-group lower-case form of a valid IPv6 address (embedded IPv4 converted). */
function expandIPv6(addr: string): string {
  let text = addr.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const o = v4[1]!.split('.').map(Number);
    const hi = ((o[0]! << 8) | o[1]!).toString(16);
    const lo = ((o[2]! << 8) | o[3]!).toString(16);
    text = `${text.slice(0, -v4[1]!.length)}${hi}:${lo}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => g.replace(/^0+(?=.)/, '')).join(':');
}
