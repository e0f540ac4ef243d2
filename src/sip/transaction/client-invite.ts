/**
 * The INVITE client transaction of RFC 3261 §17.1.1 (Figure 5).
 *
 * ```
 *                        |INVITE from TU
 *      Timer A fires     |INVITE sent
 *      Reset A,          V                      Timer B fires
 *      INVITE sent +-----------+                or Transport Err.
 *        +---------|           |---------------+inform TU
 *        |         |  Calling  |               |
 *        +-------->|           |-------------->|
 *                  +-----------+ 2xx           |
 *                     |  |       2xx to TU     |
 *                     |  |1xx                  |
 *     300-699 +-------+  |1xx to TU            |
 *    ACK sent |          |                     |
 * resp. to TU |  1xx     V                     |
 *             |  1xx to TU  -----------+       |
 *             |  +---------|           |       |
 *             |  |         |Proceeding |------>|
 *             |  +-------->|           | 2xx   |
 *             |            +-----------+ 2xx to TU
 *             |       300-699    |             |
 *             |       ACK sent,  |             |
 *             |       resp. to TU|             |
 *             |                  V             |
 *             |            +-----------+       |
 *             +----------->|           |       |
 *                          | Completed |       |
 *  300-699, ACK sent  +----|           |       |
 *                     +--->+-----------+       |
 *                                |Timer D      |
 *                                |(0 reliable) |
 *                                V             |
 *                          +-----------+       |
 *                          |Terminated |<------+
 *                          +-----------+
 * ```
 *
 * Retransmitted 2xx responses arrive after Terminated and go to the layer's stray
 * handler (the TU owns the 2xx ACK, RFC 3261 §13.2.2.4).
 *
 * What each state keeps: Calling and Proceeding the INVITE (retransmitted on Timer A, and
 * copied into a CANCEL) and the TU; Completed only the ACK's wire form, resent when the
 * final response is retransmitted, until Timer D (32 s over UDP).
 */
import type { Clock } from '../../util/clock.js';
import type { SipRequest, SipResponse } from '../message.js';
import type { Endpoint, Transport } from '../transport/types.js';
import type { ClientNonInviteTransaction } from './client-non-invite.js';
import { buildCancel, buildNon2xxAck } from './requests.js';
import { type TimerConfig, TimerSet, timerDuration } from './timers.js';
import {
  type ClientTransactionUser,
  checkMove,
  NO_CLIENT_USER,
  RequestReleasedError,
  toWire,
  trySend,
  type Wire,
  wireBytes,
} from './types.js';

export type ClientInviteState = 'Calling' | 'Proceeding' | 'Completed' | 'Terminated';

const MOVES: Readonly<Record<ClientInviteState, readonly ClientInviteState[]>> = {
  Calling: ['Proceeding', 'Completed', 'Terminated'],
  Proceeding: ['Completed', 'Terminated'],
  Completed: ['Terminated'],
  Terminated: [],
};

/** `CancelGuard`: RFC 3261 §9.1's 64·T1 wait for a final response after CANCEL. */
export type ClientInviteTimer = 'A' | 'B' | 'D' | 'CancelGuard';

export type ClientInviteEvent =
  | { type: 'response'; response: SipResponse }
  | { type: 'timer'; timer: ClientInviteTimer }
  | { type: 'transport-error'; error: Error };

export interface CancelOptions {
  /** RFC 3326 Reason header value, e.g. `SIP;cause=200;text="Call completed elsewhere"`. */
  reason?: string;
  /** Receives the CANCEL transaction's own responses (200 or 481); ignored by default. */
  user?: ClientTransactionUser;
}

export interface ClientInviteContext {
  clock: Clock;
  timers: TimerConfig;
  transport: Transport;
  destination: Endpoint;
  user: ClientTransactionUser;
  /** Starts a non-INVITE client transaction for the CANCEL (the layer owns the table). */
  sendCancel(cancel: SipRequest, user: ClientTransactionUser): ClientNonInviteTransaction;
  onTerminated(tx: ClientInviteTransaction): void;
}

