/**
 * The INVITE server transaction of RFC 3261 §17.2.1 (Figure 7), with the Accepted state
 * of RFC 6026 §7.1.
 *
 * ```
 *                                |INVITE
 *                                |pass INV to TU
 *             INVITE             V send 100 Trying
 *             send last 1xx +-----------+
 *                  +--------|           |--------+101-199 from TU
 *                  |        | Proceeding|        |send response
 *                  +------->|           |<-------+
 *                           |           |          Transport Err.
 *                           |           |          Inform TU
 *                           |           |--------------------------->+
 *                           +-----------+                            |
 *              300-699 from TU |     |2xx from TU                    |
 *              send response   |     |send response                  |
 *                              |     +------------------+            |
 *                              |                        V            |
 *             INVITE           V          Timer G  +-----------+     |
 *             send response+-----------+  fires    |           |     |
 *                 +--------|           |--------+  | Accepted  |     |
 *                 |        | Completed |  resend  |  (6026)   |     |
 *                 +------->|           |<-------+  +-----------+     |
 *                          +-----------+   2xx from TU |  ^ |ACK     |
 *                             |     ^     send it  +---+  | |to TU   |
 *                             |     |    INVITE absorbed--+-+        |
 *                             |     | Timer H fires    | Timer L     |
 *                             |     | inform TU        | fires       |
 *                             |     +------------------+-------------+
 *                             |ACK                     V             |
 *                             V                  +-----------+       |
 *                          +-----------+ Timer I |           |       |
 *                          | Confirmed |-------->|Terminated |<------+
 *                          +-----------+(0 rel.) +-----------+
 *                           ACK absorbed
 * ```
 *
 * NOT RFC 3261 COMPLIANT, on purpose (RFC 6026 §7.1): after a 2xx the transaction stays
 * in Accepted for Timer L = 64·T1 instead of ending at once, so an INVITE retransmitted
 * because the 2xx was lost is absorbed here rather than reaching the TU as a new call.
 * ACKs for the 2xx are still handed to the TU (the layer's onAck), as in RFC 3261.
 *
 * What each state keeps: Proceeding the parsed INVITE (the TU builds its responses from
 * it) and the last provisional response; Completed only the final response's wire form
 * (Timer G and INVITE retransmissions resend it) and the TU (Timer H is reported);
 * Confirmed and Accepted nothing but the matching key the layer files it under. The TU
 * reads `request` while the transaction is Proceeding; it is let go on the final response.
 */
import type { Clock } from '../../util/clock.js';
import { toTagOf } from '../fields.js';
import type { SipRequest, SipResponse } from '../message.js';
import { createResponse } from '../response.js';
import type { Endpoint, InboundMessage, Transport } from '../transport/types.js';
import { type TimerConfig, TimerSet, timerDuration } from './timers.js';
import {
  checkMove,
  NO_SERVER_USER,
  RequestReleasedError,
  type ServerTransactionUser,
  toWire,
  trySend,
  type Wire,
  wireBytes,
} from './types.js';

export type ServerInviteState = 'Proceeding' | 'Completed' | 'Confirmed' | 'Accepted' | 'Terminated';

const MOVES: Readonly<Record<ServerInviteState, readonly ServerInviteState[]>> = {
  Proceeding: ['Completed', 'Accepted', 'Terminated'],
  Completed: ['Confirmed', 'Terminated'],
  Confirmed: ['Terminated'],
  Accepted: ['Terminated'],
  Terminated: [],
};

export type ServerInviteTimer = 'G' | 'H' | 'I' | 'L';

export type ServerInviteEvent =
  /** A retransmitted INVITE, or an ACK, matched to this transaction. */
  | { type: 'request'; request: SipRequest; inbound?: InboundMessage }
  /** A response from the TU. */
  | { type: 'respond'; response: SipResponse }
  | { type: 'timer'; timer: ServerInviteTimer }
  | { type: 'transport-error'; error: Error };

export interface ServerInviteContext {
  clock: Clock;
  timers: TimerConfig;
  transport: Transport;
  /** Where the request came from. */
  source: Endpoint;
  /** Where responses go (RFC 3261 §18.2.2). */
  destination: Endpoint;
  /** An ACK for a 2xx (received in Accepted) belongs to the TU. */
  passAck(ack: SipRequest, inbound: InboundMessage | undefined, tx: ServerInviteTransaction): void;
  onTerminated(tx: ServerInviteTransaction): void;
}

