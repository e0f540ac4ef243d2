/**
 * The contracts between transactions and the layer above them (STYLE 2): a client
 * transaction reports responses, a timeout (the TU answers itself with 408) and a
 * transport failure (503); a server transaction reports CANCEL, a missing ACK and a
 * transport failure.
 */
import type { SipMessage, SipRequest, SipResponse } from '../message.js';
import { serializeMessage } from '../serialize.js';
import type { Endpoint, Transport } from '../transport/types.js';
import type { ClientInviteTransaction } from './client-invite.js';
import type { ClientNonInviteTransaction } from './client-non-invite.js';
import type { ServerInviteTransaction } from './server-invite.js';
import type { ServerNonInviteTransaction } from './server-non-invite.js';

export type ClientTransaction = ClientInviteTransaction | ClientNonInviteTransaction;
export type ServerTransaction = ServerInviteTransaction | ServerNonInviteTransaction;

/** What a client transaction tells its transaction user (RFC 3261 §17.1). */
export interface ClientTransactionUser {
  /** Every response the TU must see: provisional responses, and the first final one. */
  onResponse(response: SipResponse, tx: ClientTransaction): void;
  /** Timer B or F fired (RFC 3261 §17.1.1.2, §17.1.2.2): the TU acts as if it got 408. */
  onTimeout(tx: ClientTransaction): void;
  /** The transport could not send (RFC 3261 §8.1.3.1): the TU acts as if it got 503. */
  onTransportError(error: Error, tx: ClientTransaction): void;
}

/** What a server transaction tells its transaction user (RFC 3261 §17.2). All optional. */
export interface ServerTransactionUser {
  /**
   * RFC 3261 §9.2: a CANCEL matched this transaction before it sent a final response. The
   * layer has already answered the CANCEL with 200 and, for INVITE, the request with 487.
   */
  onCancel?(cancel: SipRequest, tx: ServerTransaction): void;
  /** Timer H fired: the ACK for a non-2xx final response never came (RFC 3261 §17.2.1). */
  onTimeout?(tx: ServerTransaction): void;
  /** A response could not be sent (RFC 3261 §17.2.4). */
  onTransportError?(error: Error, tx: ServerTransaction): void;
}

/** A server transaction's TU before the TU sets one, and after the transaction let it go. */
export const NO_SERVER_USER: ServerTransactionUser = Object.freeze({});

export const NO_CLIENT_USER: ClientTransactionUser = {
  onResponse() {},
  onTimeout() {},
  onTransportError() {},
};

/** A state move that the machine's table does not allow: a programming error, not a protocol fault. */
export class IllegalTransitionError extends Error {
  readonly code = 'ILLEGAL_TRANSITION';
  constructor(machine: string, from: string, to: string) {
    super(`${machine}: illegal transition ${from} -> ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

/**
 * A transaction's request was read after the transaction let go of it: it keeps the parsed
 * request only until its final response (a programming error in the TU, which must take
 * what it needs from the request while the transaction is live).
 */
export class RequestReleasedError extends Error {
  readonly code = 'REQUEST_RELEASED';
  constructor(machine: string, state: string) {
    super(`${machine}: the request was let go on the final response (state ${state})`);
    this.name = 'RequestReleasedError';
  }
}

/** Throws unless `table[from]` lists `to`. */
export function checkMove<S extends string>(
  machine: string,
  table: Readonly<Record<S, readonly S[]>>,
  from: S,
  to: S,
): void {
  if (!table[from].includes(to)) throw new IllegalTransitionError(machine, from, to);
}

/**
 * What a transaction in a waiting state (Completed, Confirmed, Accepted) keeps of a message
 * it may still have to send again (a final response, an ACK): its wire bytes as one flat
 * latin1 string (latin1 maps every byte to one char and back). Not the parsed message: that
 * is a tree of a dozen objects per message, and at a few hundred calls per second the 32 s
 * of Timer D/J/K/L kept hundreds of thousands of them alive for the garbage collector to
 * walk. A string is one leaf object, and resending is rare.
 */
export type Wire = string;

/** Serialises `message` once: the bytes to send now and the wire form to keep. */
export function toWire(message: SipMessage): { bytes: Buffer; wire: Wire } {
  const bytes = serializeMessage(message);
  return { bytes, wire: bytes.toString('latin1') };
}

export function wireBytes(wire: Wire): Buffer {
  return Buffer.from(wire, 'latin1');
}

/**
 * Sends through the transport, turning a synchronous throw into a returned error; the
 * transport contract says send never throws, but a transaction must survive one that does.
 */
export function trySend(transport: Transport, message: SipMessage | Buffer, to: Endpoint): Error | undefined {
  try {
    transport.send(message, to);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}