export class ClientInviteTransaction {
  readonly kind = 'invite';
  private current: ClientInviteState = 'Calling';
  private readonly timerSet: TimerSet<ClientInviteTimer>;
  private intervalA: number;
  /** The INVITE, until a final response. */
  private invite: SipRequest | undefined;
  /** The ACK's wire form (Completed). */
  private ackWire: Wire | undefined;
  /** A cancel() asked for while still Calling; sent on the first provisional response. */
  private pendingCancel: CancelOptions | undefined;
  private cancelTx: ClientNonInviteTransaction | undefined;
  private readonly ctx: ClientInviteContext;

  constructor(
    request: SipRequest,
    readonly branch: string,
    ctx: ClientInviteContext,
  ) {
    this.invite = request;
    // A copy: the TU is let go once it has the final response (see forgetUser).
    this.ctx = { ...ctx };
    this.timerSet = new TimerSet(ctx.clock, (timer) => this.handle({ type: 'timer', timer }));
    this.intervalA = timerDuration('A', ctx.timers, ctx.transport.reliable);
  }

  /**
   * The INVITE. Only while Calling or Proceeding: the transaction lets go of it on a final
   * response, and reading it then throws RequestReleasedError.
   */
  get request(): SipRequest {
    if (this.invite === undefined) throw new RequestReleasedError('client INVITE transaction', this.current);
    return this.invite;
  }

  get state(): ClientInviteState {
    return this.current;
  }

  get transport(): Transport {
    return this.ctx.transport;
  }

  get destination(): Endpoint {
    return this.ctx.destination;
  }

  /** The CANCEL transaction, once a CANCEL was sent. */
  get cancelTransaction(): ClientNonInviteTransaction | undefined {
    return this.cancelTx;
  }

  /** Sends the INVITE and starts timers A and B (the entry action of Calling). */
  start(): void {
    // RFC 3261 §17.1.1.2: the INVITE is sent on entering Calling.
    if (!this.send(this.request)) return;
    // RFC 3261 §17.1.1.2: Timer A only for unreliable transports.
    if (!this.ctx.transport.reliable) this.timerSet.start('A', this.intervalA);
    this.timerSet.start('B', timerDuration('B', this.ctx.timers, this.ctx.transport.reliable));
  }

  /**
   * RFC 3261 §9.1: cancels the INVITE. Before any provisional response the CANCEL waits for
   * one; once a final response arrived there is nothing to cancel and this does nothing.
   */
  cancel(options: CancelOptions = {}): void {
    if (this.pendingCancel || this.cancelTx) return;
    // RFC 3261 §9.1: a CANCEL MUST NOT be sent before a provisional response arrived.
    if (this.current === 'Calling') this.pendingCancel = options;
    else if (this.current === 'Proceeding') this.sendCancel(options);
  }

  /** Ends the transaction at once without telling the TU (the layer is closing). */
  dispose(): void {
    if (this.current !== 'Terminated') this.transition('Terminated');
  }

  handle(event: ClientInviteEvent): void {
    switch (event.type) {
      case 'response':
        this.onResponse(event.response);
        return;
      case 'timer':
        this.onTimer(event.timer);
        return;
      case 'transport-error':
        this.fail(event.error);
        return;
    }
  }

  private onResponse(response: SipResponse): void {
    const status = response.status;
    if (this.current === 'Calling' || this.current === 'Proceeding') {
      if (status < 200) {
        // RFC 3261 §17.1.1.2: a provisional response moves Calling to Proceeding; all go to the TU.
        if (this.current === 'Calling') this.transition('Proceeding');
        this.ctx.user.onResponse(response, this);
      } else if (status < 300) {
        // RFC 3261 §17.1.1.2: a 2xx goes to the TU and ends the transaction; the TU ACKs it.
        this.transition('Terminated');
        this.ctx.user.onResponse(response, this);
      } else {
        // RFC 3261 §17.1.1.3: the ACK is built here, inside the transaction, with the same
        // branch; Completed keeps only its wire form.
        this.ackWire = toWire(buildNon2xxAck(this.request, response)).wire;
        // RFC 3261 §17.1.1.2: 300-699 is ACKed, passed up, and the transaction waits in Completed.
        this.transition('Completed');
        this.ctx.user.onResponse(response, this);
        this.forgetUser();
      }
    } else if (this.current === 'Completed' && status >= 300 && this.ackWire !== undefined) {
      // RFC 3261 §17.1.1.2: a retransmitted final response is ACKed again, not passed up.
      this.send(wireBytes(this.ackWire));
    }
  }

