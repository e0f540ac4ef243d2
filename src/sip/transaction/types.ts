/**
 * The contracts between transactions and the layer above them (STYLE 2): a client
 * transaction reports responses, a timeout (the TU answers itself with 408) and a
 * transport failure (503); a server transaction reports CANCEL, a missing ACK and a
 * transport failure.
 */
import type { SipMessage, SipRequest, SipResponse } from '../message.js';
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
 * Sends through the transport, turning a synchronous throw into a returned error; the
 * transport contract says send never throws, but a transaction must survive one that does.
 */
export function trySend(transport: Transport, message: SipMessage, to: Endpoint): Error | undefined {
  try {
    transport.send(message, to);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}
