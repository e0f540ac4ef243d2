/**
 * The non-INVITE server transaction of RFC 3261 §17.2.2 (Figure 8).
 *
 * ```
 *                                   |Request received
 *                                   |pass to TU
 *                                   V
 *                             +-----------+
 *                             |           |
 *                             | Trying    |-------------+
 *                             |           |             |
 *                             +-----------+             |200-699 from TU
 *                                   |                   |send response
 *                                   |1xx from TU        |
 *                                   |send response      |
 *                                   |                   |
 *                Request            V      1xx from TU  |
 *                send response+-----------+send response|
 *                    +--------|           |--------+    |
 *                    |        | Proceeding|        |    |
 *                    +------->|           |<-------+    |
 *             +<--------------|           |             |
 *             |Trnsprt Err    +-----------+             |
 *             |Inform TU            |                   |
 *             |                     |                   |
 *             |                     |200-699 from TU    |
 *             |                     |send response      |
 *             |  Request            V                   |
 *             |  send response+-----------+             |
 *             |      +--------|           |             |
 *             |      |        | Completed |<------------+
 *             |      +------->|           |
 *             +<--------------|           |
 *             |Trnsprt Err    +-----------+
 *             |Inform TU            |
 *             |                     |Timer J fires
 *             |                     |-
 *             |                     |
 *             |                     V
 *             |               +-----------+
 *             |               |           |
 *             +-------------->| Terminated|
 *                             |           |
 *                             +-----------+
 * ```
 *
 * What each state keeps: Trying and Proceeding the parsed request (the TU builds its
 * responses from it) and the last provisional response; Completed only the final
 * response's wire form, resent to a retransmitted request until Timer J.
 */
import type { Clock } from '../../util/clock.js';
import { toTagOf } from '../fields.js';
import type { SipRequest, SipResponse } from '../message.js';
import type { Endpoint, Transport } from '../transport/types.js';
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

export type ServerNonInviteState = 'Trying' | 'Proceeding' | 'Completed' | 'Terminated';

const MOVES: Readonly<Record<ServerNonInviteState, readonly ServerNonInviteState[]>> = {
  Trying: ['Proceeding', 'Completed', 'Terminated'],
  Proceeding: ['Completed', 'Terminated'],
  Completed: ['Terminated'],
  Terminated: [],
};

export type ServerNonInviteTimer = 'J';

export type ServerNonInviteEvent =
  | { type: 'request'; request: SipRequest }
  | { type: 'respond'; response: SipResponse }
  | { type: 'timer'; timer: ServerNonInviteTimer }
  | { type: 'transport-error'; error: Error };

export interface ServerNonInviteContext {
  clock: Clock;
  timers: TimerConfig;
  transport: Transport;
  source: Endpoint;
  destination: Endpoint;
  onTerminated(tx: ServerNonInviteTransaction): void;
}

export class ServerNonInviteTransaction {
  readonly kind = 'non-invite';
  /** Set by the TU to hear about CANCEL and transport errors; let go in Completed. */
  user: ServerTransactionUser = NO_SERVER_USER;
  private current: ServerNonInviteState = 'Trying';
  private readonly timerSet: TimerSet<ServerNonInviteTimer>;
  /** The request, until the final response. */
  private req: SipRequest | undefined;
  /** The last provisional response (Proceeding). */
  private provisional: SipResponse | undefined;
  /** The final response's wire form (Completed). */
  private finalWire: Wire | undefined;
  private tag: string | undefined;

  constructor(
    request: SipRequest,
    private readonly ctx: ServerNonInviteContext,
  ) {
    this.req = request;
    this.timerSet = new TimerSet(ctx.clock, (timer) => this.handle({ type: 'timer', timer }));
    this.tag = toTagOf(request);
  }

  /**
   * The request. Only while Trying or Proceeding: the transaction lets go of it on the final
   * response, and reading it then throws RequestReleasedError.
   */
  get request(): SipRequest {
    if (this.req === undefined) throw new RequestReleasedError('server non-INVITE transaction', this.current);
    return this.req;
  }

