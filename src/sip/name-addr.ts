/**
 * name-addr / addr-spec values of From, To, Contact, Route and friends (RFC 3261 §20.10,
 * §25.1) with their header parameters. The URI stays raw text (see uri.ts on escaping).
 */
import { parseUri } from './uri.js';

export interface NameAddr {
  /** The display name with quoting removed (quoted-pairs resolved); undefined when absent. */
  displayName?: string;
  /** The URI exactly as written between `<` and `>` (or the addr-spec). */
  uri: string;
  /** Header parameters; names lower-cased, values raw (a quoted value keeps its quotes). */
  params: Map<string, string | null>;
}

const TOKEN_CHAR = /[A-Za-z0-9\-.!%*_+`'~]/;
const DISPLAY_TOKENS_RE = /^[A-Za-z0-9\-.!%*_+`'~]+(?:[ \t]+[A-Za-z0-9\-.!%*_+`'~]+)*$/;

function isWs(c: string | undefined): boolean {
  return c === ' ' || c === '\t';
}

function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s[i])) i++;
  return i;
}

/** Trims SP and HTAB only (String.trim would also eat a BOM or NBSP that belong to the value). */
export function trimWs(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isWs(s[a])) a++;
  while (b > a && isWs(s[b - 1])) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** Index of the closing quote of the quoted-string starting at `start`, or -1 when unterminated. */
export function quotedEnd(s: string, start: number): number {
  for (let i = start + 1; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '"') return i;
  }
  return -1;
}

/**
 * Splits a header value at top-level commas, keeping empty elements (so `a,,b` shows its
 * empty member) — the strict counterpart of fields.ts `splitCommas`. Undefined when a
 * quoted string or an angle bracket is left open.
 */
export function splitList(value: string): string[] | undefined {
  const out: string[] = [];
  let start = 0;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"') {
      const end = quotedEnd(value, i);
      if (end < 0) return undefined;
      i = end;
    } else if (c === '<') angle = true;
    else if (c === '>') angle = false;
    else if (c === ',' && !angle) {
      out.push(trimWs(value.slice(start, i)));
      start = i + 1;
    }
  }
  if (angle) return undefined;
  out.push(trimWs(value.slice(start)));
  return out;
}

/**
 * Parses `*( SEMI generic-param )` starting at `i` (RFC 3261 §25.1), allowing LWS around
 * `;` and `=`. Undefined on an empty or malformed parameter (RFC 4475 §3.1.2.1).
 */
export function parseGenericParams(s: string, i = 0): Map<string, string | null> | undefined {
  const params = new Map<string, string | null>();
  const n = s.length;
  i = skipWs(s, i);
  while (i < n) {
    if (s[i] !== ';') return undefined;
    i = skipWs(s, i + 1);
    const ns = i;
    while (i < n && TOKEN_CHAR.test(s[i]!)) i++;
    if (i === ns) return undefined;
    const name = s.slice(ns, i).toLowerCase();
    i = skipWs(s, i);
    let value: string | null = null;
    if (s[i] === '=') {
      i = skipWs(s, i + 1);
      if (s[i] === '"') {
        const end = quotedEnd(s, i);
        if (end < 0) return undefined;
        value = s.slice(i, end + 1);
        i = end + 1;
      } else if (s[i] === '[') {
        const close = s.indexOf(']', i);
        if (close < 0 || !/^\[[0-9A-Fa-f:.]+\]$/.test(s.slice(i, close + 1))) return undefined;
        value = s.slice(i, close + 1);
        i = close + 1;
      } else {
        const vs = i;
        while (i < n && (TOKEN_CHAR.test(s[i]!) || s[i] === ':')) i++;
        if (i === vs) return undefined;
        value = s.slice(vs, i);
        // RFC 5118 §4.5: an unbracketed IPv6 address (Via received=) is accepted as a value
        if (value.includes(':') && !/^[0-9A-Fa-f:.]+$/.test(value)) return undefined;
      }
      i = skipWs(s, i);
    }
    params.set(name, value);
  }
  return params;
}

function unquote(inner: string): string {
  return inner.replace(/\\([\s\S])/g, '$1');
}

/** Parses a name-addr or addr-spec followed by header parameters; undefined when malformed. */
export function parseNameAddr(text: string): NameAddr | undefined {
  const s = text;
  let i = skipWs(s, 0);
  let displayName: string | undefined;
  if (s[i] === '"') {
    const end = quotedEnd(s, i);
    if (end < 0) return undefined;
    displayName = unquote(s.slice(i + 1, end));
    i = skipWs(s, end + 1);
    if (s[i] !== '<') return undefined;
  } else {
    const lt = s.indexOf('<', i);
    if (lt < 0) return parseAddrSpec(s, i);
    const name = trimWs(s.slice(i, lt));
    // RFC 4475 §3.1.1.6: no LWS is needed between a token display name and `<`
    if (name !== '' && !DISPLAY_TOKENS_RE.test(name)) return undefined;
    if (name !== '') displayName = name;
    i = lt;
  }
  const close = s.indexOf('>', i);
  if (close < 0) return undefined;
  const uri = s.slice(i + 1, close);
  // RFC 4475 §3.1.2.14: no whitespace inside the <> of a name-addr
  if (!parseUri(uri) || /\s/.test(uri)) return undefined;
  const params = parseGenericParams(s, close + 1);
  if (!params) return undefined;
  const out: NameAddr = { uri, params };
  if (displayName !== undefined) out.displayName = displayName;
  return out;
}

function parseAddrSpec(s: string, i: number): NameAddr | undefined {
  const semi = s.indexOf(';', i);
  const uri = trimWs(s.slice(i, semi < 0 ? s.length : semi));
  // RFC 3261 §20.10: a URI with a comma, question mark or semicolon must use name-addr,
  // so in an addr-spec the first `;` starts the header parameters.
  if (uri === '' || /[\s,?]/.test(uri) || !parseUri(uri)) return undefined;
  const params = semi < 0 ? new Map<string, string | null>() : parseGenericParams(s, semi);
  if (!params) return undefined;
  return { uri, params };
}

/** Renders a NameAddr, always in name-addr form (`<uri>`), quoting the display name if needed. */
export function formatNameAddr(na: NameAddr): string {
  let s = '';
  if (na.displayName !== undefined) {
    s += DISPLAY_TOKENS_RE.test(na.displayName)
      ? `${na.displayName} `
      : `"${na.displayName.replace(/["\\]/g, (c) => `\\${c}`)}" `;
  }
  s += `<${na.uri}>`;
  for (const [name, value] of na.params) s += value === null ? `;${name}` : `;${name}=${value}`;
  return s;
}
