/**
 * The non-INVITE client transaction of RFC 3261 §17.1.2 (Figure 6).
 *
 * ```
 *                                    |Request from TU
 *                                    |send request
 *                Timer E             V
 *                send request  +-----------+
 *                    +---------|           |-------------------+
 *                    |         |  Trying   |  Timer F          |
 *                    +-------->|           |  or Transport Err.|
 *                              +-----------+  inform TU        |
 *                 200-699         |  |                         |
 *                 resp. to TU     |  |1xx                      |
 *                 +---------------+  |resp. to TU              |
 *                 |                  |                         |
 *                 |   Timer E        V       Timer F           |
 *                 |   send req +-----------+ or Transport Err. |
 *                 |  +---------|           | inform TU         |
 *                 |  |         |Proceeding |------------------>|
 *                 |  +-------->|           |-----+             |
 *                 |            +-----------+     |1xx          |
 *                 |              |      ^        |resp to TU   |
 *                 | 200-699      |      +--------+             |
 *                 | resp. to TU  |                             |
 *                 |              |                             |
 *                 |              V                             |
 *                 |            +-----------+                   |
 *                 |            |           |                   |
 *                 |            | Completed |                   |
 *                 |            |           |                   |
 *                 |            +-----------+                   |
 *                 |              ^   |                         |
 *                 |              |   | Timer K                 |
 *                 +--------------+   | (0 reliable)            |
 *                                    V                         |
 *                              +-----------+                   |
 *                              |           |                   |
 *                              | Terminated|<------------------+
 *                              |           |
 *                              +-----------+
 * ```
 *
 * Trying and Proceeding keep the request (Timer E resends it) and the TU; Completed only
 * absorbs retransmitted responses until Timer K and keeps neither.
 */
import type { Clock } from '../../util/clock.js';
import type { SipRequest, SipResponse } from '../message.js';
import type { Endpoint, Transport } from '../transport/types.js';
import { type TimerConfig, TimerSet, timerDuration } from './timers.js';
import {
  type ClientTransactionUser,
  checkMove,
  NO_CLIENT_USER,
  RequestReleasedError,
  trySend,
} from './types.js';

export type ClientNonInviteState = 'Trying' | 'Proceeding' | 'Completed' | 'Terminated';

const MOVES: Readonly<Record<ClientNonInviteState, readonly ClientNonInviteState[]>> = {
  Trying: ['Proceeding', 'Completed', 'Terminated'],
  Proceeding: ['Completed', 'Terminated'],
  Completed: ['Terminated'],
  Terminated: [],
};

export type ClientNonInviteTimer = 'E' | 'F' | 'K';

export type ClientNonInviteEvent =
  | { type: 'response'; response: SipResponse }
  | { type: 'timer'; timer: ClientNonInviteTimer }
  | { type: 'transport-error'; error: Error };

export interface ClientNonInviteContext {
  clock: Clock;
  timers: TimerConfig;
  transport: Transport;
  destination: Endpoint;
  user: ClientTransactionUser;
  onTerminated(tx: ClientNonInviteTransaction): void;
}

export class ClientNonInviteTransaction {
  readonly kind = 'non-invite';
  private current: ClientNonInviteState = 'Trying';
  private readonly timerSet: TimerSet<ClientNonInviteTimer>;
  private intervalE: number;
  /** The request, until a final response. */
  private req: SipRequest | undefined;

  private readonly ctx: ClientNonInviteContext;

  constructor(
    request: SipRequest,
    readonly branch: string,
    ctx: ClientNonInviteContext,
  ) {
    this.req = request;
    // A copy: the TU is let go once it has the final response.
    this.ctx = { ...ctx };
    this.timerSet = new TimerSet(ctx.clock, (timer) => this.handle({ type: 'timer', timer }));
    this.intervalE = timerDuration('E', ctx.timers, ctx.transport.reliable);
  }

