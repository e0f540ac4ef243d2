/**
 * Transaction matching (RFC 3261 §17.1.3 and §17.2.3): the keys under which the layer
 * files its transactions, and the RFC 2543 fallback for requests whose branch lacks the
 * magic cookie.
 */
import { callIdOf, cseqOf, fromTagOf, MAGIC_COOKIE, toTagOf, type Via, vias } from '../fields.js';
import type { SipRequest } from '../message.js';

/** RFC 3261 §17.1.3: a response matches by top Via branch and CSeq method. */
export function clientKey(branch: string, method: string): string {
  return `${branch}|${method.toUpperCase()}`;
}

export function sentBy(via: Via): string {
  return `${via.host.toLowerCase()}:${via.port ?? 5060}`;
}

export function hasMagicCookie(via: Via | undefined): via is Via & { branch: string } {
  return via?.branch?.startsWith(MAGIC_COOKIE) === true;
}

/**
 * RFC 3261 §17.2.3: branch + sent-by + method, where an ACK is filed under INVITE.
 * `method` lets CANCEL look up the transaction it cancels (§9.2).
 */
export function serverKey(via: Via & { branch: string }, method: string): string {
  const m = method.toUpperCase();
  return `${via.branch}|${sentBy(via)}|${m === 'ACK' ? 'INVITE' : m}`;
}

/**
 * What the RFC 2543 fallback compares, taken from the request as strings when the
 * transaction is created: the transaction lets go of the parsed request on its final
 * response, and an ACK must still match it after that.
 */
export interface LegacyKey {
  readonly method: string;
  readonly uri: string;
  readonly callId: string | undefined;
  readonly fromTag: string | undefined;
  readonly toTag: string | undefined;
  readonly seq: number;
  readonly cseqMethod: string;
  readonly topVia: string | undefined;
}

/** The LegacyKey of `req`; undefined without a CSeq (such a request never matches). */
export function legacyKeyOf(req: SipRequest): LegacyKey | undefined {
  const cseq = cseqOf(req);
  if (!cseq) return undefined;
  return {
    method: req.method,
    uri: req.uri,
    callId: callIdOf(req),
    fromTag: fromTagOf(req),
    toTag: toTagOf(req),
    seq: cseq.seq,
    cseqMethod: cseq.method,
    topVia: vias(req)[0],
  };
}

/** What the RFC 2543 fallback needs to know about a server transaction. */
export interface LegacyCandidate {
  readonly key: LegacyKey | undefined;
  /** The To tag of the responses the transaction sent. */
  readonly toTag: string | undefined;
}

/**
 * RFC 3261 §17.2.3, RFC 2543 fallback. `as`:
 * - `retransmission`: same Request-URI, To tag, From tag, Call-ID, CSeq and top Via;
 * - `ack`: the INVITE's Request-URI, From tag, Call-ID, CSeq number, top Via, and the To
 *   tag of the response the transaction sent;
 * - `cancel` (§9.2): as a retransmission, but with any method other than CANCEL and ACK.
 */
export function legacyMatches(
  tx: LegacyCandidate,
  req: SipRequest,
  as: 'retransmission' | 'ack' | 'cancel',
): boolean {
  const orig = tx.key;
  const b = cseqOf(req);
  if (!orig || !b || orig.seq !== b.seq) return false;
  if (orig.uri !== req.uri) return false;
  if (orig.callId !== callIdOf(req) || orig.fromTag !== fromTagOf(req)) return false;
  if (orig.topVia !== vias(req)[0]) return false;
  switch (as) {
    case 'retransmission':
      return orig.method === req.method && orig.cseqMethod === b.method && orig.toTag === toTagOf(req);
    case 'ack':
      return orig.method === 'INVITE' && toTagOf(req) === tx.toTag;
    case 'cancel':
      return orig.method !== 'CANCEL' && orig.method !== 'ACK' && orig.toTag === toTagOf(req);
  }
}
