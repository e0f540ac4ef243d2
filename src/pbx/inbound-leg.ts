/**
 * The caller's side of a call: the INVITE server transaction, the ringing we send back,
 * the answer (200, retransmitted until ACK per RFC 3261 §13.3.1.4) and the dialog after.
 *
 * ```
 *  offered ──ring()──> ringing ──answer()──> answering ──ACK──> confirmed ──BYE (either side)──> ended
 *     │                   │                       └──BYE before ACK──> ended
 *     └───────────────────┴──reject() / CANCEL──> ended
 * ```
 */

import { type Dialog, type Invite2xxRetransmitter, send2xxReliably } from '../sip/dialog.js';
import { newTag } from '../sip/ids.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import { createResponse } from '../sip/response.js';
import type { ServerInviteTransaction, ServerTransaction } from '../sip/transaction/index.js';
import type { Endpoint } from '../sip/transport/types.js';
import { type DialogOwner, type SipContext, sendInDialog } from './sip-context.js';

export type InboundState = 'offered' | 'ringing' | 'answering' | 'confirmed' | 'ended';

const MOVES: Readonly<Record<InboundState, readonly InboundState[]>> = {
  offered: ['ringing', 'answering', 'ended'],
  ringing: ['answering', 'ended'],
  answering: ['confirmed', 'ended'],
  confirmed: ['ended'],
  ended: [],
};

export interface InboundEvents {
  /** The caller gave up before the answer (CANCEL: the layer already sent 200 and 487). */
  onCancelled(): void;
  /** The caller hung up after the answer (BYE, also one that beats the ACK). */
  onHungUp(): void;
  /** An in-dialog request other than BYE (re-INVITE, UPDATE, INFO) once answered. */
  onRequest?(tx: ServerTransaction): void;
  /** The caller's ACK for our 2xx (its body completes a late offer). */
  onAck?(ack: SipRequest): void;
}

export class InboundLeg implements DialogOwner {
  private current: InboundState = 'offered';
  private dialog: Dialog | undefined;
  private retransmitter: Invite2xxRetransmitter | undefined;
  readonly toTag = newTag();
  /**
   * The caller's INVITE, for the whole call: the transaction lets go of it on its final
   * response (RFC 3261 §17.2.1), but the call reads it to the end.
   */
  readonly invite: SipRequest;

  constructor(
    private readonly ctx: SipContext,
    readonly tx: ServerInviteTransaction,
    private readonly events: InboundEvents,
  ) {
    this.invite = tx.request;
    tx.user = {
      onCancel: () => {
        if (this.current === 'offered' || this.current === 'ringing') {
          this.move('ended');
          this.dialog?.terminate();
          this.events.onCancelled();
        }
      },
    };
  }

  get state(): InboundState {
    return this.current;
  }

  /** Where in-dialog requests to the caller go: back where its INVITE came from. */
  get peer(): Endpoint {
    return this.tx.source;
  }

  /** 180 Ringing (local ringback at the caller), once. */
  ring(): void {
    if (this.current !== 'offered') return;
    this.move('ringing');
    const ringing = createResponse(this.invite, 180, undefined, this.toTag);
    ringing.headers.append('Contact', this.ctx.contact(this.tx.source.protocol));
    this.tx.respond(ringing);
    const early = this.ctx.dialogs.uasResponse(this.invite, ringing);
    if (early) {
      this.dialog = early;
      this.ctx.own(early, this);
    }
  }

  /** 200 OK with the answering branch's SDP; retransmitted until the caller ACKs. */
  answer(body: Buffer, contentType: string | undefined, extraHeaders: [string, string][] = []): void {
    if (this.current !== 'offered' && this.current !== 'ringing') return;
    this.move('answering');
    const ok = createResponse(this.invite, 200, undefined, this.toTag);
    ok.headers.append('Contact', this.ctx.contact(this.tx.source.protocol));
    for (const [name, value] of extraHeaders) ok.headers.append(name, value);
    if (body.length > 0 && contentType) ok.headers.append('Content-Type', contentType);
    ok.body = body;
    const dialog = this.ctx.dialogs.uasResponse(this.invite, ok);
    if (dialog) {
      this.dialog = dialog;
      this.ctx.own(dialog, this);
    }
    this.retransmitter = send2xxReliably(this.tx, ok, {
      clock: this.ctx.clock,
      timers: this.ctx.transactions.timers,
      // RFC 3261 §13.3.1.4: no ACK within 64·T1: the call is torn down with a BYE.
      onTimeout: () => {
        if (this.current !== 'answering') return;
        this.hangUp();
        this.events.onHungUp();
      },
    });
  }

  /** A final failure to the caller (486, 480, 404…). */
  reject(status: number, reason?: string, extraHeaders: [string, string][] = []): void {
    if (this.current !== 'offered' && this.current !== 'ringing') return;
    this.move('ended');
    const res = createResponse(this.invite, status, reason, this.toTag);
    for (const [name, value] of extraHeaders) res.headers.append(name, value);
    this.tx.respond(res);
    this.dialog?.terminate();
  }

  /** BYE to the caller (the other side hung up). */
  hangUp(reason?: string): void {
    if (this.current !== 'answering' && this.current !== 'confirmed') return;
    this.move('ended');
    this.retransmitter?.stop();
    const dialog = this.dialog;
    if (!dialog) return;
    const bye = dialog.createRequest('BYE', reason ? { headers: [['Reason', reason]] } : {});
    this.ctx.transactions.sendRequest(bye, this.peer, this.ctx.transport(this.peer.protocol), {
      onResponse() {},
      onTimeout() {},
      onTransportError() {},
    });
    dialog.terminate();
  }

  /** Sends an in-dialog request to the caller and resolves with its final response. */
  request(method: string, body?: Buffer, contentType?: string): Promise<SipResponse> {
    const dialog = this.dialog;
    // The dialog is confirmed once our 2xx is sent (RFC 3261 §12.1.1), ACK or not.
    if (!dialog || (this.current !== 'confirmed' && this.current !== 'answering')) {
      return Promise.resolve(createResponse(this.invite, 481));
    }
    return sendInDialog(this.ctx, dialog, this.peer, method, body, contentType);
  }

  onAck(ack: SipRequest): void {
    this.retransmitter?.acknowledge();
    if (this.current === 'answering') {
      this.move('confirmed');
      this.events.onAck?.(ack);
    }
  }

  onDialogRequest(tx: ServerTransaction, dialog: Dialog): void {
    if (tx.request.method === 'BYE') {
      tx.respond(createResponse(tx.request, 200));
      if (this.current === 'answering' || this.current === 'confirmed') {
        // A BYE that beats the ACK ends the call too (RFC 3261 §15.1.2 allows it).
        this.retransmitter?.stop();
        this.move('ended');
        dialog.terminate();
        this.events.onHungUp();
      }
      return;
    }
    if (this.current === 'confirmed' && this.events.onRequest) {
      this.events.onRequest(tx);
      return;
    }
    tx.respond(createResponse(tx.request, this.current === 'answering' ? 491 : 501));
  }

  private move(to: InboundState): void {
    if (!MOVES[this.current].includes(to)) throw new Error(`caller leg: ${this.current} -> ${to}`);
    this.current = to;
    // The CANCEL handler only acts while offered or ringing. Past that the transaction lives
    // on for 32 s (RFC 6026 Timer L, or Timer H/I after a failure) and must not keep this
    // leg, and through it the whole call, alive with it.
    if (to !== 'ringing') this.tx.user = {};
  }
}
