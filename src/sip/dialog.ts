/**
 * Dialogs (RFC 3261 §12): the peer-to-peer relationship an INVITE (or another
 * dialog-creating request) sets up between two UAs — identified by Call-ID and the two
 * tags, with a route set, a remote target and one CSeq space per direction.
 *
 * ```
 *          1xx with To tag           2xx
 *   (none) ----------------> Early ---------> Confirmed
 *      |                       |                  |
 *      |  2xx                  | non-2xx final,   | BYE, or no ACK
 *      +-----------------------|---> Confirmed    | for 64·T1
 *                              V                  V
 *                          Terminated <-----------+
 * ```
 *
 * Also here: the UAS 2xx retransmission of RFC 3261 §13.3.1.4 (the INVITE server
 * transaction never retransmits a 2xx), and a store that answers 481 for in-dialog
 * requests matching no dialog (§12.2.2).
 */
import { randomInt } from 'node:crypto';
import type { Clock } from '../util/clock.js';
import { callIdOf, cseqOf, fromTagOf, splitCommas, toTagOf } from './fields.js';
import { makeRequest, type SipRequest, type SipResponse } from './message.js';
import type { ServerInviteTransaction } from './transaction/server-invite.js';
import { type TimerConfig, TimerSet } from './transaction/timers.js';
import { checkMove } from './transaction/types.js';

export type DialogState = 'Early' | 'Confirmed' | 'Terminated';

const MOVES: Readonly<Record<DialogState, readonly DialogState[]>> = {
  Early: ['Confirmed', 'Terminated'],
  Confirmed: ['Terminated'],
  Terminated: [],
};

export interface DialogId {
  callId: string;
  localTag: string;
  remoteTag: string;
}

export function dialogKey(id: DialogId): string {
  return `${id.callId}|${id.localTag}|${id.remoteTag}`;
}

/** Methods whose requests (and 2xx) refresh the remote target (RFC 3261 §12.2, RFC 3311, RFC 6665). */
export const TARGET_REFRESH_METHODS: ReadonlySet<string> = new Set([
  'INVITE',
  'UPDATE',
  'SUBSCRIBE',
  'NOTIFY',
  'REFER',
]);

/** The URI of a name-addr or addr-spec value (first element of a list): `<sip:a@b;lr>` → `sip:a@b;lr`. */
export function uriOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const first = splitCommas(value)[0];
  if (first === undefined) return undefined;
  const open = first.indexOf('<');
  if (open >= 0) {
    const close = first.indexOf('>', open);
    return close < 0 ? undefined : first.slice(open + 1, close).trim();
  }
  const semi = first.indexOf(';');
  return (semi < 0 ? first : first.slice(0, semi)).trim();
}

/** RFC 3261 §19.1.1: whether a route URI carries the `lr` parameter (a loose router). */
export function isLooseRoute(route: string): boolean {
  const uri = uriOf(route) ?? route;
  const params = uri.split('?')[0] ?? '';
  return /;\s*lr(\s*=[^;]*)?\s*(;|$)/i.test(params);
}

/** Every Record-Route (or Route) element of a message, top first. */
function routeElements(values: string[]): string[] {
  return values.flatMap(splitCommas);
}

export interface DialogInit {
  role: 'uac' | 'uas';
  state: 'Early' | 'Confirmed';
  id: DialogId;
  /** Our From (UAC) or To (UAS) header value, with our tag. */
  localParty: string;
  /** Their header value, with their tag. */
  remoteParty: string;
  remoteTarget: string;
  routeSet: string[];
  localSeq: number | undefined;
  remoteSeq: number | undefined;
  /** Our Contact header value, sent in target-refresh requests. */
  localContact?: string;
  secure: boolean;
}

export interface InDialogRequestOptions {
  /** Extra header fields, appended after the dialog's own. */
  headers?: [string, string][];
  body?: Buffer;
}

export class Dialog {
  readonly role: 'uac' | 'uas';
  readonly id: DialogId;
  readonly localParty: string;
  remoteParty: string;
  remoteTarget: string;
  routeSet: string[];
  localSeq: number | undefined;
  remoteSeq: number | undefined;
  localContact: string | undefined;
  readonly secure: boolean;
  /** Called once when the dialog ends (the store removes it). */
  onTerminated: ((dialog: Dialog) => void) | undefined;
  private current: DialogState;
  /** ACKs built for 2xx responses, by INVITE CSeq number: a retransmitted 2xx gets the same ACK. */
  private readonly acks = new Map<number, SipRequest>();

