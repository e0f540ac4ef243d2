/**
 * The transaction layer (RFC 3261 §17): files client and server transactions, matches
 * each inbound message to one, answers CANCEL (§9.2), and hands the rest up — new
 * requests to `onRequest`, ACKs for 2xx to `onAck`, responses with no transaction
 * (retransmitted 2xx) to `onStray`.
 */
import type { Clock } from '../../util/clock.js';
import { callIdOf, cseqOf, parseVia, splitCommas, topVia } from '../fields.js';
import { newBranch, newTag } from '../ids.js';
import { headerKey, isRequest, type SipRequest, type SipResponse } from '../message.js';
import { createResponse } from '../response.js';
import { formatHost, responseDestination, stampReceived } from '../transport/routing.js';
import { type Endpoint, endpointKey, type InboundMessage, type Transport } from '../transport/types.js';
import { ClientInviteTransaction } from './client-invite.js';
import { ClientNonInviteTransaction } from './client-non-invite.js';
import {
  clientKey,
  hasMagicCookie,
  type LegacyKey,
  legacyKeyOf,
  legacyMatches,
  serverKey,
} from './matching.js';
import { ServerInviteTransaction } from './server-invite.js';
import { ServerNonInviteTransaction } from './server-non-invite.js';
import { resolveTimerConfig, type TimerConfig } from './timers.js';
import {
  type ClientTransaction,
  type ClientTransactionUser,
  type ServerTransaction,
  trySend,
} from './types.js';

export interface TransactionLayerOptions {
  clock: Clock;
  /** T1/T2/T4 and Timer D; RFC 3261 defaults (500 ms / 4 s / 5 s / 32 s) for what is left out. */
  timers?: Partial<TimerConfig>;
  /**
   * A new request (never an ACK or CANCEL). INVITE transactions have already sent 100
   * Trying. The TU answers with `tx.respond(…)` and may set `tx.user` for CANCEL/timeouts.
   */
  onRequest(tx: ServerTransaction): void;
  /**
   * An ACK that is not part of a non-2xx INVITE transaction: the ACK for a 2xx
   * (RFC 3261 §17.2.3 / §13.3.1.4; RFC 6026 §8.7). The dialog layer stops its 2xx
   * retransmissions here.
   */
  onAck?(ack: SipRequest, inbound: InboundMessage, transport: Transport): void;
  /**
   * A response that matches no client transaction (RFC 3261 §17.1.3) — typically a
   * retransmitted 2xx to an INVITE whose transaction has ended, which the TU must ACK again.
   */
  onStray?(response: SipResponse, inbound: InboundMessage, transport: Transport): void;
}

export interface TransactionLayer {
  readonly timers: Readonly<TimerConfig>;
  /** Feeds one message received by `transport` into the layer. */
  handleInbound(inbound: InboundMessage, transport: Transport): void;
  /**
   * Starts a client transaction for `request` (any method but ACK). A top Via is added when
   * there is none (`transport.local`, with `rport`), and a branch when the top Via has none.
   */
  sendRequest(
    request: SipRequest,
    destination: Endpoint,
    transport: Transport,
    user: ClientTransactionUser,
  ): ClientTransaction;
  /** `sendRequest` for INVITE, typed to the INVITE transaction (for `cancel()`). */
  sendInvite(
    invite: SipRequest,
    destination: Endpoint,
    transport: Transport,
    user: ClientTransactionUser,
  ): ClientInviteTransaction;
  /**
   * Sends an ACK for a 2xx outside any transaction (RFC 3261 §17.1.1.3, §13.2.2.4), adding
   * a Via with a new branch when missing. Returns the transport error, if any.
   */
  sendAck(ack: SipRequest, destination: Endpoint, transport: Transport): Error | undefined;
  /**
   * A transport reports that `destination` is unreachable (e.g. a TCP connect failed): every
   * transaction sending there fails with `onTransportError` (RFC 3261 §17.1.4, §17.2.4).
   */
  reportTransportError(destination: Endpoint, error: Error): void;
  /** Live transactions; both are 0 once every transaction has terminated. */
  readonly size: { client: number; server: number };
  /** Ends every transaction without telling any TU. Idempotent. */
  close(): void;
}

export function createTransactionLayer(options: TransactionLayerOptions): TransactionLayer {
  return new Layer(options);
}

/**
 * Makes sure the top Via of an outgoing request has a branch (RFC 3261 §8.1.1.7), adding
 * a whole Via for `transport` when the request has none. Returns the branch.
 */
export function ensureBranch(request: SipRequest, transport: Transport): string {
  const fields = request.headers.fields;
  const idx = fields.findIndex((f) => headerKey(f.name) === 'via');
  const field = idx < 0 ? undefined : fields[idx];
  if (!field) {
    const branch = newBranch();
    const { address, port } = transport.local;
    request.headers.prepend(
      'Via',
      `SIP/2.0/${transport.protocol} ${formatHost(address)}:${port};branch=${branch};rport`,
    );
    return branch;
  }
  const parts = splitCommas(field.value);
  const top = parts[0] ?? '';
  const existing = parseVia(top)?.branch;
  if (existing) return existing;
  const branch = newBranch();
  parts[0] = `${top};branch=${branch}`;
  fields[idx] = { name: field.name, value: parts.join(', ') };
  return branch;
}

