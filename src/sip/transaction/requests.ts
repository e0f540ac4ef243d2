/**
 * Requests that a transaction builds from another one: the ACK for a non-2xx final
 * response (RFC 3261 §17.1.1.3) and CANCEL (§9.1). Both are hop-by-hop, so both carry
 * the INVITE's top Via (same branch) and nothing else of the Via list.
 */
import { vias } from '../fields.js';
import { makeRequest, type SipRequest, type SipResponse } from '../message.js';

function copyCommon(invite: SipRequest, method: 'ACK' | 'CANCEL', to: string | undefined): SipRequest {
  const req = makeRequest(method, invite.uri);
  const h = req.headers;
  const topVia = vias(invite)[0];
  // RFC 3261 §17.1.1.3 and §9.1: a single Via, equal to the top Via of the original request.
  if (topVia !== undefined) h.append('Via', topVia);
  const maxForwards = invite.headers.get('max-forwards');
  h.append('Max-Forwards', maxForwards ?? '70');
  // RFC 3261 §17.1.1.3 and §9.1: Route header fields of the INVITE appear in the ACK/CANCEL.
  for (const route of invite.headers.getAll('route')) h.append('Route', route);
  const from = invite.headers.get('from');
  if (from !== undefined) h.append('From', from);
  if (to !== undefined) h.append('To', to);
  const callId = invite.headers.get('call-id');
  if (callId !== undefined) h.append('Call-ID', callId);
  const seq = /^\s*(\d+)/.exec(invite.headers.get('cseq') ?? '')?.[1];
  // RFC 3261 §17.1.1.3 / §9.1: the CSeq number of the INVITE, with the method changed.
  if (seq !== undefined) h.append('CSeq', `${seq} ${method}`);
  return req;
}

/**
 * RFC 3261 §17.1.1.3: the ACK for a 300–699 response: Request-URI, Call-ID, From and CSeq
 * number of the INVITE, To of the response (it carries the UAS's tag), the INVITE's top Via.
 */
export function buildNon2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  return copyCommon(invite, 'ACK', response.headers.get('to') ?? invite.headers.get('to'));
}

/**
 * RFC 3261 §9.1: a CANCEL for `invite`: same Request-URI, Call-ID, To, From, CSeq number
 * and top Via; Route copied. RFC 3326: an optional Reason (e.g. `SIP;cause=200;text="Call
 * completed elsewhere"`).
 */
export function buildCancel(invite: SipRequest, reason?: string): SipRequest {
  const cancel = copyCommon(invite, 'CANCEL', invite.headers.get('to'));
  if (reason !== undefined) cancel.headers.append('Reason', reason);
  return cancel;
}
