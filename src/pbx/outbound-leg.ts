/**
 * One outgoing branch of a call (STYLE 7: forking is explicit branch objects): an INVITE
 * to one target, its early dialogs, its answer, its end. The B2BUA's fork decides; the
 * branch only reports and obeys.
 *
 * ```
 *  calling ──1xx──> early ──2xx (ACKed at once)──> answered ──accept()──> connected
 *     │               │                               └──hangUp()──> ended (BYE)
 *     │               ├──3xx-6xx──> failed
 *     └──cancel()──> cancelling ──487 / timeout──> ended   (a 2xx that crosses the CANCEL: ACK, then BYE)
 * ```
 *
 * An answered branch is held: the answer guard (AG-1) may still refuse it, so nothing is
 * bridged until the owner calls `accept()`.
 */

import type { Dialog } from '../sip/dialog.js';
import { cseqOf } from '../sip/fields.js';
import { makeResponse, type SipRequest, type SipResponse } from '../sip/message.js';
import { createResponse } from '../sip/response.js';
import type { ClientInviteTransaction, ServerTransaction } from '../sip/transaction/index.js';
import type { Endpoint } from '../sip/transport/types.js';
import type { TimerHandle } from '../util/clock.js';
import { type DialogOwner, type SipContext, sendInDialog } from './sip-context.js';

export type OutboundState =
  | 'calling'
  | 'early'
  | 'answered'
  | 'connected'
  | 'cancelling'
  | 'failed'
  | 'ended';

const MOVES: Readonly<Record<OutboundState, readonly OutboundState[]>> = {
  calling: ['early', 'answered', 'cancelling', 'failed', 'ended'],
  early: ['early', 'answered', 'cancelling', 'failed', 'ended'],
  answered: ['connected', 'ended'],
  connected: ['ended'],
  cancelling: ['ended', 'failed'],
  failed: [],
  ended: [],
};

export interface OutboundEvents {
  /** A provisional response (each early dialog's 18x; Teams sends one per client). */
  onProgress?(leg: OutboundLeg, response: SipResponse): void;
  /** A 2xx arrived and was ACKed; the leg waits for accept() or hangUp(). */
  onAnswered(leg: OutboundLeg, response: SipResponse): void;
  /** A final 3xx–6xx, a timeout (408) or a transport failure (503), before any answer. */
  onFailed(leg: OutboundLeg, status: number, response?: SipResponse): void;
  /** The far end hung up (BYE) after answering. */
  onHungUp(leg: OutboundLeg): void;
  /** An in-dialog request other than BYE (re-INVITE, UPDATE, INFO) once connected. */
  onRequest?(leg: OutboundLeg, tx: ServerTransaction): void;
}

const IGNORE = { onResponse() {}, onTimeout() {}, onTransportError() {} };

export class IllegalLegMoveError extends Error {
  readonly code = 'ILLEGAL_LEG_MOVE';
}

export class OutboundLeg implements DialogOwner {
  private current: OutboundState = 'calling';
  private tx: ClientInviteTransaction | undefined;
  private dialog: Dialog | undefined;
  private answer: SipResponse | undefined;
  private readonly earlyTags = new Set<string>();
  private release: (() => void) | undefined;
  /** When the INVITE was sent (clock ms): the answer guard is timed from here (AG-2). */
  sentAt: number;
  private retried = false;
  private cancelReason: string | undefined;
  private silenceLimitMs: number | undefined;
  private silenceStatus = 503;
  private silenceTimer: TimerHandle | undefined;
  private heard = false;
  private prepare: (() => Promise<void>) | undefined;

  /**
   * @param retry asked once when the branch fails before any answer: a new INVITE to
   *   send instead (caller-ID rejection, see caller-id.ts), or undefined to fail.
   */
  constructor(
    private readonly ctx: SipContext,
    readonly id: string,
    public invite: SipRequest,
    readonly peer: Endpoint,
    private readonly events: OutboundEvents,
    private readonly retry?: (failure: SipResponse) => SipRequest | undefined,
  ) {
    this.sentAt = ctx.clock.now();
  }

  get state(): OutboundState {
    return this.current;
  }

