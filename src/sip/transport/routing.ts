/**
 * Where responses go and what a server notes on requests it receives: RFC 3261 §18.2
 * with the symmetric response routing of RFC 3581 (rport).
 */
import { firstCommaPart, parseVia, splitCommas } from '../fields.js';
import { headerKey, type SipMessage, type SipRequest } from '../message.js';
import type { Endpoint } from './types.js';

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function formatHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

/**
 * RFC 3261 §18.2.1: when the sent-by host differs from the packet's source address, add
 * `received`; RFC 3581 §4: when the top Via has an empty `rport`, fill in the source port
 * (and add `received` even if the host matches). Rewrites the top Via value in place.
 */
export function stampReceived(request: SipRequest, source: Endpoint): void {
  const fields = request.headers.fields;
  const idx = fields.findIndex((f) => headerKey(f.name) === 'via');
  if (idx < 0) return;
  const field = fields[idx]!;
  const parts = splitCommas(field.value);
  const top = parts[0];
  if (top === undefined) return;
  const via = parseVia(top);
  if (!via) return;
  let rewritten = top;
  const wantsRport = via.params.has('rport') && via.params.get('rport') === null;
  if (stripBrackets(via.host) !== source.address || wantsRport) {
    if (!via.params.has('received')) rewritten += `;received=${source.address}`;
  }
  if (wantsRport) rewritten = rewritten.replace(/;\s*rport(?=\s*(;|$))/i, `;rport=${source.port}`);
  if (rewritten !== top) {
    parts[0] = rewritten;
    fields[idx] = { name: field.name, value: parts.join(', ') };
  }
}

/**
 * RFC 3261 §18.2.2 and RFC 3581 §4: the endpoint a response to `request` is sent to.
 * Reliable transports answer on the connection the request came in on (same remote end);
 * for UDP: `maddr` wins, then `received` with the `rport` value (or the sent-by port), then
 * the sent-by itself (default port 5060).
 */
export function responseDestination(request: SipMessage, source: Endpoint): Endpoint {
  const top = firstCommaPart(request.headers.get('via') ?? '');
  const via = top === undefined ? undefined : parseVia(top);
  if (!via || source.protocol === 'TCP') return source;
  const maddr = via.params.get('maddr');
  if (maddr) return { protocol: source.protocol, address: stripBrackets(maddr), port: via.port ?? 5060 };
  const received = via.params.get('received');
  const rport = via.params.get('rport');
  const port = rport ? Number(rport) : (via.port ?? 5060);
  if (received) return { protocol: source.protocol, address: stripBrackets(received), port };
  if (rport) return { protocol: source.protocol, address: source.address, port };
  return { protocol: source.protocol, address: stripBrackets(via.host), port: via.port ?? 5060 };
}

export { formatHost };
