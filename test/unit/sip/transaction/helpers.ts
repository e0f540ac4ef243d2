/** Builders and recorders shared by the transaction tests. */
import { makeRequest, type SipRequest, type SipResponse } from '../../../../src/sip/message.js';
import {
  type ClientTransaction,
  type ClientTransactionUser,
  createTransactionLayer,
  type ServerTransaction,
  type TimerConfig,
  type TransactionLayer,
} from '../../../../src/sip/transaction/index.js';
import type { Endpoint, TransportProtocol } from '../../../../src/sip/transport/types.js';
import { VirtualClock } from '../../../../src/util/clock.js';
import { LoopbackNetwork, type LoopbackTransport } from '../../../support/loopback.js';

export interface RequestOptions {
  branch?: string;
  /** Full top Via value (overrides branch/host). */
  via?: string;
  host?: string;
  port?: number;
  protocol?: TransportProtocol;
  callId?: string;
  fromTag?: string;
  toTag?: string;
  cseq?: number;
  uri?: string;
  routes?: string[];
  extra?: [string, string][];
}

/** A request as a UA at `host` would send it. Omit `branch` to let the layer add one. */
export function request(method: string, o: RequestOptions = {}): SipRequest {
  const host = o.host ?? '10.0.0.1';
  const fields: [string, string][] = [];
  if (o.via !== undefined) fields.push(['Via', o.via]);
  else if (o.branch !== undefined)
    fields.push(['Via', `SIP/2.0/${o.protocol ?? 'UDP'} ${host}:${o.port ?? 5060};branch=${o.branch}`]);
  fields.push(['Max-Forwards', '70']);
  for (const r of o.routes ?? []) fields.push(['Route', r]);
  fields.push(['From', `"Alice" <sip:alice@example.com>;tag=${o.fromTag ?? 'a1'}`]);
  fields.push(['To', `<sip:bob@example.com>${o.toTag ? `;tag=${o.toTag}` : ''}`]);
  fields.push(['Call-ID', o.callId ?? 'call-1@10.0.0.1']);
  fields.push(['CSeq', `${o.cseq ?? 1} ${method}`]);
  fields.push(['Contact', `<sip:alice@${host}:${o.port ?? 5060}>`]);
  for (const f of o.extra ?? []) fields.push(f);
  return makeRequest(method, o.uri ?? 'sip:bob@example.com', fields);
}

export const ALICE: Endpoint = { protocol: 'UDP', address: '10.0.0.1', port: 5060 };
export const BOB: Endpoint = { protocol: 'UDP', address: '10.0.0.2', port: 5060 };
/** Nobody listens here: everything sent to it is logged and lost. */
export const VOID: Endpoint = { protocol: 'UDP', address: '10.0.0.99', port: 5060 };

export function at(ep: Endpoint, protocol: TransportProtocol): Endpoint {
  return { ...ep, protocol };
}

/** Records what a client transaction tells its TU, stamped with virtual time. */
export function recorder(clock: VirtualClock) {
  const events: string[] = [];
  const responses: SipResponse[] = [];
  const user: ClientTransactionUser = {
    onResponse(res: SipResponse, _tx: ClientTransaction) {
      responses.push(res);
      events.push(`${clock.now()} ${res.status}`);
    },
    onTimeout() {
      events.push(`${clock.now()} timeout`);
    },
    onTransportError(err: Error) {
      events.push(`${clock.now()} transport-error ${err.message}`);
    },
  };
  return { events, responses, user };
}

export interface Rig {
  clock: VirtualClock;
  net: LoopbackNetwork;
  /** UAC side: transport at ALICE and its layer. */
  a: LoopbackTransport;
  uac: TransactionLayer;
  /** UAS side: transport at BOB and its layer. */
  b: LoopbackTransport;
  uas: TransactionLayer;
  /** Server transactions the UAS layer handed up, in order. */
  requests: ServerTransaction[];
  acks: SipRequest[];
  strays: SipResponse[];
  uacRequests: ServerTransaction[];
  /** What the UAS TU does with each new request (default: nothing). */
  answer: (tx: ServerTransaction) => void;
  /** What the UAS TU does with each 2xx ACK (after it is recorded in `acks`). */
  onAck: (ack: SipRequest) => void;
  /** What the UAC TU does with each stray response (after it is recorded in `strays`). */
  onStray: (res: SipResponse) => void;
}

/** A UAC layer at ALICE and a UAS layer at BOB joined by a loopback network. */
export function rig(protocol: TransportProtocol = 'UDP', timers?: Partial<TimerConfig>): Rig {
  const clock = new VirtualClock();
  const net = new LoopbackNetwork(clock);
  const a = net.transport(ALICE.address, ALICE.port, protocol);
  const b = net.transport(BOB.address, BOB.port, protocol);
  const r = {
    clock,
    net,
    a,
    b,
    requests: [],
    acks: [],
    strays: [],
    uacRequests: [],
    answer: () => {},
    onAck: () => {},
    onStray: () => {},
  } as unknown as Rig;
  r.uac = createTransactionLayer({
    clock,
    timers,
    onRequest: (tx) => r.uacRequests.push(tx),
    onStray: (res) => {
      r.strays.push(res);
      r.onStray(res);
    },
  });
  r.uas = createTransactionLayer({
    clock,
    timers,
    onRequest: (tx) => {
      r.requests.push(tx);
      r.answer(tx);
    },
    onAck: (ack) => {
      r.acks.push(ack);
      r.onAck(ack);
    },
    onStray: (res) => r.strays.push(res),
  });
  a.onMessage((inbound, t) => r.uac.handleInbound(inbound, t));
  b.onMessage((inbound, t) => r.uas.handleInbound(inbound, t));
  return r;
}

/** A UAS layer at BOB alone; requests are injected as if they came from `from`. */
export function lonelyUas(protocol: TransportProtocol = 'UDP', timers?: Partial<TimerConfig>) {
  const clock = new VirtualClock();
  const net = new LoopbackNetwork(clock);
  const b = net.transport(BOB.address, BOB.port, protocol);
  const requests: ServerTransaction[] = [];
  const acks: SipRequest[] = [];
  const events: string[] = [];
  let answer: (tx: ServerTransaction) => void = () => {};
  const layer = createTransactionLayer({
    clock,
    timers,
    onRequest: (tx) => {
      requests.push(tx);
      tx.user = {
        onCancel: () => events.push(`${clock.now()} cancel`),
        onTimeout: () => events.push(`${clock.now()} timeout`),
        onTransportError: (e) => events.push(`${clock.now()} transport-error ${e.message}`),
      };
      answer(tx);
    },
    onAck: (ack) => acks.push(ack),
  });
  const inject = (req: SipRequest, from: Endpoint = at(ALICE, protocol)) =>
    layer.handleInbound({ message: req, source: from, local: b.local }, b);
  return {
    clock,
    net,
    b,
    layer,
    requests,
    acks,
    events,
    inject,
    onRequest(fn: (tx: ServerTransaction) => void) {
      answer = fn;
    },
  };
}