export class ServerInviteTransaction {
  readonly kind = 'invite';
  /**
   * Set by the TU to hear about CANCEL, a missing ACK and transport errors. Let go in
   * Confirmed and Accepted, where nothing more is reported.
   */
  user: ServerTransactionUser = NO_SERVER_USER;
  private current: ServerInviteState = 'Proceeding';
  private readonly timerSet: TimerSet<ServerInviteTimer>;
  private intervalG: number;
  /** The INVITE, until the final response. */
  private invite: SipRequest | undefined;
  /** The last provisional response (Proceeding). */
  private provisional: SipResponse | undefined;
  /** The final non-2xx response's wire form (Completed). */
  private finalWire: Wire | undefined;
  private tag: string | undefined;

  constructor(
    request: SipRequest,
    private readonly ctx: ServerInviteContext,
  ) {
    this.invite = request;
    this.timerSet = new TimerSet(ctx.clock, (timer) => this.handle({ type: 'timer', timer }));
    this.intervalG = timerDuration('G', ctx.timers, ctx.transport.reliable);
    this.tag = toTagOf(request);
  }

  /**
   * The INVITE. Only while Proceeding: the transaction lets go of it on the final response
   * (it waits up to 64·T1 more and needs only the response's bytes), and reading it then
   * throws RequestReleasedError.
   */
  get request(): SipRequest {
    if (this.invite === undefined) throw new RequestReleasedError('server INVITE transaction', this.current);
    return this.invite;
  }

  get state(): ServerInviteState {
    return this.current;
  }

  get transport(): Transport {
    return this.ctx.transport;
  }

  get source(): Endpoint {
    return this.ctx.source;
  }

  /** Where this transaction's responses go; a UAS retransmitting its 2xx sends there too. */
  get destination(): Endpoint {
    return this.ctx.destination;
  }

  /** The To tag of the responses sent so far (or of the request, for a re-INVITE). */
  get toTag(): string | undefined {
    return this.tag;
  }

  /** Entry action of Proceeding. */
  start(): void {
    // RFC 3261 §17.2.1: the server transaction generates 100 Trying itself (here at once).
    this.provisional = createResponse(this.request, 100);
    this.sendResponse(this.provisional);
  }

  /**
   * Sends a response from the TU. Returns false when the state no longer allows it (a
   * final response was already sent, or the transaction ended).
   */
  respond(response: SipResponse): boolean {
    return this.onRespond(response);
  }

  /** Ends the transaction at once without telling the TU (the layer is closing). */
  dispose(): void {
    if (this.current !== 'Terminated') this.transition('Terminated');
  }

  handle(event: ServerInviteEvent): void {
    switch (event.type) {
      case 'request':
        this.onRequest(event.request, event.inbound);
        return;
      case 'respond':
        this.onRespond(event.response);
        return;
      case 'timer':
        this.onTimer(event.timer);
        return;
      case 'transport-error':
        this.fail(event.error);
        return;
    }
  }

  private onRequest(request: SipRequest, inbound: InboundMessage | undefined): void {
    if (request.method === 'ACK') {
      // RFC 3261 §17.2.1: an ACK in Completed confirms the non-2xx; in Confirmed it is absorbed.
      if (this.current === 'Completed') this.transition('Confirmed');
      // RFC 6026 §8.7: an ACK in Accepted is for the 2xx and goes to the TU.
      else if (this.current === 'Accepted') this.ctx.passAck(request, inbound, this);
      return;
    }
    // RFC 3261 §17.2.1: a retransmitted INVITE gets the last provisional (Proceeding) or the
    // final response (Completed) again; RFC 6026 §8.7: in Accepted it is absorbed.
    if (this.current === 'Proceeding' && this.provisional) this.sendResponse(this.provisional);
    else if (this.current === 'Completed' && this.finalWire !== undefined) {
      this.sendResponse(wireBytes(this.finalWire));
    }
  }

