/**
 * The call engine in-process, on a loopback network and a virtual clock (STYLE 5, 11):
 * twinline's transaction layer, dialog store, SIP context, registrar, qualifier, digest
 * server and call engine wired the way src/server.ts wires them, and scripted SIP
 * endpoints (desk phones, a carrier, a voicemail server, callers) built on the same
 * transaction layer. Every message and every timer runs in virtual time, so a 32-second
 * Timer B or a 15-second No Answer Time takes microseconds of wall time.
 *
 * src/server.ts composes the engine inside `startServer`, around real UDP/TCP sockets and
 * a SQLite store, so its wiring cannot be called with loopback transports; the minimal
 * part of it is repeated here (transaction layer with onAck/onStray routed to dialog
 * owners, the in-dialog dispatch, the qualify probe, the registrar, the engine). The
 * housekeeping timers (registration sweep, store refresh) are left out: they belong to
 * the store, not to calls, and would keep the clock from ever going idle.
 *
 * Call flows read like ladder diagrams (STYLE 12):
 *
 * ```ts
 * desk.expects('INVITE').then(ring, answerAfter(4000));
 * const call = bob.sends('INVITE').to('201');
 * await h.run(10_000);
 * ```
 */
import assert from 'node:assert/strict';
import {
  buildSnapshot,
  type ConfigSnapshot,
  type DirectoryInput,
  parseDirectoryYaml,
} from '../../src/config/index.js';
import { createRtpRelay, type RtpRelay } from '../../src/media/index.js';
import { type CdrSink, createMemoryCdrSink } from '../../src/pbx/cdr.js';
import { type CallEngine, createCallEngine } from '../../src/pbx/engine.js';
import { withChanges } from '../../src/pbx/short-codes.js';
import { createSipContext } from '../../src/pbx/sip-context.js';
import { type Binding, type BindingStore, createMemoryBindingStore } from '../../src/registrar/bindings.js';
import { createQualifier, type Qualifier } from '../../src/registrar/qualify.js';
import { createRegistrar, type Registrar } from '../../src/registrar/registrar.js';
import { createThrottle } from '../../src/registrar/throttle.js';
import {
  type Dialog,
  DialogStore,
  type Invite2xxRetransmitter,
  send2xxReliably,
} from '../../src/sip/dialog.js';
import {
  createDigestServer,
  type DigestAlgorithm,
  type DigestServer,
  digestResponse,
  formatAuthorization,
} from '../../src/sip/digest.js';
import { callIdOf, fromTagOf } from '../../src/sip/fields.js';
import { newCallId, newTag } from '../../src/sip/ids.js';
import {
  isRequest,
  makeRequest,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from '../../src/sip/message.js';
import { createResponse } from '../../src/sip/response.js';
import {
  type ClientInviteTransaction,
  createTransactionLayer,
  type ServerInviteTransaction,
  type ServerTransaction,
  type TimerConfig,
  type TransactionLayer,
} from '../../src/sip/transaction/index.js';
import type { Endpoint } from '../../src/sip/transport/types.js';
import { checkRequest } from '../../src/sip/validate.js';
import { type TimerHandle, VirtualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import { describe, LoopbackNetwork, type LoopbackTransport, type SentRecord } from './loopback.js';

/** Where twinline listens on the loopback network. */
export const PBX_ADDRESS = '10.0.0.1';
export const PBX_PORT = 5060;
export const PBX: Endpoint = { protocol: 'UDP', address: PBX_ADDRESS, port: PBX_PORT };

/** The virtual instant every harness starts at: far from 0, so "start + delay" is never just "delay". */
export const T0 = 10_000;

/** A caller's offer; its media address is loopback, as twinline's relay really sends there. */
export const SDP_OFFER = [
  'v=0',
  'o=caller 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 4000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');

function sdpAnswer(name: string, address: string): string {
  return [
    'v=0',
    `o=${name.replace(/\W/g, '')} 1 1 IN IP4 ${address}`,
    's=-',
    // Media on loopback whatever the endpoint's address: twinline's relay really sends RTP.
    'c=IN IP4 127.0.0.1',
    't=0 0',
    'm=audio 6000 RTP/AVP 0',
    'a=rtpmap:0 PCMU/8000',
    '',
  ].join('\r\n');
}

// ───────────────────────────── the clock ─────────────────────────────

interface TracedTimer {
  at: number;
  /** Where it was set; formatted only when a leak is reported (formatting stacks is slow). */
  where: Error;
  done: boolean;
}

function originOf(where: Error): string {
  return (
    (where.stack ?? '')
      .split('\n')
      .slice(1)
      .map((l) => l.trim())
      .find((l) => !/\/util\/clock\.|\/transaction\/timers\.|pbx-harness\.ts.*setTimer/.test(l)) ?? '?'
  );
}

/**
 * A VirtualClock that remembers where each timer was set, so a leaked timer names the
 * code that leaked it.
 */
export class TracingClock extends VirtualClock {
  private readonly traced = new Set<TracedTimer>();

  override setTimer(ms: number, fn: () => void): TimerHandle {
    const t: TracedTimer = {
      at: this.now() + Math.max(0, ms),
      where: new Error('timer set here'),
      done: false,
    };
    this.traced.add(t);
    const handle = super.setTimer(ms, () => {
      t.done = true;
      this.traced.delete(t);
      fn();
    });
    return {
      cancel: () => {
        t.done = true;
        this.traced.delete(t);
        handle.cancel();
      },
    };
  }

  /** The live timers, as `deadline origin` lines. */
  pendingTimers(): string[] {
    return [...this.traced].filter((t) => !t.done).map((t) => `${t.at} ${originOf(t.where)}`);
  }
}

/** Lets promise callbacks (the engine's queued microtasks, relay promises) run. */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

// ───────────────────────────── scripted endpoints ─────────────────────────────

export interface Received {
  /** Virtual time of arrival. */
  at: number;
  /** `INVITE`, `180 INVITE`, `200 BYE`… (see loopback `describe`). */
  label: string;
  message: SipMessage;
}

/** One INVITE an endpoint received, and what its script did with it. */
export class IncomingCall {
  readonly tag = newTag();
  readonly at: number;
  dialog: Dialog | undefined;
  retransmitter: Invite2xxRetransmitter | undefined;
  state: 'offered' | 'ringing' | 'answered' | 'confirmed' | 'rejected' | 'cancelled' | 'ended' = 'offered';
  /** The CANCEL that ended it, if one did. */
  cancel: SipRequest | undefined;
  /** The BYE that ended it, if one did. */
  bye: SipRequest | undefined;

  constructor(
    readonly ua: SipUa,
    readonly tx: ServerInviteTransaction,
  ) {
    this.at = ua.clock.now();
  }

  get request(): SipRequest {
    return this.tx.request;
  }

  get live(): boolean {
    return this.state === 'offered' || this.state === 'ringing';
  }
}

/** One step of an endpoint's answer to an INVITE. */
export type Action = (call: IncomingCall) => void;

/** 180 Ringing, with a To tag: an early dialog. */
export const ring: Action = (call) => {
  if (!call.live) return;
  const res = createResponse(call.request, 180, undefined, call.tag);
  res.headers.append('Contact', call.ua.contact);
  call.tx.respond(res);
  call.dialog = call.ua.dialogs.uasResponse(call.request, res);
  call.state = 'ringing';
};

/** 200 OK with an SDP answer, retransmitted until the ACK (RFC 3261 §13.3.1.4). */
export const answer: Action = (call) => answerWithSdp(sdpAnswer(call.ua.name, call.ua.address))(call);

/** 200 OK with this SDP (media where the test listens), retransmitted until the ACK. */
export const answerWithSdp =
  (sdp: string): Action =>
  (call) => {
    if (!call.live) return;
    const ok = createResponse(call.request, 200, undefined, call.tag);
    ok.headers.append('Contact', call.ua.contact);
    ok.headers.append('Content-Type', 'application/sdp');
    ok.body = Buffer.from(sdp);
    call.dialog = call.ua.dialogs.uasResponse(call.request, ok);
    call.state = 'answered';
    call.retransmitter = send2xxReliably(call.tx, ok, {
      clock: call.ua.clock,
      timers: call.ua.layer.timers,
      onTimeout: () => {
        call.state = 'ended';
        call.dialog?.terminate();
      },
    });
  };

/** Answers `ms` after the INVITE arrived, unless it was cancelled by then. */
export function answerAfter(ms: number): Action {
  return (call) => {
    call.ua.clock.setTimer(Math.max(0, ms - (call.ua.clock.now() - call.at)), () => answer(call));
  };
}

/** A final failure now (486, 603…). */
export function reject(status: number): Action {
  return (call) => {
    if (!call.live) return;
    call.tx.respond(createResponse(call.request, status, undefined, call.tag));
    call.dialog?.terminate();
    call.state = 'rejected';
  };
}

/** Hangs up (BYE) `ms` after answering. */
export function hangUpAfter(ms: number): Action {
  return (call) => {
    call.ua.clock.setTimer(Math.max(0, ms - (call.ua.clock.now() - call.at)), () => call.ua.hangUp(call));
  };
}

/** What an endpoint is told to expect: the next INVITE gets these actions, in order. */
export class Expectation {
  /** The INVITE this expectation took, once it arrived. */
  call: IncomingCall | undefined;
  actions: Action[] = [ring];

  constructor(readonly method: 'INVITE') {}

  // biome-ignore lint/suspicious/noThenProperty: ladder-diagram style (STYLE 12), never awaited
  then(...actions: Action[]): Expectation {
    this.actions = actions;
    return this;
  }
}

/** A call an endpoint placed (`ua.sends('INVITE').to(…)`). */
export class OutgoingCall {
  /** Every response the transaction user saw (provisional and final), in order. */
  readonly responses: { at: number; status: number; response: SipResponse }[] = [];
  dialog: Dialog | undefined;
  tx: ClientInviteTransaction | undefined;
  invite: SipRequest;
  /** Virtual time the (authenticated, when challenged) INVITE was sent. */
  sentAt: number;
  state: 'calling' | 'early' | 'answered' | 'failed' | 'ended' = 'calling';
  /** ACK the 2xx automatically (false: the test sends its own, or none). */
  autoAck = true;
  private cseq = 1;
  private authenticated = false;

  constructor(
    readonly ua: SipUa,
    readonly target: string,
    readonly options: { password?: string; user?: string },
  ) {
    const user = options.user ?? ua.name;
    this.invite = makeRequest('INVITE', `sip:${target}@${PBX_ADDRESS}`, [
      ['Max-Forwards', '70'],
      ['From', `<sip:${user}@twinline>;tag=${newTag()}`],
      ['To', `<sip:${target}@twinline>`],
      ['Call-ID', newCallId(ua.address)],
      ['CSeq', '1 INVITE'],
      ['Contact', ua.contact],
      ['Content-Type', 'application/sdp'],
    ]);
    this.invite.body = Buffer.from(SDP_OFFER);
    this.sentAt = ua.clock.now();
  }

  /** The final status, once there is one (a 407 answered with credentials does not count). */
  get final(): number | undefined {
    return this.responses.filter((r) => r.status >= 200).at(-1)?.status;
  }

  start(): this {
    this.sentAt = this.ua.clock.now();
    this.tx = this.ua.layer.sendInvite(this.invite, PBX, this.ua.transport, {
      onResponse: (res) => this.onResponse(res),
      onTimeout: () => {
        this.state = 'failed';
      },
      onTransportError: () => {
        this.state = 'failed';
      },
    });
    this.ua.outgoing.add(this);
    return this;
  }

  /** RFC 3261 §9.1: abandons the call before the answer. */
  cancel(): void {
    this.tx?.cancel();
  }

  /** The ACK for the 2xx (when autoAck is off). */
  ack(): void {
    if (!this.dialog) throw new Error('no dialog to ACK');
    this.ua.layer.sendAck(this.dialog.createAck(this.cseq), PBX, this.ua.transport);
  }

  /** BYE on the confirmed dialog. */
  hangUp(): void {
    if (!this.dialog) throw new Error('no dialog to hang up');
    const bye = this.dialog.createRequest('BYE');
    this.ua.layer.sendRequest(bye, PBX, this.ua.transport, {
      onResponse() {},
      onTimeout() {},
      onTransportError() {},
    });
    this.dialog.terminate();
    this.state = 'ended';
  }

  /** A 2xx that came again (or late): ACKed again, as RFC 3261 §13.2.2.4 says. */
  onStray(res: SipResponse): void {
    if (!this.autoAck) return;
    const dialog = this.ua.dialogs.forResponse(res);
    if (dialog && dialog === this.dialog) this.ack();
  }

  private onResponse(res: SipResponse): void {
    this.responses.push({ at: this.ua.clock.now(), status: res.status, response: res });
    if (res.status === 407 && this.options.password && !this.authenticated) {
      this.authenticated = true;
      this.retryWithCredentials(res);
      return;
    }
    // RFC 3261 §12.1.2, §12.3: 1xx make early dialogs; a failure ends them.
    if (res.status > 100) this.ua.dialogs.uacResponse(this.invite, res);
    if (res.status < 200) {
      if (res.status > 100) this.state = 'early';
      return;
    }
    if (res.status < 300) {
      this.dialog = this.ua.dialogs.forResponse(res);
      this.state = 'answered';
      if (this.autoAck) this.ack();
      return;
    }
    this.state = 'failed';
  }

  /** RFC 3261 §22.2: the same INVITE again, CSeq + 1, with Proxy-Authorization. */
  private retryWithCredentials(challenge: SipResponse): void {
    const header = challenge.headers.get('proxy-authenticate') ?? '';
    const param = (name: string) => new RegExp(`${name}="?([^",]+)"?`, 'i').exec(header)?.[1] ?? '';
    const user = this.options.user ?? this.ua.name;
    const c = {
      username: user,
      realm: param('realm'),
      nonce: param('nonce'),
      uri: this.invite.uri,
      algorithm: (param('algorithm') || 'MD5') as DigestAlgorithm,
      qop: 'auth',
      nc: '00000001',
      cnonce: newTag(),
    };
    const response = digestResponse(c, this.options.password ?? '', 'INVITE');
    this.cseq = 2;
    const again = makeRequest(
      'INVITE',
      this.invite.uri,
      this.invite.headers.fields
        .filter((f) => !/^(via|cseq)$/i.test(f.name))
        .map((f) => [f.name, f.value] as [string, string]),
      this.invite.body,
    );
    again.headers.set('CSeq', '2 INVITE');
    again.headers.append('Proxy-Authorization', formatAuthorization({ ...c, response }));
    this.invite = again;
    this.start();
  }
}

/**
 * One SIP endpoint on the loopback network: its own transaction layer and dialogs. It
 * records everything it receives with its virtual time, answers INVITEs by script, BYE
 * and OPTIONS with 200, and ACKs the 2xx of calls it placed.
 */
export class SipUa {
  readonly transport: LoopbackTransport;
  readonly layer: TransactionLayer;
  readonly dialogs = new DialogStore();
  readonly received: Received[] = [];
  readonly incoming: IncomingCall[] = [];
  readonly outgoing = new Set<OutgoingCall>();
  private readonly script: Expectation[] = [];

  constructor(
    readonly harness: PbxHarness,
    readonly name: string,
    readonly address: string,
    readonly port = 5060,
    readonly password?: string,
  ) {
    this.transport = harness.net.transport(address, port);
    this.transport.onMessage((inbound) => {
      this.received.push({
        at: this.clock.now(),
        label: describe(inbound.message),
        message: inbound.message,
      });
    });
    this.layer = createTransactionLayer({
      clock: harness.clock,
      timers: harness.timers,
      onRequest: (tx) => this.onRequest(tx),
      onAck: (ack) => {
        const dialog = this.dialogs.forRequest(ack);
        const call = this.incoming.find((c) => c.dialog !== undefined && c.dialog === dialog);
        if (call) {
          call.retransmitter?.acknowledge();
          if (call.state === 'answered') call.state = 'confirmed';
        }
      },
      onStray: (res) => {
        if (res.status < 200 || res.status >= 300) return;
        for (const call of this.outgoing) {
          if (callIdOf(call.invite) === callIdOf(res) && fromTagOf(call.invite) === fromTagOf(res))
            call.onStray(res);
        }
      },
    });
    this.transport.onMessage((inbound, transport) => this.layer.handleInbound(inbound, transport));
  }

  get clock(): TracingClock {
    return this.harness.clock;
  }

  get contact(): string {
    return `<sip:${this.name}@${this.address}:${this.port}>`;
  }

  get endpoint(): Endpoint {
    return { protocol: 'UDP', address: this.address, port: this.port };
  }

  /** The next INVITE this endpoint receives gets the actions given to `.then(…)`. */
  expects(method: 'INVITE'): Expectation {
    const e = new Expectation(method);
    this.script.push(e);
    return e;
  }

  /** Places a call through twinline: `bob.sends('INVITE').to('201')`. */
  sends(_method: 'INVITE'): {
    to(target: string | SipUa, options?: { autoAck?: boolean; user?: string }): OutgoingCall;
  } {
    return {
      to: (target, options = {}) => {
        const call = new OutgoingCall(this, typeof target === 'string' ? target : target.name, {
          password: this.password,
          user: options.user,
        });
        if (options.autoAck === false) call.autoAck = false;
        return call.start();
      },
    };
  }

  /** BYE on an incoming call this endpoint answered. */
  hangUp(call: IncomingCall): void {
    if (call.state !== 'answered' && call.state !== 'confirmed') return;
    const dialog = call.dialog;
    if (!dialog) return;
    call.retransmitter?.stop();
    call.state = 'ended';
    const bye = dialog.createRequest('BYE');
    this.layer.sendRequest(bye, call.tx.source, this.transport, {
      onResponse() {},
      onTimeout() {},
      onTransportError() {},
    });
    dialog.terminate();
  }

  /** What arrived with this label (`INVITE`, `CANCEL`, `200 INVITE`…), in order. */
  got(label: string): Received[] {
    return this.received.filter((r) => r.label === label);
  }

  /** The requests of `method` received (retransmissions included), in order. */
  requests(method: string): SipRequest[] {
    return this.got(method)
      .map((r) => r.message)
      .filter(isRequest);
  }

  /** Arrival times of `got(label)`. */
  times(label: string): number[] {
    return this.got(label).map((r) => r.at);
  }

  /** Every request/response label received, in order (`INVITE`, `ACK`, `BYE`…). */
  labels(): string[] {
    return this.received.map((r) => r.label);
  }

  /** The ladder as this endpoint saw it: `at label` lines. */
  ladder(): string[] {
    return this.received.map((r) => `${r.at} ${r.label}`);
  }

  private onRequest(tx: ServerTransaction): void {
    const request = tx.request;
    const route = this.dialogs.route(request);
    if (route.kind === 'reject') {
      tx.respond(createResponse(request, route.status));
      return;
    }
    if (route.kind === 'in-dialog') {
      tx.respond(createResponse(request, 200));
      if (request.method === 'BYE') {
        route.dialog.terminate();
        const call = this.incoming.find((c) => c.dialog === route.dialog);
        if (call) {
          call.retransmitter?.stop();
          call.state = 'ended';
          call.bye = request;
        }
        for (const out of this.outgoing) {
          if (out.dialog === route.dialog) out.state = 'ended';
        }
      }
      return;
    }
    if (request.method !== 'INVITE') {
      tx.respond(createResponse(request, request.method === 'OPTIONS' ? 200 : 481));
      return;
    }
    const call = new IncomingCall(this, tx as ServerInviteTransaction);
    this.incoming.push(call);
    (tx as ServerInviteTransaction).user = {
      onCancel: (cancel) => {
        call.cancel = cancel;
        call.state = 'cancelled';
        call.dialog?.terminate();
      },
    };
    const expectation = this.script.shift() ?? new Expectation('INVITE');
    expectation.call = call;
    for (const action of expectation.actions) action(call);
  }
}

// ───────────────────────────── the harness ─────────────────────────────

export interface PbxHarnessOptions {
  /** The directory: a YAML text or an object (validated by the config model). */
  directory: string | DirectoryInput;
  /** Transaction timers (RFC 3261 defaults when absent). */
  timers?: Partial<TimerConfig>;
  /** One-way network delay in ms (default 0). */
  latencyMs?: number;
}

export class PbxHarness {
  readonly clock = new TracingClock();
  readonly net: LoopbackNetwork;
  readonly timers: Partial<TimerConfig> | undefined;
  readonly pbx: LoopbackTransport;
  readonly transactions: TransactionLayer;
  readonly dialogs = new DialogStore();
  readonly sip: ReturnType<typeof createSipContext>;
  readonly bindings: BindingStore = createMemoryBindingStore();
  readonly digest: DigestServer;
  readonly registrar: Registrar;
  readonly qualifier: Qualifier;
  readonly engine: CallEngine;
  readonly cdrs: CdrSink = createMemoryCdrSink();
  readonly relay: RtpRelay;
  private current: ConfigSnapshot;
  private revision = 1;
  readonly endpoints: SipUa[] = [];

  constructor(options: PbxHarnessOptions) {
    const clock = this.clock;
    clock.advanceTo(T0);
    this.timers = options.timers;
    this.net = new LoopbackNetwork(clock, { latencyMs: options.latencyMs ?? 0 });
    this.current = this.build(options.directory);
    const logger = silentLogger;
    const config = () => this.current;

    this.digest = createDigestServer({
      realm: config().system.realm,
      clock,
      algorithms: () => config().system.digestAlgorithms,
    });
    this.pbx = this.net.transport(PBX_ADDRESS, PBX_PORT);
    const transports = {
      get: () => this.pbx,
      address: PBX_ADDRESS,
      port: PBX_PORT,
    };
    // As src/server.ts: 2xx ACKs and stray 2xx go to the dialog's owner.
    const transactions: TransactionLayer = createTransactionLayer({
      clock,
      timers: options.timers,
      onRequest: (tx) => this.dispatch(tx),
      onAck: (ack) => {
        const dialog = this.dialogs.forRequest(ack);
        if (dialog) this.sip.owners.get(dialog.key)?.onAck?.(ack, dialog);
      },
      onStray: (response) => {
        if (response.status < 200 || response.status >= 300) return;
        const key = `${callIdOf(response) ?? ''}\u0000${fromTagOf(response) ?? ''}`;
        this.sip.inviteOwners.get(key)?.onStray2xx?.(response);
      },
    });
    this.transactions = transactions;
    this.sip = createSipContext({
      clock,
      logger,
      transactions,
      dialogs: this.dialogs,
      transports: () => transports,
    });
    this.pbx.onMessage((inbound, transport) => transactions.handleInbound(inbound, transport));

    // As src/server.ts: a qualify probe is an OPTIONS, failed after QUALIFY_TIMEOUT_MS.
    const probe = (binding: Binding): Promise<boolean> =>
      new Promise((resolve) => {
        const giveUp = clock.setTimer(3000, () => resolve(false));
        const settle = (ok: boolean) => {
          giveUp.cancel();
          resolve(ok);
        };
        const request = makeRequest('OPTIONS', binding.contact, [
          ['Max-Forwards', '70'],
          ['From', `<sip:twinline@${PBX_ADDRESS}:${PBX_PORT}>;tag=${newTag()}`],
          ['To', `<${binding.contact}>`],
          ['Call-ID', newCallId(PBX_ADDRESS)],
          ['CSeq', '1 OPTIONS'],
          ['Content-Length', '0'],
        ]);
        transactions.sendRequest(request, binding.source, this.pbx, {
          onResponse: (res) => {
            if (res.status >= 200) settle(true);
          },
          onTimeout: () => settle(false),
          onTransportError: () => settle(false),
        });
      });
    const qualify = config().system.qualify;
    this.qualifier = createQualifier({
      clock,
      intervalMs: qualify.intervalSeconds * 1000,
      failureThreshold: qualify.failureThreshold,
      probe,
    });
    this.registrar = createRegistrar({
      clock,
      digest: this.digest,
      bindings: this.bindings,
      passwordFor: (ext) => config().usersByExtension.get(ext)?.password,
      throttleBySource: createThrottle(clock),
      throttleByUser: createThrottle(clock),
      logger,
      onChange: (aor) => {
        for (const b of this.registrar.bindingsOf(aor)) this.qualifier.track(b);
      },
    });
    this.relay = createRtpRelay({ bindAddress: '127.0.0.1', clock, logger });
    this.engine = createCallEngine({
      sip: this.sip,
      snapshot: config,
      registrar: this.registrar,
      qualifier: this.qualifier,
      digest: this.digest,
      throttle: createThrottle(clock),
      cdr: this.cdrs,
      relay: this.relay,
      applyUserChange: (extension, changes) => {
        const doc = this.current.directory;
        const users = doc.users.map((u) => (String(u.extension) === extension ? withChanges(u, changes) : u));
        this.setDirectory({ ...doc, users } as DirectoryInput);
        return { ok: true };
      },
      localHost: PBX_ADDRESS,
    });
  }

  /** src/server.ts `dispatch`: validation, in-dialog routing to owners, then by method. */
  private dispatch(tx: ServerTransaction): void {
    const request = tx.request;
    const rejection = checkRequest(request, { supportedExtensions: [] });
    if (rejection) {
      const response = createResponse(request, rejection.status, rejection.reason);
      for (const [name, value] of rejection.headers ?? []) response.headers.append(name, value);
      tx.respond(response);
      return;
    }
    const existing = this.dialogs.forRequest(request);
    const dialogOwner = existing ? this.sip.owners.get(existing.key) : undefined;
    const route = this.dialogs.route(request);
    if (route.kind === 'reject') {
      tx.respond(createResponse(request, route.status));
      return;
    }
    if (route.kind === 'in-dialog') {
      const owner = dialogOwner ?? this.sip.owners.get(route.dialog.key);
      if (owner) owner.onDialogRequest(tx, route.dialog);
      else tx.respond(createResponse(request, 481));
      return;
    }
    switch (request.method) {
      case 'OPTIONS':
        tx.respond(createResponse(request, 200));
        return;
      case 'REGISTER':
        tx.respond(this.registrar.handle(request, tx.source));
        return;
      case 'INVITE':
        this.engine.handleInvite(tx as ServerInviteTransaction);
        return;
      default:
        tx.respond(createResponse(request, request.method === 'BYE' ? 481 : 405));
    }
  }

  /** The snapshot calls take now. */
  get snapshot(): ConfigSnapshot {
    return this.current;
  }

  /** CFG-4: a new directory; calls from now on take its snapshot, calls in progress keep theirs. */
  setDirectory(directory: string | DirectoryInput): void {
    this.revision += 1;
    this.current = this.build(directory);
  }

  private build(directory: string | DirectoryInput): ConfigSnapshot {
    if (typeof directory !== 'string') return buildSnapshot(directory, this.revision);
    const parsed = parseDirectoryYaml(directory);
    if (!parsed.ok) throw new Error(`directory refused: ${JSON.stringify(parsed.errors)}`);
    return buildSnapshot(parsed.directory, this.revision);
  }

  /** A scripted endpoint at `address` (a carrier on its trunk's address, a voicemail server…). */
  endpoint(name: string, address: string, port = 5060, password?: string): SipUa {
    const ua = new SipUa(this, name, address, port, password);
    this.endpoints.push(ua);
    return ua;
  }

  /**
   * A user's desk phone at `address`, bound in the registrar's store directly (as if it
   * had registered a moment ago): `extension` is both its name and its SIP user.
   */
  phone(extension: string, address: string): SipUa {
    const password = this.current.usersByExtension.get(extension)?.password;
    const ua = this.endpoint(extension, address, 5060, password);
    this.bind(extension, ua.endpoint);
    return ua;
  }

  /** A binding for `extension` to `at` (where nothing may listen: a silent phone). */
  bind(extension: string, at: Endpoint): void {
    const now = this.clock.wallNow();
    this.bindings.put({
      aor: extension,
      contact: `sip:${extension}@${at.address}:${at.port}`,
      expiresAt: now + 3_600_000,
      callId: newCallId(at.address),
      cseq: 1,
      source: at,
      updatedAt: now,
    });
  }

  /**
   * Runs `fn` at the virtual instant `t`, after the timers already due then (and before
   * those set later for the same instant): how a test makes two things cross in one ms.
   */
  at(t: number, fn: () => void): void {
    this.clock.setTimer(t - this.clock.now(), fn);
  }

  /**
   * Moves virtual time forward by `ms`, deadline by deadline, letting promise callbacks
   * run between timers.
   */
  async run(ms: number): Promise<void> {
    await this.runTo(this.clock.now() + ms);
  }

  /** `run` to the absolute virtual instant `t`. */
  async runTo(t: number): Promise<void> {
    for (;;) {
      await flushMicrotasks();
      const next = this.clock.nextDeadline();
      if (next === undefined || next > t) break;
      this.clock.advanceTo(next);
    }
    this.clock.advanceTo(t);
    await flushMicrotasks();
  }

  /** Runs until no timer is left (at most `limitMs` of virtual time). */
  async drain(limitMs = 120_000): Promise<void> {
    const end = this.clock.now() + limitMs;
    for (;;) {
      await flushMicrotasks();
      const next = this.clock.nextDeadline();
      if (next === undefined || next > end) return;
      this.clock.advanceTo(next);
    }
  }

  /** What twinline sent, as the network logged it. */
  sentBy(label?: string): SentRecord[] {
    return this.net.sent(label, this.pbx.local);
  }

  /** Every live thing that should be gone once all calls ended and the protocol timers ran out. */
  leftovers(): string[] {
    const out: string[] = [];
    const calls = this.engine.calls();
    if (calls.length > 0) out.push(`${calls.length} call(s) still in the engine`);
    const tx = this.transactions.size;
    if (tx.client + tx.server > 0) out.push(`twinline transactions: ${JSON.stringify(tx)}`);
    if (this.dialogs.size > 0) out.push(`twinline dialogs: ${this.dialogs.size}`);
    if (this.sip.owners.size > 0) out.push(`dialog owners: ${this.sip.owners.size}`);
    if (this.sip.inviteOwners.size > 0) out.push(`INVITE owners: ${this.sip.inviteOwners.size}`);
    for (const ua of this.endpoints) {
      const s = ua.layer.size;
      if (s.client + s.server > 0) out.push(`${ua.name} transactions: ${JSON.stringify(s)}`);
      if (ua.dialogs.size > 0) out.push(`${ua.name} dialogs: ${ua.dialogs.size}`);
    }
    for (const t of this.clock.pendingTimers()) out.push(`timer ${t}`);
    return out;
  }

  /** Closes what the harness opened. */
  async close(): Promise<void> {
    this.engine.abortAll();
    this.qualifier.stop();
    this.transactions.close();
    for (const ua of this.endpoints) ua.layer.close();
    await this.relay.close();
  }
}

export function createPbxHarness(options: PbxHarnessOptions): PbxHarness {
  return new PbxHarness(options);
}

/** Longer than every SIP timer: after this much virtual time nothing may be left. */
export const SETTLE_MS = 40_000;

/** Lets the protocol timers run out, then checks no call, transaction, dialog or timer is left. */
export async function assertAllCleared(h: PbxHarness): Promise<void> {
  await h.run(SETTLE_MS);
  assert.deepEqual(h.leftovers(), [], 'nothing left after the calls ended');
  assert.equal(h.clock.pendingCount, 0, 'no timer pending');
  await h.close();
}

/** Virtual times relative to `t0`. */
export const rel = (times: number[], t0: number): number[] => times.map((t) => t - t0);
