/**
 * Answering a request the parser refused. RFC 3261 §8.2 wants a 4xx/5xx where possible,
 * but a response can only be routed and matched when the request's Via, From, To,
 * Call-ID and CSeq can be read. This module scans the raw header block leniently for
 * exactly those fields; when any is missing the datagram is dropped, as RFC 3261 §18.1.2
 * allows for messages too malformed to answer.
 */
import { randomBytes } from 'node:crypto';
import { headerKey, makeResponse, type SipResponse } from '../message.js';

const NEEDED = ['via', 'from', 'to', 'call-id', 'cseq'] as const;

/** True when the bytes start like a request line (`METHOD uri SIP/…`), not a status line. */
export function looksLikeRequest(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 64).toString('latin1');
  return !/^\s*SIP\//i.test(head) && /^[A-Za-z]+ /.test(head);
}

/** Builds the `status` response for an unparseable request, or undefined to drop it. */
export function rejectionFor(bytes: Buffer, status: number, reason: string): SipResponse | undefined {
  if (status === 0 || !looksLikeRequest(bytes)) return undefined;
  // RFC 3261 §17.2.3: an ACK is never answered.
  if (/^ACK /i.test(bytes.subarray(0, 4).toString('latin1'))) return undefined;
  const end = bytes.indexOf('\r\n\r\n');
  const text = bytes.subarray(0, end < 0 ? Math.min(bytes.length, 16384) : end).toString('utf8');
  const lines = text.split(/\r?\n/).slice(1);
  const found = new Map<string, string[]>();
  let last: string | undefined;
  for (const line of lines) {
    if (/^[ \t]/.test(line) && last) {
      // RFC 3261 §7.3.1: a continuation line belongs to the header above it.
      const values = found.get(last);
      if (values?.length) values[values.length - 1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      last = undefined;
      continue;
    }
    const key = headerKey(line.slice(0, colon).trim());
    last = key;
    if (!found.has(key)) found.set(key, []);
    found.get(key)!.push(line.slice(colon + 1).trim());
  }
  for (const key of NEEDED) if (!found.get(key)?.length) return undefined;
  const fields: [string, string][] = [];
  for (const v of found.get('via')!) fields.push(['Via', v]);
  fields.push(['From', found.get('from')![0]!]);
  const to = found.get('to')![0]!;
  fields.push(['To', /;\s*tag=/i.test(to) ? to : `${to};tag=${randomBytes(6).toString('hex')}`]);
  fields.push(['Call-ID', found.get('call-id')![0]!]);
  fields.push(['CSeq', found.get('cseq')![0]!]);
  return makeResponse(status, reason, fields);
}