  constructor(init: DialogInit) {
    this.role = init.role;
    this.current = init.state;
    this.id = init.id;
    this.localParty = init.localParty;
    this.remoteParty = init.remoteParty;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.localContact = init.localContact;
    this.secure = init.secure;
  }

  get state(): DialogState {
    return this.current;
  }

  get key(): string {
    return dialogKey(this.id);
  }

  /**
   * UAC: a response within the dialog (or to the request that created it). A 2xx confirms
   * an early dialog and recomputes its route set (§13.2.2.4); a 2xx to a target-refresh
   * request updates the remote target (§12.2.1.2). Provisional responses of an early
   * dialog refresh the remote target too (§12.1.2 applies to each of them).
   */
  receiveResponse(response: SipResponse): void {
    const method = cseqOf(response)?.method.toUpperCase() ?? '';
    const status = response.status;
    const contact = uriOf(response.headers.get('contact'));
    if (this.current === 'Early' && status >= 101 && status < 300) {
      if (contact) this.remoteTarget = contact;
      if (status >= 200) {
        // RFC 3261 §13.2.2.4: a 2xx confirms the early dialog; its route set comes from the 2xx.
        this.routeSet = routeElements(response.headers.getAll('record-route')).reverse();
        this.transition('Confirmed');
      }
    } else if (this.current === 'Early' && status >= 300 && method === 'INVITE') {
      // RFC 3261 §12.3: a non-2xx final response to the INVITE ends the early dialog.
      this.transition('Terminated');
    } else if (
      this.current === 'Confirmed' &&
      status >= 200 &&
      status < 300 &&
      TARGET_REFRESH_METHODS.has(method)
    ) {
      // RFC 3261 §12.2.1.2: a 2xx to a target refresh request replaces the remote target.
      if (contact) this.remoteTarget = contact;
    }
  }

  /**
   * UAS: we sent `response` to the request that created this dialog. A 2xx confirms an
   * early dialog; a non-2xx final response ends it (RFC 3261 §12.1.1, §12.3).
   */
  sentResponse(response: SipResponse): void {
    if (this.current !== 'Early') return;
    if (response.status >= 200 && response.status < 300) this.transition('Confirmed');
    else if (response.status >= 300) this.transition('Terminated');
  }

  /**
   * UAS: checks and records an in-dialog request (§12.2.2). Returns the rejection status
   * (500 for an out-of-order CSeq) or undefined when the request belongs here.
   */
  receiveRequest(request: SipRequest): 500 | undefined {
    const cseq = cseqOf(request);
    const method = request.method.toUpperCase();
    // RFC 3261 §12.2.2: the ACK and CANCEL reuse the INVITE's number; they are not ordered.
    if (method === 'ACK' || method === 'CANCEL' || !cseq) return undefined;
    // RFC 3261 §12.2.2: a CSeq lower than the remote sequence number is out of order: 500.
    if (this.remoteSeq !== undefined && cseq.seq < this.remoteSeq) return 500;
    this.remoteSeq = cseq.seq;
    // RFC 3261 §12.2.2: a target refresh request replaces the remote target with its Contact.
    const contact = uriOf(request.headers.get('contact'));
    if (TARGET_REFRESH_METHODS.has(method) && contact) this.remoteTarget = contact;
    if (method === 'BYE') this.terminate();
    return undefined;
  }

  /**
   * RFC 3261 §12.2.1.1: a new request within the dialog with the next local CSeq. Not for
   * ACK (see {@link createAck}) or CANCEL (built by the INVITE transaction). The top Via is
   * left to the transaction layer, which adds it with a new branch.
   */
  createRequest(method: string, options: InDialogRequestOptions = {}): SipRequest {
    const m = method.toUpperCase();
    if (m === 'ACK' || m === 'CANCEL') throw new TypeError(`${m} is not built by createRequest`);
    // RFC 3261 §12.2.1.1: the local CSeq increases by one; an empty one starts below 2^31 (§8.1.1.5).
    this.localSeq = this.localSeq === undefined ? randomInt(1, 0x10000) : this.localSeq + 1;
    return this.build(m, this.localSeq, options);
  }

  /**
   * RFC 3261 §13.2.2.4: the ACK for a 2xx to the INVITE with CSeq `inviteSeq`, built like
   * any in-dialog request but with the INVITE's CSeq number. It is cached: the ACK sent
   * again for a retransmitted 2xx is the same message (the layer's `sendAck` gave it a new
   * branch the first time).
   */
  createAck(inviteSeq: number, options: InDialogRequestOptions = {}): SipRequest {
    const cached = this.acks.get(inviteSeq);
    if (cached) return cached;
    const ack = this.build('ACK', inviteSeq, options);
    this.acks.set(inviteSeq, ack);
    return ack;
  }