/** RFC 3261 §8.2.2 / §16.3: the fields a request needs before a transaction can exist. */
function missingField(req: SipRequest): string | undefined {
  const cseq = cseqOf(req);
  if (!cseq) return 'Bad CSeq';
  if (cseq.method.toUpperCase() !== req.method.toUpperCase()) return 'CSeq Method Mismatch';
  if (!callIdOf(req)) return 'Missing Call-ID';
  if (req.headers.get('from') === undefined) return 'Missing From';
  if (req.headers.get('to') === undefined) return 'Missing To';
  return undefined;
}

class Layer implements TransactionLayer {
  readonly timers: TimerConfig;
  private readonly clients = new Map<string, ClientTransaction>();
  /** Server transactions whose top Via branch has the magic cookie, by §17.2.3 key. */
  private readonly servers = new Map<string, ServerTransaction>();
  /**
   * RFC 2543 server transactions, matched by the fallback rules on the fields noted when
   * each was created (the transaction lets go of its request on the final response).
   */
  private readonly legacy = new Map<ServerTransaction, LegacyKey | undefined>();

  constructor(private readonly options: TransactionLayerOptions) {
    this.timers = resolveTimerConfig(options.timers);
  }

  get size(): { client: number; server: number } {
    return { client: this.clients.size, server: this.servers.size + this.legacy.size };
  }

  handleInbound(inbound: InboundMessage, transport: Transport): void {
    const message = inbound.message;
    if (isRequest(message)) this.inboundRequest(message, inbound, transport);
    else this.inboundResponse(message, inbound, transport);
  }

  sendRequest(
    request: SipRequest,
    destination: Endpoint,
    transport: Transport,
    user: ClientTransactionUser,
  ): ClientTransaction {
    // RFC 3261 §17.1.1.3: an ACK is never a transaction of its own.
    if (request.method === 'ACK') throw new TypeError('ACK has no client transaction: use sendAck');
    const branch = ensureBranch(request, transport);
    const key = clientKey(branch, request.method);
    if (this.clients.has(key)) throw new Error(`a client transaction ${key} already exists`);
    const onTerminated = () => this.clients.delete(key);
    const base = {
      clock: this.options.clock,
      timers: this.timers,
      transport,
      destination,
      user,
      onTerminated,
    };
    const tx: ClientTransaction =
      request.method === 'INVITE'
        ? new ClientInviteTransaction(request, branch, {
            ...base,
            sendCancel: (cancel, cancelUser) =>
              this.sendRequest(cancel, destination, transport, cancelUser) as ClientNonInviteTransaction,
          })
        : new ClientNonInviteTransaction(request, branch, base);
    this.clients.set(key, tx);
    tx.start();
    return tx;
  }

  sendInvite(
    invite: SipRequest,
    destination: Endpoint,
    transport: Transport,
    user: ClientTransactionUser,
  ): ClientInviteTransaction {
    if (invite.method !== 'INVITE') throw new TypeError(`sendInvite needs an INVITE, not ${invite.method}`);
    return this.sendRequest(invite, destination, transport, user) as ClientInviteTransaction;
  }

  sendAck(ack: SipRequest, destination: Endpoint, transport: Transport): Error | undefined {
    ensureBranch(ack, transport);
    return trySend(transport, ack, destination);
  }

  reportTransportError(destination: Endpoint, error: Error): void {
    const key = endpointKey(destination);
    for (const tx of [...this.clients.values()]) {
      if (endpointKey(tx.destination) === key) tx.handle({ type: 'transport-error', error });
    }
    for (const tx of [...this.servers.values(), ...this.legacy.keys()]) {
      if (endpointKey(tx.destination) === key) tx.handle({ type: 'transport-error', error });
    }
  }

  close(): void {
    for (const tx of [...this.clients.values()]) tx.dispose();
    for (const tx of [...this.servers.values(), ...this.legacy.keys()]) tx.dispose();
  }

  private inboundResponse(response: SipResponse, inbound: InboundMessage, transport: Transport): void {
    const via = topVia(response);
    const cseq = cseqOf(response);
    // RFC 3261 §17.1.3: match on the top Via branch and the CSeq method.
    const tx = via?.branch && cseq ? this.clients.get(clientKey(via.branch, cseq.method)) : undefined;
    if (tx) tx.handle({ type: 'response', response });
    else this.options.onStray?.(response, inbound, transport);
  }