  private onTimer(timer: ClientInviteTimer): void {
    if (timer === 'A' && this.current === 'Calling') {
      // RFC 3261 §17.1.1.2: Timer A fires: retransmit and double the interval (no cap).
      this.intervalA *= 2;
      if (this.send(this.request)) this.timerSet.start('A', this.intervalA);
    } else if (timer === 'B' && this.current === 'Calling') {
      // RFC 3261 §17.1.1.2: Timer B fires in Calling: inform the TU of the timeout.
      this.transition('Terminated');
      this.ctx.user.onTimeout(this);
    } else if (timer === 'D' && this.current === 'Completed') {
      this.transition('Terminated');
    } else if (timer === 'CancelGuard' && this.current === 'Proceeding') {
      // RFC 3261 §9.1: no final response 64·T1 after CANCEL: consider the INVITE cancelled.
      this.transition('Terminated');
      this.ctx.user.onTimeout(this);
    }
  }

  private fail(error: Error): void {
    if (this.current === 'Terminated') return;
    // RFC 3261 §17.1.1.2: a transport error moves to Terminated and is reported to the TU.
    this.transition('Terminated');
    this.ctx.user.onTransportError(error, this);
  }

  /**
   * RFC 3261 §17.1.1.2: in Completed a retransmitted final response is only ACKed again,
   * never passed up, so the TU has heard all it will hear. The transaction lets go of it:
   * Timer D keeps the transaction for 32 s on UDP, and the TU (a call leg, and through it
   * the whole call) must not live that long with it. A transport error on a repeated ACK
   * then ends the transaction without telling the TU, as in the non-INVITE Completed state.
   */
  private forgetUser(): void {
    this.ctx.user = NO_CLIENT_USER;
  }

  private sendCancel(options: CancelOptions): void {
    this.pendingCancel = undefined;
    this.cancelTx = this.ctx.sendCancel(
      buildCancel(this.request, options.reason),
      options.user ?? NO_CLIENT_USER,
    );
    this.timerSet.start('CancelGuard', 64 * this.ctx.timers.t1);
  }

  /** RFC 3261 §17.1.1.2: Timer D is zero on reliable transports: Terminated at once. */
  private startTimerD(): void {
    const d = timerDuration('D', this.ctx.timers, this.ctx.transport.reliable);
    if (d === 0) this.transition('Terminated');
    else this.timerSet.start('D', d);
  }

  private send(message: SipRequest | Buffer): boolean {
    const error = trySend(this.ctx.transport, message, this.ctx.destination);
    if (error) this.fail(error);
    return error === undefined;
  }

  /** The one place the state changes: checks the table, then runs the entry actions. */
  private transition(to: ClientInviteState): void {
    checkMove('client INVITE transaction', MOVES, this.current, to);
    this.current = to;
    // Past Calling and Proceeding nothing is sent from the INVITE any more.
    if (to === 'Completed' || to === 'Terminated') this.invite = undefined;
    switch (to) {
      case 'Proceeding':
        // RFC 3261 §17.1.1.2: no retransmissions in Proceeding; Timer B only guards Calling.
        this.timerSet.stop('A');
        this.timerSet.stop('B');
        // RFC 3261 §9.1: a CANCEL that waited for a provisional response goes now.
        if (this.pendingCancel) this.sendCancel(this.pendingCancel);
        break;
      case 'Completed':
        this.timerSet.stopAll();
        // RFC 3261 §17.1.1.2 / §9.1: a final response before any 1xx means no CANCEL is sent.
        this.pendingCancel = undefined;
        if (this.ackWire === undefined || !this.send(wireBytes(this.ackWire))) return;
        this.startTimerD();
        break;
      case 'Terminated':
        this.timerSet.stopAll();
        this.pendingCancel = undefined;
        this.ackWire = undefined;
        this.ctx.onTerminated(this);
        break;
      case 'Calling':
        break;
    }
  }
}