  /** Ends the dialog (BYE sent or received, failed ACK, …). Idempotent. */
  terminate(): void {
    if (this.current !== 'Terminated') this.transition('Terminated');
  }

  private build(method: string, seq: number, options: InDialogRequestOptions): SipRequest {
    const { uri, routes } = this.requestTarget();
    const req = makeRequest(method, uri, [], options.body);
    const h = req.headers;
    for (const route of routes) h.append('Route', route);
    h.append('Max-Forwards', '70');
    h.append('From', this.localParty);
    h.append('To', this.remoteParty);
    h.append('Call-ID', this.id.callId);
    h.append('CSeq', `${seq} ${method}`);
    // RFC 3261 §12.2.1.1: target refresh requests carry our Contact.
    if (this.localContact && TARGET_REFRESH_METHODS.has(method)) h.append('Contact', this.localContact);
    for (const [name, value] of options.headers ?? []) h.append(name, value);
    return req;
  }

  /** RFC 3261 §12.2.1.1: the Request-URI and Route set for the next request. */
  private requestTarget(): { uri: string; routes: string[] } {
    const first = this.routeSet[0];
    // RFC 3261 §12.2.1.1: an empty route set: Request-URI is the remote target, no Route.
    if (first === undefined) return { uri: this.remoteTarget, routes: [] };
    // RFC 3261 §12.2.1.1: loose routing: Request-URI is the remote target, Route is the route set.
    if (isLooseRoute(first)) return { uri: this.remoteTarget, routes: [...this.routeSet] };
    // RFC 3261 §12.2.1.1: strict routing: the first route becomes the Request-URI (without
    // header parameters), the rest of the set plus the remote target become the Route.
    const strictUri = (uriOf(first) ?? first).split('?')[0] ?? first;
    return { uri: strictUri, routes: [...this.routeSet.slice(1), `<${this.remoteTarget}>`] };
  }

  private transition(to: DialogState): void {
    checkMove('dialog', MOVES, this.current, to);
    this.current = to;
    if (to === 'Terminated') {
      this.acks.clear();
      this.onTerminated?.(this);
    }
  }
}

function isSips(uri: string): boolean {
  return /^sips:/i.test(uri.trim());
}

/**
 * RFC 3261 §12.1.2: the UAC's dialog from a 101–299 response with a To tag to `request`
 * (undefined otherwise): route set = Record-Route reversed, remote target = Contact.
 */
export function createUacDialog(
  request: SipRequest,
  response: SipResponse,
  localContact?: string,
): Dialog | undefined {
  const callId = callIdOf(request);
  const localTag = fromTagOf(request);
  const remoteTag = toTagOf(response);
  const cseq = cseqOf(request);
  if (response.status <= 100 || response.status >= 300) return undefined;
  if (!callId || !localTag || !remoteTag || !cseq) return undefined;
  return new Dialog({
    role: 'uac',
    state: response.status < 200 ? 'Early' : 'Confirmed',
    id: { callId, localTag, remoteTag },
    localParty: request.headers.get('from') ?? '',
    remoteParty: response.headers.get('to') ?? '',
    // RFC 3261 §12.1.2: without a Contact (a broken peer) keep the Request-URI as target.
    remoteTarget: uriOf(response.headers.get('contact')) ?? request.uri,
    // RFC 3261 §12.1.2: the route set is the Record-Route list in reverse order.
    routeSet: routeElements(response.headers.getAll('record-route')).reverse(),
    localSeq: cseq.seq,
    remoteSeq: undefined,
    localContact: localContact ?? request.headers.get('contact'),
    secure: isSips(request.uri),
  });
}

/**
 * RFC 3261 §12.1.1: the UAS's dialog for `request` answered by `response` (a 101–299 with
 * the To tag the UAS chose): route set = Record-Route in order, remote target = Contact,
 * remote CSeq = the request's.
 */
