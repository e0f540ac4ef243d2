/**
 * An in-process "network" for SIP tests (STYLE 11): fake transports that deliver
 * SipMessage objects to each other through a VirtualClock, with a log of every message
 * sent (and its virtual send time) and rules to drop chosen messages.
 *
 * Each delivered message is a deep copy, so the receiver stamping `received` on a Via
 * never changes what the sender (or the log) holds.
 */
import { Headers, isRequest, type SipMessage } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parse.js';
import {
  type Endpoint,
  endpointKey,
  type InboundMessage,
  type Transport,
  type TransportProtocol,
} from '../../src/sip/transport/types.js';
import type { VirtualClock } from '../../src/util/clock.js';

export interface SentRecord {
  /** Virtual time of the send. */
  at: number;
  from: Endpoint;
  to: Endpoint;
  /** A copy of the message as it was sent. */
  message: SipMessage;
  /** True when a drop rule swallowed it (or nobody listens at `to`). */
  dropped: boolean;
}

export interface DropRule {
  /** Which messages to drop. */
  match(record: SentRecord): boolean;
  /** How many matching messages to drop (default: all). */
  times?: number;
}

export interface LoopbackOptions {
  /** One-way delay of every message, in ms (default 0: delivered on the next clock step). */
  latencyMs?: number;
}

export function cloneMessage<M extends SipMessage>(m: M): M {
  const headers = new Headers(m.headers.fields.map((f) => ({ name: f.name, value: f.value })));
  return { ...m, headers, body: Buffer.from(m.body) };
}

/** A short label for logs and assertions: `INVITE` or `180 Ringing (INVITE)`. */
export function describe(m: SipMessage): string {
  if (isRequest(m)) return m.method;
  const method = /\s(\S+)\s*$/.exec(m.headers.get('cseq') ?? '')?.[1] ?? '?';
  return `${m.status} ${method}`;
}

export class LoopbackTransport implements Transport {
  readonly reliable: boolean;
  private handlers: ((inbound: InboundMessage, transport: Transport) => void)[] = [];

  constructor(
    private readonly network: LoopbackNetwork,
    readonly local: Endpoint,
  ) {
    this.reliable = local.protocol === 'TCP';
  }

  get protocol(): TransportProtocol {
    return this.local.protocol;
  }

  /** Bytes (a transaction's kept wire form) are parsed back, so the log holds messages only. */
  send(message: SipMessage | Buffer, to: Endpoint): void {
    if (!Buffer.isBuffer(message)) {
      this.network.carry(this, message, to);
      return;
    }
    const parsed = parseMessage(message);
    if (!parsed.ok) throw new Error(`loopback: unparseable bytes sent: ${parsed.reason}`);
    this.network.carry(this, parsed.message, to);
  }

  onMessage(handler: (inbound: InboundMessage, transport: Transport) => void): void {
    this.handlers.push(handler);
  }

  deliver(inbound: InboundMessage): void {
    for (const h of this.handlers) h(inbound, this);
  }
}

export class LoopbackNetwork {
  /** Every message sent, in order. */
  readonly log: SentRecord[] = [];
  private readonly endpoints = new Map<string, LoopbackTransport>();
  private readonly rules: { rule: DropRule; left: number }[] = [];
  private readonly latency: number;

  constructor(
    readonly clock: VirtualClock,
    options: LoopbackOptions = {},
  ) {
    this.latency = options.latencyMs ?? 0;
  }

  /** A transport bound to `address:port` over `protocol` (TCP is reliable). */
  transport(address: string, port = 5060, protocol: TransportProtocol = 'UDP'): LoopbackTransport {
    const local: Endpoint = { protocol, address, port };
    const t = new LoopbackTransport(this, local);
    this.endpoints.set(endpointKey(local), t);
    return t;
  }

  /** Drops messages that match (all of them, or the first `times`). */
  drop(match: (record: SentRecord) => boolean, times?: number): void {
    const rule: DropRule = { match, times };
    this.rules.push({ rule, left: times ?? Number.POSITIVE_INFINITY });
  }

  /** Sent records whose message `describe`s as `label` (e.g. 'INVITE', '200 INVITE'). */
  sent(label?: string, from?: Endpoint): SentRecord[] {
    return this.log.filter(
      (r) =>
        (label === undefined || describe(r.message) === label) &&
        (from === undefined || endpointKey(r.from) === endpointKey(from)),
    );
  }

  /** Send times of the records `sent(label, from)`. */
  times(label?: string, from?: Endpoint): number[] {
    return this.sent(label, from).map((r) => r.at);
  }

  /** The ladder so far: `at from->to label` lines. */
  ladder(): string[] {
    return this.log.map(
      (r) =>
        `${r.at} ${r.from.address}->${r.to.address} ${describe(r.message)}${r.dropped ? ' (dropped)' : ''}`,
    );
  }

  carry(from: LoopbackTransport, message: SipMessage, to: Endpoint): void {
    const record: SentRecord = {
      at: this.clock.now(),
      from: from.local,
      to,
      message: cloneMessage(message),
      dropped: false,
    };
    this.log.push(record);
    const rule = this.rules.find((r) => r.left > 0 && r.rule.match(record));
    const target = this.endpoints.get(endpointKey({ ...to, protocol: from.local.protocol }));
    if (rule) rule.left--;
    if (rule || !target) {
      record.dropped = true;
      return;
    }
    const copy = cloneMessage(message);
    this.clock.setTimer(this.latency, () =>
      target.deliver({ message: copy, source: from.local, local: target.local }),
    );
  }
}