  private inboundRequest(req: SipRequest, inbound: InboundMessage, transport: Transport): void {
    // RFC 3261 §18.2.1: without a Via there is nowhere to send a response; drop it.
    if (!topVia(req)) return;
    const problem = missingField(req);
    if (problem) {
      // RFC 3261 §8.2.2 / §21.4.1: a malformed request is answered 400, never thrown on.
      if (req.method !== 'ACK') {
        trySend(transport, createResponse(req, 400, problem), responseDestination(req, inbound.source));
      }
      return;
    }
    // RFC 3261 §18.2.1: note where the request really came from before anything answers it.
    stampReceived(req, inbound.source);
    const existing = this.matchServer(req);
    if (existing) {
      existing.handle({ type: 'request', request: req, inbound });
      return;
    }
    if (req.method === 'ACK') {
      // RFC 3261 §17.2.3: an ACK matching no transaction is for a 2xx; it goes to the TU.
      this.options.onAck?.(req, inbound, transport);
      return;
    }
    if (req.method === 'CANCEL') {
      this.inboundCancel(req, inbound, transport);
      return;
    }
    const tx = this.createServer(req, inbound, transport);
    if (tx.kind === 'invite') tx.start();
    this.options.onRequest(tx);
  }

  /** RFC 3261 §9.2: the CANCEL gets its own transaction, answered by the layer itself. */
  private inboundCancel(cancel: SipRequest, inbound: InboundMessage, transport: Transport): void {
    const cancelTx = this.createServer(cancel, inbound, transport);
    const target = this.findCancelTarget(cancel);
    if (!target) {
      // RFC 3261 §9.2: a CANCEL matching no transaction gets 481.
      cancelTx.respond(createResponse(cancel, 481));
      return;
    }
    // RFC 3261 §9.2: the To tag of the 200 to CANCEL SHOULD equal that of the request's responses.
    const tag = target.toTag ?? newTag();
    cancelTx.respond(createResponse(cancel, 200, undefined, tag));
    if (target.kind === 'invite') {
      // RFC 3261 §9.2: after a final response the CANCEL has no effect on the INVITE.
      if (target.state !== 'Proceeding') return;
      // RFC 3261 §9.2: an INVITE without a final response is answered 487 at once.
      target.respond(createResponse(target.request, 487, undefined, tag));
      target.user.onCancel?.(cancel, target);
    } else if (target.state === 'Trying' || target.state === 'Proceeding') {
      target.user.onCancel?.(cancel, target);
    }
  }

  private matchServer(req: SipRequest): ServerTransaction | undefined {
    const via = topVia(req);
    // RFC 3261 §17.2.3: branch with magic cookie + sent-by + method (ACK matches INVITE).
    if (hasMagicCookie(via)) return this.servers.get(serverKey(via, req.method));
    // RFC 3261 §17.2.3: RFC 2543 fallback when the branch lacks the magic cookie.
    const as = req.method === 'ACK' ? 'ack' : 'retransmission';
    for (const [tx, key] of this.legacy) if (legacyMatches({ key, toTag: tx.toTag }, req, as)) return tx;
    return undefined;
  }

  /** RFC 3261 §9.2: the transaction a CANCEL cancels: same match, method anything but CANCEL/ACK. */
  private findCancelTarget(cancel: SipRequest): ServerTransaction | undefined {
    const via = topVia(cancel);
    if (hasMagicCookie(via)) {
      const invite = this.servers.get(serverKey(via, 'INVITE'));
      if (invite) return invite;
      // Keys are branch|sent-by|METHOD: the same branch and sent-by with any method but CANCEL.
      const prefix = serverKey(via, '');
      for (const [key, tx] of this.servers) {
        const method = key.startsWith(prefix) ? key.slice(prefix.length) : '';
        if (method !== '' && method !== 'CANCEL' && !method.includes('|')) return tx;
      }
      return undefined;
    }
    for (const [tx, key] of this.legacy)
      if (legacyMatches({ key, toTag: tx.toTag }, cancel, 'cancel')) return tx;
    return undefined;
  }

  private createServer(req: SipRequest, inbound: InboundMessage, transport: Transport): ServerTransaction {
    const via = topVia(req);
    const key = hasMagicCookie(via) ? serverKey(via, req.method) : undefined;
    const onTerminated = (tx: ServerTransaction) => {
      if (key === undefined) this.legacy.delete(tx);
      else if (this.servers.get(key) === tx) this.servers.delete(key);
    };
    const { source, local } = inbound;
    const base = {
      clock: this.options.clock,
      timers: this.timers,
      transport,
      source,
      // RFC 3261 §18.2.2 / RFC 3581: where every response of this transaction goes.
      destination: responseDestination(req, inbound.source),
      onTerminated,
    };
    const tx: ServerTransaction =
      req.method === 'INVITE'
        ? new ServerInviteTransaction(req, {
            ...base,
            // Not `inbound` itself: it holds the INVITE, which the transaction lets go of.
            passAck: (ack, ackInbound) =>
              this.options.onAck?.(ack, ackInbound ?? { message: ack, source, local }, transport),
          })
        : new ServerNonInviteTransaction(req, base);
    if (key === undefined) this.legacy.set(tx, legacyKeyOf(req));
    else this.servers.set(key, tx);
    return tx;
  }
}
