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
 */
import type { Clock } from '../../util/clock.js';
import { toTagOf } from '../fields.js';
import type { SipRequest, SipResponse } from '../message.js';
import type { Endpoint, Transport } from '../transport/types.js';
import { type TimerConfig, TimerSet, timerDuration } from './timers.js';
import { checkMove, type ServerTransactionUser, trySend } from './types.js';

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
  /** Set by the TU to hear about CANCEL and transport errors. */
  user: ServerTransactionUser = {};
  private current: ServerNonInviteState = 'Trying';
  private readonly timerSet: TimerSet<ServerNonInviteTimer>;
  private last: SipResponse | undefined;
  private tag: string | undefined;

  constructor(
    readonly request: SipRequest,
    private readonly ctx: ServerNonInviteContext,
  ) {
    this.timerSet = new TimerSet(ctx.clock, (timer) => this.handle({ type: 'timer', timer }));
    this.tag = toTagOf(request);
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

  get lastResponse(): SipResponse | undefined {
    return this.last;
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
    if (this.current !== 'Trying' && this.current !== 'Terminated' && this.last) this.send(this.last);
  }

  private onRespond(response: SipResponse): boolean {
    if (this.current !== 'Trying' && this.current !== 'Proceeding') {
      // RFC 3261 §17.2.2: any other final response from the TU after the first is discarded.
      return false;
    }
    this.last = response;
    this.tag = toTagOf(response) ?? this.tag;
    if (!this.send(response)) return false;
    // RFC 3261 §17.2.2: 1xx moves Trying to Proceeding, 200-699 moves to Completed.
    if (response.status >= 200) this.transition('Completed');
    else if (this.current === 'Trying') this.transition('Proceeding');
    return true;
  }

  private fail(error: Error): void {
    if (this.current === 'Terminated') return;
    // RFC 3261 §17.2.2: a transport error moves to Terminated and the TU is told.
    this.transition('Terminated');
    this.user.onTransportError?.(error, this);
  }

  private send(response: SipResponse): boolean {
    const error = trySend(this.ctx.transport, response, this.ctx.destination);
    if (error) this.fail(error);
    return error === undefined;
  }

  /** The one place the state changes: checks the table, then runs the entry actions. */
  private transition(to: ServerNonInviteState): void {
    checkMove('server non-INVITE transaction', MOVES, this.current, to);
    this.current = to;
    switch (to) {
      case 'Completed': {
        const j = timerDuration('J', this.ctx.timers, this.ctx.transport.reliable);
        // RFC 3261 §17.2.2: Timer J is zero on reliable transports: Terminated at once.
        if (j === 0) this.transition('Terminated');
        else this.timerSet.start('J', j);
        break;
      }
      case 'Terminated':
        this.timerSet.stopAll();
        this.ctx.onTerminated(this);
        break;
      case 'Trying':
      case 'Proceeding':
        break;
    }
  }
}