  /** The 2xx's body (the SDP answer) once answered. */
  get answerBody(): { body: Buffer; contentType?: string } | undefined {
    return this.answer
      ? { body: this.answer.body, contentType: this.answer.headers.get('content-type') }
      : undefined;
  }

  /** How many early dialogs (distinct To tags in 1xx) this branch has seen. */
  get earlyDialogs(): number {
    return this.earlyTags.size;
  }

  /**
   * Gives up on a peer that has not answered anything (not even 100 Trying) within
   * `ms`, failing with `status` (503: the trunk is unavailable): a trunk that is down
   * should send the call down its failure path now, not after Timer B's 32 s.
   * (decision; the transaction is dropped with the branch.)
   */
  failIfSilentFor(ms: number, status = 503): this {
    this.silenceLimitMs = ms;
    this.silenceStatus = status;
    return this;
  }

  /**
   * Work to finish before the INVITE is sent (allocating relay ports and anchoring the
   * SDP). A failure fails the branch with 503.
   */
  prepareWith(prepare: () => Promise<void>): this {
    this.prepare = prepare;
    return this;
  }

  start(): void {
    const prepare = this.prepare;
    if (prepare) {
      this.prepare = undefined;
      prepare().then(
        () => {
          if (this.current === 'calling') this.start();
        },
        () => this.fail(503),
      );
      return;
    }
    this.heard = false;
    if (this.silenceLimitMs !== undefined) {
      this.silenceTimer?.cancel();
      this.silenceTimer = this.ctx.clock.setTimer(this.silenceLimitMs, () => {
        if (this.heard || (this.current !== 'calling' && this.current !== 'cancelling')) return;
        this.tx?.dispose();
        this.fail(this.silenceStatus);
      });
    }
    const callId = this.invite.headers.get('call-id') ?? '';
    const fromTag = /;\s*tag=([^;>\s]+)/i.exec(this.invite.headers.get('from') ?? '')?.[1] ?? '';
    this.release = this.ctx.ownInvite(callId, fromTag, this);
    this.tx = this.ctx.transactions.sendInvite(
      this.invite,
      this.peer,
      this.ctx.transport(this.peer.protocol),
      {
        onResponse: (res) => this.onResponse(res),
        onTimeout: () => this.fail(408),
        onTransportError: () => this.fail(503),
      },
    );
  }

  /** Ends the branch whatever its state: CANCEL while unanswered, BYE once answered. */
  cancel(reason?: string): void {
    switch (this.current) {
      case 'calling':
      case 'early':
        this.move('cancelling');
        this.cancelReason = reason;
        // RFC 3326: the Reason tells the phone whether this was a missed call.
        this.tx?.cancel(reason ? { reason } : {});
        return;
      case 'answered':
      case 'connected':
        this.hangUp(reason);
        return;
      default:
        return;
    }
  }

  /** The owner takes the answer: the branch is now the call's other half. */
  accept(): void {
    if (this.current === 'answered') this.move('connected');
  }

  /** Sends BYE on the confirmed dialog. */
  hangUp(reason?: string): void {
    if (this.current !== 'answered' && this.current !== 'connected') return;
    this.move('ended');
    if (this.dialog) this.sendBye(this.dialog, reason);
    this.cleanup();
  }

  private sendBye(dialog: Dialog, reason?: string): void {
    const bye = dialog.createRequest('BYE', reason ? { headers: [['Reason', reason]] } : {});
    this.ctx.transactions.sendRequest(bye, this.peer, this.ctx.transport(this.peer.protocol), IGNORE);
    dialog.terminate();
  }

  /** Sends an in-dialog request (re-INVITE, UPDATE, INFO) and resolves with its final response. */
  request(method: string, body?: Buffer, contentType?: string): Promise<SipResponse> {
    const dialog = this.dialog;
    if (!dialog || this.current !== 'connected') return Promise.resolve(failure(481));
    return sendInDialog(this.ctx, dialog, this.peer, method, body, contentType);
  }

