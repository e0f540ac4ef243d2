/**
 * Reading what a SIPp peer received, for call-flow assertions: its INVITEs, the first
 * request of a kind, the caller's final answer, when a call reached twinline.
 */
import assert from 'node:assert/strict';
import { ladder, received, type SippMessage, sent } from './sipp.js';

export function invites(messages: readonly SippMessage[]): SippMessage[] {
  return received(messages).filter((x) => x.kind === 'request' && x.method === 'INVITE');
}

export function first(messages: readonly SippMessage[], method: string): SippMessage {
  const m = received(messages).find((x) => x.kind === 'request' && x.method === method);
  assert.ok(m, `expected a ${method}; got ${ladder(messages).join(', ') || 'nothing'}`);
  return m;
}

/** The caller's final response to its authenticated INVITE. */
export function final(caller: readonly SippMessage[]): SippMessage {
  const m = received(caller)
    .filter((x) => x.kind === 'response' && x.method === 'INVITE' && (x.status ?? 0) >= 200)
    .at(-1);
  assert.ok(m, 'the caller got a final response');
  return m;
}

/** The moment the call reached twinline: the caller's authenticated INVITE. */
export function callArrivedAt(caller: readonly SippMessage[]): number {
  const sentInvites = sent(caller).filter((m) => m.method === 'INVITE' && m.kind === 'request');
  assert.equal(sentInvites.length, 2, 'the caller sent the INVITE, then the authenticated INVITE');
  return sentInvites[1]!.timeMs;
}

/** The 200 OK a phone sent to answer, to compare with what the caller was connected to. */
export function answerOf(peer: readonly SippMessage[]): string {
  const ok = sent(peer).find((m) => m.status === 200 && m.method === 'INVITE');
  assert.ok(ok, 'the phone answered');
  return ok.body.replace(/\r/g, '');
}