  private onRespond(response: SipResponse): boolean {
    if (this.current === 'Proceeding') {
      this.tag = toTagOf(response) ?? this.tag;
      const status = response.status;
      if (status < 200) {
        this.provisional = response;
        return this.sendResponse(response);
      }
      // RFC 3261 §17.2.1: 300-699 is retransmitted until the ACK: keep its bytes only.
      if (status >= 300) {
        const { bytes, wire } = toWire(response);
        if (!this.sendResponse(bytes)) return false;
        this.finalWire = wire;
        this.transition('Completed');
        return true;
      }
      if (!this.sendResponse(response)) return false;
      // RFC 3261 §17.2.1: 2xx ends the INVITE transaction (RFC 6026 §8.5: Accepted).
      this.transition('Accepted');
      return true;
    }
    if (this.current === 'Accepted' && response.status >= 200 && response.status < 300) {
      // RFC 6026 §8.7: the TU's 2xx retransmissions pass through in Accepted (the TU keeps
      // the 2xx; an INVITE retransmission here is absorbed, so nothing is kept).
      return this.sendResponse(response);
    }
    return false;
  }

  private onTimer(timer: ServerInviteTimer): void {
    if (timer === 'G' && this.current === 'Completed' && this.finalWire !== undefined) {
      // RFC 3261 §17.2.1: Timer G fires: resend the final response, interval min(2G, T2).
      this.intervalG = Math.min(2 * this.intervalG, this.ctx.timers.t2);
      if (this.sendResponse(wireBytes(this.finalWire))) this.timerSet.start('G', this.intervalG);
    } else if (timer === 'H' && this.current === 'Completed') {
      // RFC 3261 §17.2.1: Timer H fires: the ACK never came; tell the TU.
      const user = this.user;
      this.transition('Terminated');
      user.onTimeout?.(this);
    } else if (timer === 'I' && this.current === 'Confirmed') {
      this.transition('Terminated');
    } else if (timer === 'L' && this.current === 'Accepted') {
      this.transition('Terminated');
    }
  }

  private fail(error: Error): void {
    if (this.current === 'Terminated') return;
    // RFC 3261 §17.2.4: a failure to send a response is reported to the TU (in Accepted the
    // TU, which sent the 2xx, learns it from respond() returning false).
    const user = this.user;
    this.transition('Terminated');
    user.onTransportError?.(error, this);
  }

  private sendResponse(response: SipResponse | Buffer): boolean {
    const error = trySend(this.ctx.transport, response, this.ctx.destination);
    if (error) this.fail(error);
    return error === undefined;
  }

  /** The one place the state changes: checks the table, then runs the entry actions. */
  private transition(to: ServerInviteState): void {
    checkMove('server INVITE transaction', MOVES, this.current, to);
    this.current = to;
    const { timers, transport } = this.ctx;
    // Every state after Proceeding waits: the INVITE and the provisional are let go.
    this.invite = undefined;
    this.provisional = undefined;
    switch (to) {
      case 'Completed':
        // RFC 3261 §17.2.1: Timer G (unreliable only) and Timer H on entering Completed.
        if (!transport.reliable) this.timerSet.start('G', this.intervalG);
        this.timerSet.start('H', timerDuration('H', timers, transport.reliable));
        break;
      case 'Confirmed': {
        // RFC 3261 §17.2.1: Confirmed ignores G and H; Timer I (zero when reliable) ends it.
        this.timerSet.stopAll();
        this.finalWire = undefined;
        this.user = NO_SERVER_USER;
        const i = timerDuration('I', timers, transport.reliable);
        if (i === 0) this.transition('Terminated');
        else this.timerSet.start('I', i);
        break;
      }
      case 'Accepted':
        // RFC 6026 §8.5: Timer L = 64·T1 bounds the wait for 2xx retransmissions and ACKs.
        // ACKs go to the layer's onAck, not to this TU: it is let go.
        this.user = NO_SERVER_USER;
        this.timerSet.start('L', timerDuration('L', timers, transport.reliable));
        break;
      case 'Terminated':
        this.timerSet.stopAll();
        this.finalWire = undefined;
        this.user = NO_SERVER_USER;
        this.ctx.onTerminated(this);
        break;
      case 'Proceeding':
        break;
    }
  }
}