  onDialogRequest(tx: ServerTransaction, dialog: Dialog): void {
    if (tx.request.method === 'BYE') {
      tx.respond(createResponse(tx.request, 200));
      const was = this.current;
      if (was === 'answered' || was === 'connected') {
        this.move('ended');
        dialog.terminate();
        this.cleanup();
        this.events.onHungUp(this);
      }
      return;
    }
    // An answered branch not yet bridged (CONF-1 waiting for its keypress) may send INFO DTMF.
    const open =
      this.current === 'connected' || (this.current === 'answered' && tx.request.method === 'INFO');
    if (open && this.events.onRequest) {
      this.events.onRequest(this, tx);
      return;
    }
    tx.respond(createResponse(tx.request, this.current === 'connected' ? 501 : 491));
  }

  onStray2xx(response: SipResponse): void {
    const tag = /;\s*tag=([^;>\s]+)/i.exec(response.headers.get('to') ?? '')?.[1];
    const ours = this.dialog && tag === this.dialog.id.remoteTag;
    if (ours && this.dialog) {
      // RFC 3261 §13.2.2.4: a retransmitted 2xx gets the same ACK again.
      this.sendAck(this.dialog, response);
      return;
    }
    // A 2xx from a second downstream fork: ACK it, then BYE it (STYLE 7).
    const extra = this.ctx.dialogs.uacResponse(this.invite, response);
    if (!extra) return;
    this.sendAck(extra, response);
    this.sendBye(extra);
  }

  private onResponse(res: SipResponse): void {
    this.heard = true;
    this.silenceTimer?.cancel();
    if (res.status < 200) {
      if (res.status === 100) return;
      const tag = /;\s*tag=([^;>\s]+)/i.exec(res.headers.get('to') ?? '')?.[1];
      if (tag) this.earlyTags.add(tag);
      if (this.current === 'calling' || this.current === 'early') this.move('early');
      this.events.onProgress?.(this, res);
      return;
    }
    if (res.status < 300) {
      const dialog = this.ctx.dialogs.uacResponse(this.invite, res);
      if (!dialog) {
        this.fail(502);
        return;
      }
      this.dialog = dialog;
      this.ctx.own(dialog, this);
      this.answer = res;
      this.sendAck(dialog, res);
      if (this.current === 'cancelling') {
        // The 2xx crossed our CANCEL: the call is up at the far end, so ACK then BYE it,
        // with the CANCEL's Reason (a phone that answered too late logs it the same way).
        this.move('ended');
        this.sendBye(dialog, this.cancelReason);
        this.cleanup();
        return;
      }
      this.move('answered');
      this.events.onAnswered(this, res);
      return;
    }
    this.fail(res.status, res);
  }

  private sendAck(dialog: Dialog, res: SipResponse): void {
    const seq = cseqOf(res)?.seq ?? cseqOf(this.invite)?.seq ?? 1;
    this.ctx.transactions.sendAck(dialog.createAck(seq), this.peer, this.ctx.transport(this.peer.protocol));
  }

  private fail(status: number, res?: SipResponse): void {
    const was = this.current;
    if (was === 'failed' || was === 'ended' || was === 'answered' || was === 'connected') return;
    const again = was !== 'cancelling' && res && !this.retried ? this.retry?.(res) : undefined;
    if (again) {
      // Once, at once: the same branch with a new INVITE (a new dialog), still 'calling'.
      this.retried = true;
      this.cleanup();
      this.current = 'calling';
      this.invite = again;
      this.sentAt = this.ctx.clock.now();
      this.start();
      return;
    }
    this.move(was === 'cancelling' ? 'ended' : 'failed');
    this.cleanup();
    if (was !== 'cancelling') this.events.onFailed(this, status, res);
  }

  private cleanup(): void {
    this.silenceTimer?.cancel();
    this.release?.();
    this.release = undefined;
  }

  private move(to: OutboundState): void {
    if (!MOVES[this.current].includes(to)) {
      throw new IllegalLegMoveError(`leg ${this.id}: ${this.current} -> ${to}`);
    }
    this.current = to;
  }
}

/** A response twinline makes up for a request that got none (timeout 408, transport 503). */
function failure(status: number): SipResponse {
  return makeResponse(
    status,
    status === 408
      ? 'Request Timeout'
      : status === 503
        ? 'Service Unavailable'
        : 'Call/Transaction Does Not Exist',
  );
}
