/**
 * Typed views of the header fields that transactions and dialogs key on: Via, CSeq,
 * Call-ID and the From/To tags. Parsing is lenient about whitespace (RFC 3261 §7.3.1
 * LWS) and strict about structure: a value that cannot be understood yields undefined,
 * and the caller answers 400.
 */
import type { SipMessage } from './message.js';

/** RFC 3261 §8.1.1.7: branches starting with this cookie are RFC 3261 compliant. */
export const MAGIC_COOKIE = 'z9hG4bK';

/** A parsed via-parm. Read-only: parseVia hands the same object to every caller of a value. */
export interface Via {
  /** e.g. "SIP/2.0/UDP" (upper-cased transport). */
  readonly protocol: string;
  readonly transport: string;
  readonly host: string;
  readonly port?: number;
  readonly params: ReadonlyMap<string, string | null>;
  readonly branch?: string;
}

/** Splits a header value at top-level commas (outside quotes and angle brackets). */
export function splitCommas(value: string): string[] {
  const out: string[] = [];
  let depthAngle = 0;
  let inQuote = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (inQuote) {
      if (c === '\\') i++;
      else if (c === '"') inQuote = false;
    } else if (c === '"') inQuote = true;
    else if (c === '<') depthAngle++;
    else if (c === '>') depthAngle = Math.max(0, depthAngle - 1);
    else if (c === ',' && depthAngle === 0) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((v) => v.length > 0);
}

/** Parses `;name=value;flag` parameter lists (names lower-cased, values kept). */
export function parseParams(text: string): Map<string, string | null> {
  const params = new Map<string, string | null>();
  for (const part of splitParams(text)) {
    const eq = part.indexOf('=');
    if (eq < 0) params.set(part.trim().toLowerCase(), null);
    else params.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return params;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SEMICOLON = 0x3b;

/** Splits at `;` outside quoted strings (slices of `text`, not a string built per char). */
function splitParams(text: string): string[] {
  const out: string[] = [];
  let inQuote = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inQuote) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inQuote = false;
    } else if (c === QUOTE) inQuote = true;
    else if (c === SEMICOLON) {
      const part = text.slice(start, i);
      if (part.trim()) out.push(part);
      start = i + 1;
    }
  }
  const last = text.slice(start);
  if (last.trim()) out.push(last);
  return out;
}

const VIA_RE =
  /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z0-9.!%*_+`'~-]+)\s+(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?:\s*:\s*(\d{1,5}))?\s*(;.*)?$/;

/**
 * The last via-parms parsed: a request's top Via is parsed by the layer to check it, to
 * stamp `received`, to match and file the transaction, and to route each response, and the
 * response's by the client transaction and the dialog; each parse was a regex and a
 * parameter list. Keyed by the text, so an edited Via is parsed anew.
 */
const VIA_MEMO_SIZE = 8;
const viaMemoText: (string | undefined)[] = new Array(VIA_MEMO_SIZE).fill(undefined);
const viaMemoVia: (Via | undefined)[] = new Array(VIA_MEMO_SIZE).fill(undefined);
let viaMemoNext = 0;

/** Parses one via-parm (one element of a Via header value). */
export function parseVia(value: string): Via | undefined {
  for (let i = 0; i < VIA_MEMO_SIZE; i++) {
    if (viaMemoText[i] === value) return viaMemoVia[i];
  }
  const via = parseViaText(value);
  viaMemoText[viaMemoNext] = value;
  viaMemoVia[viaMemoNext] = via;
  viaMemoNext = (viaMemoNext + 1) % VIA_MEMO_SIZE;
  return via;
}

function parseViaText(value: string): Via | undefined {
  const m = VIA_RE.exec(value.trim());
  if (!m) return undefined;
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  const params = m[4] ? parseParams(m[4]) : new Map<string, string | null>();
  const transport = m[1]!.toUpperCase();
  const branch = params.get('branch') ?? undefined;
  return { protocol: `SIP/2.0/${transport}`, transport, host: m[2]!, port, params, branch };
}

/** Every via-parm of the message, top first. */
export function vias(msg: SipMessage): string[] {
  return msg.headers.getAll('via').flatMap(splitCommas);
}

/** The first element of a comma-separated value, as splitCommas(value)[0] gives it. */
export function firstCommaPart(value: string): string | undefined {
  if (!value.includes(',')) {
    const whole = value.trim();
    return whole.length > 0 ? whole : undefined;
  }
  return splitCommas(value)[0];
}

/** The top via-parm, as vias(msg)[0], without splitting every Via below it. */
export function topViaText(msg: SipMessage): string | undefined {
  const top = msg.headers.get('via');
  if (top === undefined) return undefined;
  const first = firstCommaPart(top);
  if (first !== undefined) return first;
  for (const value of msg.headers.getAll('via')) {
    const first = firstCommaPart(value);
    if (first !== undefined) return first;
  }
  return undefined;
}

export function topVia(msg: SipMessage): Via | undefined {
  const first = topViaText(msg);
  return first === undefined ? undefined : parseVia(first);
}

export interface CSeq {
  seq: number;
  method: string;
}

/** RFC 3261 §8.1.1.5: the sequence number is a 32-bit unsigned integer. */
export function parseCSeq(value: string | undefined): CSeq | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{1,10})\s+([A-Za-z0-9.!%*_+`'~-]+)$/.exec(value.trim());
  if (!m) return undefined;
  const seq = Number(m[1]);
  if (seq > 0xffffffff) return undefined;
  return { seq, method: m[2]! };
}

export function cseqOf(msg: SipMessage): CSeq | undefined {
  return parseCSeq(msg.headers.get('cseq'));
}

export function callIdOf(msg: SipMessage): string | undefined {
  return msg.headers.get('call-id')?.trim();
}

/** The `tag` parameter of a From or To value (outside the <> of a name-addr). */
export function tagOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const close = value.lastIndexOf('>');
  const params = close >= 0 ? value.slice(close + 1) : value.slice(Math.max(0, value.indexOf(';')));
  const tag = parseParams(params.startsWith(';') ? params.slice(1) : params).get('tag');
  return tag ?? undefined;
}

export function fromTagOf(msg: SipMessage): string | undefined {
  return tagOf(msg.headers.get('from'));
}

export function toTagOf(msg: SipMessage): string | undefined {
  return tagOf(msg.headers.get('to'));
}