export function createUasDialog(
  request: SipRequest,
  response: SipResponse,
  localContact?: string,
): Dialog | undefined {
  const callId = callIdOf(request);
  const remoteTag = fromTagOf(request);
  const localTag = toTagOf(response);
  const cseq = cseqOf(request);
  if (response.status <= 100 || response.status >= 300) return undefined;
  if (!callId || !localTag || !remoteTag || !cseq) return undefined;
  return new Dialog({
    role: 'uas',
    state: response.status < 200 ? 'Early' : 'Confirmed',
    id: { callId, localTag, remoteTag },
    localParty: response.headers.get('to') ?? '',
    remoteParty: request.headers.get('from') ?? '',
    remoteTarget: uriOf(request.headers.get('contact')) ?? '',
    // RFC 3261 §12.1.1: the route set is the Record-Route list, in order.
    routeSet: routeElements(request.headers.getAll('record-route')),
    localSeq: undefined,
    remoteSeq: cseq.seq,
    localContact: localContact ?? response.headers.get('contact'),
    secure: isSips(request.uri),
  });
}

/** Where an inbound request belongs, per RFC 3261 §12.2.2. */
export type DialogRoute =
  /** No To tag: not in a dialog; the TU handles it as a new request. */
  | { kind: 'out-of-dialog' }
  | { kind: 'in-dialog'; dialog: Dialog }
  /** Answer with this status (481: no such dialog; 500: CSeq out of order). */
  | { kind: 'reject'; status: 481 | 500 }
  /** An ACK matching no dialog: nothing can answer it; drop it. */
  | { kind: 'drop' };

/** The dialogs of one UA or B2BUA, by dialog id. Terminated dialogs leave by themselves. */
export class DialogStore {
  private readonly dialogs = new Map<string, Dialog>();

  get size(): number {
    return this.dialogs.size;
  }

  add(dialog: Dialog): Dialog {
    this.dialogs.set(dialog.key, dialog);
    const previous = dialog.onTerminated;
    dialog.onTerminated = (d) => {
      if (this.dialogs.get(d.key) === d) this.dialogs.delete(d.key);
      previous?.(d);
    };
    return dialog;
  }

  get(id: DialogId): Dialog | undefined {
    return this.dialogs.get(dialogKey(id));
  }

  /** The dialog an inbound request belongs to (we are the UAS of it: our tag is in To). */
  forRequest(request: SipRequest): Dialog | undefined {
    const callId = callIdOf(request);
    const localTag = toTagOf(request);
    const remoteTag = fromTagOf(request);
    if (!callId || !localTag || !remoteTag) return undefined;
    return this.get({ callId, localTag, remoteTag });
  }

  /** The dialog a response to one of our requests belongs to (our tag is in From). */
  forResponse(response: SipResponse): Dialog | undefined {
    const callId = callIdOf(response);
    const localTag = fromTagOf(response);
    const remoteTag = toTagOf(response);
    if (!callId || !localTag || !remoteTag) return undefined;
    return this.get({ callId, localTag, remoteTag });
  }

  /**
   * UAC: feeds a response to `request` (the dialog-creating request or one sent within a
   * dialog) and returns its dialog — created for a 101–299 with a new To tag (each fork of
   * a forked INVITE gets its own), updated otherwise.
   */
  uacResponse(request: SipRequest, response: SipResponse, localContact?: string): Dialog | undefined {
    const existing = this.forResponse(response);
    if (existing) {
      existing.receiveResponse(response);
      return existing;
    }
    const created = createUacDialog(request, response, localContact);
    return created ? this.add(created) : undefined;
  }

  /**
   * UAS: we answer the dialog-creating `request` with `response`: creates the dialog on the
   * first 101–299 with a To tag, confirms or ends it on the final response.
   */
  uasResponse(request: SipRequest, response: SipResponse, localContact?: string): Dialog | undefined {
    const callId = callIdOf(request);
    const remoteTag = fromTagOf(request);
    const localTag = toTagOf(response);
    const existing = callId && remoteTag && localTag ? this.get({ callId, localTag, remoteTag }) : undefined;
    if (existing) {
      existing.sentResponse(response);
      return existing;
    }
    const created = createUasDialog(request, response, localContact);
    return created ? this.add(created) : undefined;
  }

  /** RFC 3261 §12.2.2: where an inbound request goes. */
  route(request: SipRequest): DialogRoute {
    // RFC 3261 §12.2.2 / §8.2: a request without a To tag is outside any dialog.
    if (toTagOf(request) === undefined) return { kind: 'out-of-dialog' };
    const dialog = this.forRequest(request);
    if (!dialog) {
      // RFC 3261 §12.2.2: no matching dialog: 481 (an ACK cannot be answered).
      return request.method.toUpperCase() === 'ACK' ? { kind: 'drop' } : { kind: 'reject', status: 481 };
    }
    const rejected = dialog.receiveRequest(request);
    if (rejected) return { kind: 'reject', status: rejected };
    return { kind: 'in-dialog', dialog };
  }

