/**
 * What call legs need from the SIP stack: the transaction layer, the dialog store, the
 * transports and the clock, plus a registry that routes in-dialog requests, 2xx ACKs and
 * stray 2xx responses to the leg that owns the dialog.
 */
import type { Dialog, DialogStore } from '../sip/dialog.js';
import { cseqOf } from '../sip/fields.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import { createResponse } from '../sip/response.js';
import type { ServerTransaction, TransactionLayer } from '../sip/transaction/index.js';
import { formatHost } from '../sip/transport/routing.js';
import type { Endpoint, InboundMessage, Transport, TransportProtocol } from '../sip/transport/types.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';

/** A leg that owns dialogs: it is told about everything that arrives inside them. */
export interface DialogOwner {
  /** An in-dialog request (BYE, re-INVITE, UPDATE, INFO…) already matched to `dialog`. */
  onDialogRequest(tx: ServerTransaction, dialog: Dialog): void;
  /** An ACK for a 2xx this owner sent. */
  onAck?(ack: SipRequest, dialog: Dialog): void;
  /** A 2xx that matched no transaction (a retransmission, or a second 2xx of a fork). */
  onStray2xx?(response: SipResponse): void;
}

export interface SipContext {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly transactions: TransactionLayer;
  readonly dialogs: DialogStore;
  transport(protocol: TransportProtocol): Transport;
  /** `<sip:twinline@host:port>` for the transport a message goes out on. */
  contact(protocol: TransportProtocol): string;
  /** Routes later messages of `dialog` to `owner` until the dialog terminates. */
  own(dialog: Dialog, owner: DialogOwner): void;
  /** Routes stray 2xx responses for this Call-ID + local tag (an INVITE we sent) to `owner`. */
  ownInvite(callId: string, localTag: string, owner: DialogOwner): () => void;
}

export function createSipContext(options: {
  clock: Clock;
  logger: Logger;
  transactions: TransactionLayer;
  dialogs: DialogStore;
  transports: () => { get(p: TransportProtocol): Transport; address: string; port: number };
}): SipContext & {
  owners: Map<string, DialogOwner>;
  inviteOwners: Map<string, DialogOwner>;
} {
  const owners = new Map<string, DialogOwner>();
  const inviteOwners = new Map<string, DialogOwner>();
  return {
    clock: options.clock,
    logger: options.logger,
    transactions: options.transactions,
    dialogs: options.dialogs,
    owners,
    inviteOwners,
    transport: (p) => options.transports().get(p),
    contact(p) {
      const t = options.transports();
      return `<sip:twinline@${formatHost(t.address)}:${t.port}${p === 'TCP' ? ';transport=tcp' : ''}>`;
    },
    own(dialog, owner) {
      owners.set(dialog.key, owner);
      const previous = dialog.onTerminated;
      dialog.onTerminated = (d) => {
        if (owners.get(d.key) === owner) owners.delete(d.key);
        previous?.(d);
      };
    },
    ownInvite(callId, localTag, owner) {
      const key = `${callId}\u0000${localTag}`;
      inviteOwners.set(key, owner);
      return () => {
        if (inviteOwners.get(key) === owner) inviteOwners.delete(key);
      };
    },
  };
}

/** Where a request towards `uri`'s host goes when no registration says otherwise. */
export function endpointOf(host: string, port: number, transport: 'udp' | 'tcp'): Endpoint {
  return { protocol: transport === 'tcp' ? 'TCP' : 'UDP', address: host, port };
}

export type { InboundMessage };

/**
 * Sends a request inside `dialog` to `peer` (re-INVITE, UPDATE, INFO, OPTIONS) and resolves
 * with its final response; a 2xx to a re-INVITE is ACKed (RFC 3261 §13.2.2.4) and updates
 * the dialog's target. A timeout resolves as 408, a transport failure as 503.
 */
export function sendInDialog(
  ctx: SipContext,
  dialog: Dialog,
  peer: Endpoint,
  method: string,
  body?: Buffer,
  contentType?: string,
): Promise<SipResponse> {
  const headers: [string, string][] = [];
  if (body?.length && contentType) headers.push(['Content-Type', contentType]);
  if (method === 'INVITE') headers.push(['Contact', ctx.contact(peer.protocol)]);
  const req = dialog.createRequest(method, { headers, body });
  const transport = ctx.transport(peer.protocol);
  return new Promise((resolve) => {
    ctx.transactions.sendRequest(req, peer, transport, {
      onResponse: (res) => {
        if (res.status < 200) return;
        if (method === 'INVITE' && res.status < 300) {
          dialog.receiveResponse(res);
          ctx.transactions.sendAck(dialog.createAck(cseqOf(req)?.seq ?? 0), peer, transport);
        }
        resolve(res);
      },
      onTimeout: () => resolve(createResponse(req, 408)),
      onTransportError: () => resolve(createResponse(req, 503)),
    });
  });
}
