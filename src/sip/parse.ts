/**
 * Turns the bytes of one SIP message (a UDP datagram, or one message cut from a TCP stream
 * by framing.ts) into the message model, or into the response a server would send back.
 *
 * The parser is syntactic: start line, header lines (unfolded, RFC 3261 §7.3.1), and the
 * body cut by Content-Length. What the header values mean (mandatory fields, CSeq/method
 * agreement, Require…) is validate.ts's job, except for responses: a malformed response
 * is dropped here (status 0), since nothing is ever sent back for one.
 *
 * It never throws on any input; every failure is a `{ ok: false }` result.
 */

import { type ParseLimits, resolveLimits } from './limits.js';
import { type HeaderField, Headers, headerKey, type SipMessage } from './message.js';
import { rawMessages } from './raw.js';
import { parseUri } from './uri.js';
import { responseDefect } from './validate.js';

export type ParseResult =
  | { ok: true; message: SipMessage }
  /** status 0: discard silently (a malformed response, RFC 3261 §18.1.2 / §16.7). */
  | { ok: false; status: number; reason: string };

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;

const TOKEN_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const VERSION_RE = /^SIP\/\d+\.\d+$/i;
const URI_RE = /^[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x7e]+$/;
const STATUS_LINE_RE = /^(SIP\/\d+\.\d+) ([1-6]\d\d)(?: ([^\r\n]*))?$/i;

interface Line {
  start: number;
  /** End of the line's content (before CR LF or LF). */
  end: number;
  /** Start of the next line. */
  next: number;
}

/** The next line from `pos`; lines end in CRLF (bare LF tolerated). Undefined when unterminated. */
function readLine(bytes: Buffer, pos: number): Line | undefined {
  const lf = bytes.indexOf(LF, pos);
  if (lf < 0) return undefined;
  const end = lf > pos && bytes[lf - 1] === CR ? lf - 1 : lf;
  return { start: pos, end, next: lf + 1 };
}

function isWsByte(b: number | undefined): boolean {
  return b === SP || b === HT;
}

function trimWs(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s[a] === ' ' || s[a] === '\t')) a++;
  while (b > a && (s[b - 1] === ' ' || s[b - 1] === '\t')) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

function looksLikeResponse(bytes: Buffer, pos: number): boolean {
  return (
    bytes.length >= pos + 4 &&
    (bytes[pos]! | 0x20) === 0x73 &&
    (bytes[pos + 1]! | 0x20) === 0x69 &&
    (bytes[pos + 2]! | 0x20) === 0x70 &&
    bytes[pos + 3] === 0x2f
  );
}