  /** Terminates every dialog (the owner is closing). */
  close(): void {
    for (const dialog of [...this.dialogs.values()]) dialog.terminate();
  }
}

export type Retransmit2xxState = 'Retransmitting' | 'Acknowledged' | 'GaveUp' | 'Stopped';

const RETRANSMIT_MOVES: Readonly<Record<Retransmit2xxState, readonly Retransmit2xxState[]>> = {
  Retransmitting: ['Acknowledged', 'GaveUp', 'Stopped'],
  Acknowledged: [],
  GaveUp: [],
  Stopped: [],
};

export interface Retransmit2xxOptions {
  clock: Clock;
  timers: TimerConfig;
  /** Called when no ACK came within 64·T1: the TU should send BYE (§13.3.1.4). */
  onTimeout(): void;
}

/**
 * RFC 3261 §13.3.1.4: the UAS core retransmits its 2xx to INVITE, starting at T1 and
 * doubling up to T2, until the ACK arrives; after 64·T1 without ACK it gives up and the
 * session should be ended with BYE. This runs on reliable transports too: the 2xx is
 * retransmitted end to end, and a UDP hop may sit behind a TCP proxy.
 *
 * ```
 *                 send 2xx
 *                    |
 *    retransmit  +----------------+  ACK        +--------------+
 *    T1,2T1..T2  | Retransmitting |-----------> | Acknowledged |
 *        +------>|                |             +--------------+
 *        +-------+----------------+ stop()      +---------+
 *                   |     +-------------------> | Stopped |
 *                   |64·T1                      +---------+
 *                   V
 *               +--------+
 *               | GaveUp | → onTimeout (send BYE)
 *               +--------+
 * ```
 */
export class Invite2xxRetransmitter {
  private current: Retransmit2xxState = 'Retransmitting';
  private interval: number;
  private readonly timerSet: TimerSet<'Retransmit' | 'GiveUp'>;

  constructor(
    private readonly send: () => void,
    private readonly options: Retransmit2xxOptions,
  ) {
    this.interval = options.timers.t1;
    this.timerSet = new TimerSet(options.clock, (timer) => this.handle({ type: 'timer', timer }));
  }

  get state(): Retransmit2xxState {
    return this.current;
  }

  /** Sends the 2xx now and arms the retransmission and give-up timers. */
  start(): void {
    this.send();
    this.timerSet.start('Retransmit', this.interval);
    this.timerSet.start('GiveUp', 64 * this.options.timers.t1);
  }

  handle(
    event: { type: 'timer'; timer: 'Retransmit' | 'GiveUp' } | { type: 'ack' } | { type: 'stop' },
  ): void {
    if (this.current !== 'Retransmitting') return;
    if (event.type === 'ack') this.transition('Acknowledged');
    else if (event.type === 'stop') this.transition('Stopped');
    else if (event.timer === 'GiveUp') {
      this.transition('GaveUp');
      this.options.onTimeout();
    } else {
      // RFC 3261 §13.3.1.4: retransmit, doubling the interval up to T2.
      this.send();
      this.interval = Math.min(2 * this.interval, this.options.timers.t2);
      this.timerSet.start('Retransmit', this.interval);
    }
  }

  /** The ACK for this 2xx arrived. */
  acknowledge(): void {
    this.handle({ type: 'ack' });
  }

  stop(): void {
    this.handle({ type: 'stop' });
  }

  private transition(to: Retransmit2xxState): void {
    checkMove('2xx retransmitter', RETRANSMIT_MOVES, this.current, to);
    this.current = to;
    this.timerSet.stopAll();
  }
}

/**
 * Answers an INVITE server transaction with `response` (a 2xx) and keeps retransmitting
 * it per §13.3.1.4 until `acknowledge()`: through the transaction while it is Accepted,
 * straight to the transport after it ended.
 */
export function send2xxReliably(
  tx: ServerInviteTransaction,
  response: SipResponse,
  options: Retransmit2xxOptions,
): Invite2xxRetransmitter {
  const retransmitter = new Invite2xxRetransmitter(() => {
    if (tx.state === 'Proceeding' || tx.state === 'Accepted') tx.respond(response);
    else tx.transport.send(response, tx.destination);
  }, options);
  retransmitter.start();
  return retransmitter;
}