  get state(): ServerNonInviteState {
    return this.current;
  }

  get transport(): Transport {
    return this.ctx.transport;
  }

  get source(): Endpoint {
    return this.ctx.source;
  }

  get destination(): Endpoint {
    return this.ctx.destination;
  }

  get toTag(): string | undefined {
    return this.tag;
  }

  /** Sends a response from the TU; false once a final response was sent. */
  respond(response: SipResponse): boolean {
    return this.onRespond(response);
  }

  /** Ends the transaction at once without telling the TU (the layer is closing). */
  dispose(): void {
    if (this.current !== 'Terminated') this.transition('Terminated');
  }

  handle(event: ServerNonInviteEvent): void {
    switch (event.type) {
      case 'request':
        this.onRequest();
        return;
      case 'respond':
        this.onRespond(event.response);
        return;
      case 'timer':
        if (event.timer === 'J' && this.current === 'Completed') this.transition('Terminated');
        return;
      case 'transport-error':
        this.fail(event.error);
        return;
    }
  }

  private onRequest(): void {
    // RFC 3261 §17.2.2: a retransmission in Trying is discarded; in Proceeding and Completed
    // the last response is sent again.
    if (this.current === 'Proceeding' && this.provisional) this.send(this.provisional);
    else if (this.current === 'Completed' && this.finalWire !== undefined)
      this.send(wireBytes(this.finalWire));
  }

  private onRespond(response: SipResponse): boolean {
    if (this.current !== 'Trying' && this.current !== 'Proceeding') {
      // RFC 3261 §17.2.2: any other final response from the TU after the first is discarded.
      return false;
    }
    this.tag = toTagOf(response) ?? this.tag;
    if (response.status < 200) {
      this.provisional = response;
      if (!this.send(response)) return false;
      // RFC 3261 §17.2.2: 1xx moves Trying to Proceeding.
      if (this.current === 'Trying') this.transition('Proceeding');
      return true;
    }
    // RFC 3261 §17.2.2: 200-699 moves to Completed, which resends it to retransmissions:
    // over UDP only its bytes are kept (Timer J is zero over TCP).
    const { bytes, wire } = this.ctx.transport.reliable
      ? { bytes: response, wire: undefined }
      : toWire(response);
    if (!this.send(bytes)) return false;
    this.finalWire = wire;
    this.transition('Completed');
    return true;
  }

  private fail(error: Error): void {
    if (this.current === 'Terminated') return;
    // RFC 3261 §17.2.2: a transport error moves to Terminated and the TU is told.
    const user = this.user;
    this.transition('Terminated');
    user.onTransportError?.(error, this);
  }

  private send(response: SipResponse | Buffer): boolean {
    const error = trySend(this.ctx.transport, response, this.ctx.destination);
    if (error) this.fail(error);
    return error === undefined;
  }

  /** The one place the state changes: checks the table, then runs the entry actions. */
  private transition(to: ServerNonInviteState): void {
    checkMove('server non-INVITE transaction', MOVES, this.current, to);
    this.current = to;
    if (to === 'Completed' || to === 'Terminated') {
      this.req = undefined;
      this.provisional = undefined;
    }
    switch (to) {
      case 'Completed': {
        // NOT RFC COMPLIANT (RFC 3261 §17.2.2, Figure 8): the TU is let go here, so a transport
        // error on a resent final response ends the transaction without telling it; the TU has
        // answered and holds nothing to undo, and keeping it would keep its call alive for J.
        this.user = NO_SERVER_USER;
        const j = timerDuration('J', this.ctx.timers, this.ctx.transport.reliable);
        // RFC 3261 §17.2.2: Timer J is zero on reliable transports: Terminated at once.
        if (j === 0) this.transition('Terminated');
        else this.timerSet.start('J', j);
        break;
      }
      case 'Terminated':
        this.timerSet.stopAll();
        this.finalWire = undefined;
        this.user = NO_SERVER_USER;
        this.ctx.onTerminated(this);
        break;
      case 'Trying':
      case 'Proceeding':
        break;
    }
  }
}