/** Parses one SIP message. Never throws on any input. */
export function parseMessage(bytes: Buffer, limits?: Partial<ParseLimits>): ParseResult {
  const lim = resolveLimits(limits);
  let pos = 0;
  // RFC 3261 §7.5: CRLFs before the start line are ignored
  while (pos < bytes.length && (bytes[pos] === CR || bytes[pos] === LF)) pos++;
  if (pos >= bytes.length) return { ok: false, status: 0, reason: 'Empty message' };
  const isResponse = looksLikeResponse(bytes, pos);
  const fail = (status: number, reason: string): ParseResult => ({
    ok: false,
    status: isResponse ? 0 : status,
    reason,
  });

  // RFC 3261 §21.5.11: a request over the size limit gets 513; a response is dropped
  if (bytes.length - pos > lim.maxMessageBytes) return fail(513, 'Message Too Large');

  const sl = readLine(bytes, pos);
  if (!sl) return fail(400, 'Start line not terminated');
  if (sl.end - sl.start > lim.maxHeaderLineBytes) return fail(513, 'Start line too long');
  const startText = bytes.toString('utf8', sl.start, sl.end);

  let message: SipMessage;
  const headers = new Headers();
  if (isResponse) {
    // RFC 3261 §7.2: Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    const m = STATUS_LINE_RE.exec(startText);
    if (!m) return fail(0, 'Malformed status line');
    message = {
      type: 'response',
      version: m[1]!,
      status: Number(m[2]),
      reason: m[3] ?? '',
      headers,
      body: Buffer.alloc(0),
    };
  } else {
    // RFC 3261 §7.1: Request-Line = Method SP Request-URI SP SIP-Version CRLF, single SPs
    // only (RFC 4475 §3.1.2.9 lwsstart, §3.1.2.10 trws).
    const parts = startText.split(' ');
    if (parts.length !== 3) return fail(400, 'Malformed request line');
    const [method, uri, version] = parts as [string, string, string];
    if (!TOKEN_RE.test(method)) return fail(400, 'Malformed method');
    // RFC 4475 §3.1.2.7: the Request-URI is never enclosed in <>
    if (!URI_RE.test(uri)) return fail(400, 'Malformed Request-URI');
    const scheme = uri.slice(0, uri.indexOf(':')).toLowerCase();
    // RFC 5118 §4.2 / §4.10: a SIP Request-URI must parse, brackets around IPv6 included
    if ((scheme === 'sip' || scheme === 'sips' || scheme === 'tel') && !parseUri(uri)) {
      return fail(400, 'Malformed Request-URI');
    }
    if (!VERSION_RE.test(version)) return fail(400, 'Malformed SIP version');
    message = { type: 'request', method, uri, version, headers, body: Buffer.alloc(0) };
  }

  // Header lines; a line starting with SP or HTAB continues the previous field.
  const fields = headers.fields;
  const values: string[] = [];
  const ranges: number[] = [];
  let p = sl.next;
  let bodyStart = -1;
  let curName: string | undefined;
  let curStart = 0;
  let curEnd = 0;
  /** The first line's value; the folded lines' pieces join it only when there are some. */
  let curFirst = '';
  let curFolded: string[] | undefined;
  const flush = (): string | undefined => {
    if (curName === undefined) return undefined;
    const value = curFolded ? [curFirst, ...curFolded].filter((v) => v !== '').join(' ') : curFirst;
    const field: HeaderField = { name: curName, value };
    fields.push(field);
    values.push(value);
    ranges.push(curStart, curEnd);
    curName = undefined;
    curFolded = undefined;
    if (fields.length > lim.maxHeaders) return 'Too many header fields';
    return undefined;
  };
  for (;;) {
    const line = readLine(bytes, p);
    if (!line) {
      // NOT RFC COMPLIANT: a message that ends right after its last header line (no
      // empty line) is taken as having no body; some UAs send such datagrams.
      if (p >= bytes.length) {
        bodyStart = bytes.length;
        break;
      }
      return fail(400, 'Header section not terminated');
    }
    if (line.end === line.start) {
      bodyStart = line.next;
      break;
    }
    if (line.end - line.start > lim.maxHeaderLineBytes) return fail(513, 'Header line too long');
    if (isWsByte(bytes[line.start])) {
      // RFC 3261 §7.3.1: a folded line continues the previous field; LWS becomes one SP
      if (curName === undefined) return fail(400, 'Folded line without a header field');
      curFolded ??= [];
      curFolded.push(trimWs(bytes.toString('utf8', line.start, line.end)));
      curEnd = line.end;
      if (curEnd - curStart > lim.maxHeaderLineBytes) return fail(513, 'Header field too long');
      p = line.next;
      continue;
    }
    const overflow = flush();
    if (overflow) return fail(513, overflow);
    const colon = bytes.indexOf(0x3a, line.start);
    if (colon < 0 || colon >= line.end) return fail(400, 'Header line without a colon');
    let nameEnd = colon;
    while (nameEnd > line.start && isWsByte(bytes[nameEnd - 1])) nameEnd--;
    const name = bytes.toString('latin1', line.start, nameEnd);
    // RFC 3261 §7.3.1: header-name = token, then optional LWS before the colon
    if (!TOKEN_RE.test(name)) return fail(400, 'Malformed header name');
    curName = name;
    curStart = line.start;
    curEnd = line.end;
    curFirst = trimWs(bytes.toString('utf8', colon + 1, line.end));
    p = line.next;
  }
  const overflow = flush();
  if (overflow) return fail(513, overflow);
  rawMessages.set(message, {
    source: bytes,
    startLineStart: sl.start,
    startLineEnd: sl.end,
    startParts:
      message.type === 'request'
        ? [message.method, message.uri, message.version]
        : [message.version, message.status, message.reason],
    fields: fields.slice(),
    values,
    ranges,
  });

  // RFC 3261 §18.3 / §20.14: the body length comes from Content-Length
  const available = bytes.length - bodyStart;
  let clCount = 0;
  let clText: string | undefined;
  for (const f of fields) {
    if (headerKey(f.name) !== 'content-length') continue;
    for (const v of f.value.split(',')) {
      clCount++;
      clText = trimWs(v);
    }
  }
  let bodyLength = available;
  if (clCount > 1) {
    // RFC 4475 §3.3.9: Content-Length is single-valued; several values make it unusable
    return fail(400, 'Multiple Content-Length values');
  }
  if (clText !== undefined) {
    // RFC 4475 §3.1.2.3: a negative or non-numeric Content-Length is malformed
    if (!/^\d+$/.test(clText)) return fail(400, 'Invalid Content-Length');
    const declared = Number(clText);
    // RFC 3261 §18.3: a datagram shorter than its Content-Length is rejected (RFC 4475 §3.1.2.2)
    if (declared > available) return fail(400, 'Content-Length larger than message');
    // RFC 3261 §18.3: octets beyond Content-Length in a datagram are discarded (RFC 4475 §3.1.1.8)
    bodyLength = declared;
  }
  // RFC 3261 §18.3: without Content-Length a datagram's body runs to its end
  message.body = bytes.subarray(bodyStart, bodyStart + bodyLength);

  if (message.type === 'response') {
    const defect = responseDefect(message);
    // RFC 3261 §16.7 / RFC 4475 §3.1.2.5: a malformed response is dropped, never answered
    if (defect) return fail(0, defect);
  }
  return { ok: true, message };
}