  /**
   * The request. Only while Trying or Proceeding: the transaction lets go of it on a final
   * response, and reading it then throws RequestReleasedError.
   */
  get request(): SipRequest {
    if (this.req === undefined) throw new RequestReleasedError('client non-INVITE transaction', this.current);
    return this.req;
  }

  get state(): ClientNonInviteState {
    return this.current;
  }

  get transport(): Transport {
    return this.ctx.transport;
  }

  get destination(): Endpoint {
    return this.ctx.destination;
  }

  /** Sends the request and starts timers E and F (the entry action of Trying). */
  start(): void {
    // RFC 3261 §17.1.2.2: the request is sent on entering Trying.
    if (!this.send()) return;
    // RFC 3261 §17.1.2.2: Timer E only for unreliable transports.
    if (!this.ctx.transport.reliable) this.timerSet.start('E', this.intervalE);
    this.timerSet.start('F', timerDuration('F', this.ctx.timers, this.ctx.transport.reliable));
  }

  /** Ends the transaction at once without telling the TU (the layer is closing). */
  dispose(): void {
    if (this.current !== 'Terminated') this.transition('Terminated');
  }

  handle(event: ClientNonInviteEvent): void {
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
    if (this.current !== 'Trying' && this.current !== 'Proceeding') {
      // RFC 3261 §17.1.2.2: retransmitted responses in Completed are absorbed.
      return;
    }
    if (response.status < 200) {
      // RFC 3261 §17.1.2.2: a provisional response moves Trying to Proceeding; each goes to the TU.
      if (this.current === 'Trying') this.transition('Proceeding');
      this.ctx.user.onResponse(response, this);
      return;
    }
    // RFC 3261 §17.1.2.2: a final response goes to the TU; the transaction waits in Completed.
    this.transition('Completed');
    this.ctx.user.onResponse(response, this);
    // Completed only absorbs retransmissions (Timer K): nothing more reaches the TU, so the
    // transaction does not keep it (and what it references) alive until K fires.
    this.ctx.user = NO_CLIENT_USER;
  }

  private onTimer(timer: ClientNonInviteTimer): void {
    if (timer === 'E' && (this.current === 'Trying' || this.current === 'Proceeding')) {
      // RFC 3261 §17.1.2.2: in Trying E doubles up to T2; in Proceeding it is reset to T2.
      this.intervalE =
        this.current === 'Trying' ? Math.min(2 * this.intervalE, this.ctx.timers.t2) : this.ctx.timers.t2;
      if (this.send()) this.timerSet.start('E', this.intervalE);
    } else if (timer === 'F' && (this.current === 'Trying' || this.current === 'Proceeding')) {
      // RFC 3261 §17.1.2.2: Timer F fires: inform the TU of the timeout.
      this.transition('Terminated');
      this.ctx.user.onTimeout(this);
    } else if (timer === 'K' && this.current === 'Completed') {
      this.transition('Terminated');
    }
  }

  private fail(error: Error): void {
    if (this.current === 'Terminated' || this.current === 'Completed') return;
    // RFC 3261 §17.1.2.2: a transport error moves to Terminated and is reported to the TU.
    this.transition('Terminated');
    this.ctx.user.onTransportError(error, this);
  }

  private send(): boolean {
    const error = trySend(this.ctx.transport, this.request, this.ctx.destination);
    if (error) this.fail(error);
    return error === undefined;
  }

  /** The one place the state changes: checks the table, then runs the entry actions. */
  private transition(to: ClientNonInviteState): void {
    checkMove('client non-INVITE transaction', MOVES, this.current, to);
    this.current = to;
    // Past Trying and Proceeding the request is never sent again.
    if (to === 'Completed' || to === 'Terminated') this.req = undefined;
    switch (to) {
      case 'Completed': {
        this.timerSet.stopAll();
        const k = timerDuration('K', this.ctx.timers, this.ctx.transport.reliable);
        // RFC 3261 §17.1.2.2: Timer K is zero on reliable transports: Terminated at once.
        if (k === 0) this.transition('Terminated');
        else this.timerSet.start('K', k);
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
