/**
 * Typed views of the header fields that transactions and dialogs key on: Via, CSeq,
 * Call-ID and the From/To tags. Parsing is lenient about whitespace (RFC 3261 §7.3.1
 * LWS) and strict about structure: a value that cannot be understood yields undefined,
 * and the caller answers 400.
 */
import type { SipMessage } from './message.js';

/** RFC 3261 §8.1.1.7: branches starting with this cookie are RFC 3261 compliant. */
export const MAGIC_COOKIE = 'z9hG4bK';

export interface Via {
  /** e.g. "SIP/2.0/UDP" (upper-cased transport). */
  protocol: string;
  transport: string;
  host: string;
  port?: number;
  params: Map<string, string | null>;
  branch?: string;
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

function splitParams(text: string): string[] {
  const out: string[] = [];
  let inQuote = false;
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inQuote) {
      cur += c;
      if (c === '\\' && i + 1 < text.length) cur += text[++i];
      else if (c === '"') inQuote = false;
    } else if (c === '"') {
      inQuote = true;
      cur += c;
    } else if (c === ';') {
      if (cur.trim()) out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur.trim()) out.push(cur);
  return out;
}

const VIA_RE =
  /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z0-9.!%*_+`'~-]+)\s+(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?:\s*:\s*(\d{1,5}))?\s*(;.*)?$/;

/** Parses one via-parm (one element of a Via header value). */
export function parseVia(value: string): Via | undefined {
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

export function topVia(msg: SipMessage): Via | undefined {
  const first = vias(msg)[0];
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
