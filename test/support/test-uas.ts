/**
 * A small user agent server built only from twinline's SIP stack (transports, transaction
 * layer, dialogs), for interop tests against real SIPp callers: it rings, then answers
 * after `ringMs` (or never, for CANCEL tests), and answers BYE in the dialog.
 */
import {
  createUasDialog,
  type Dialog,
  DialogStore,
  type Invite2xxRetransmitter,
  send2xxReliably,
} from '../../src/sip/dialog.js';
import { newTag } from '../../src/sip/ids.js';
import type { SipRequest } from '../../src/sip/message.js';
import { createResponse } from '../../src/sip/response.js';
import {
  createTransactionLayer,
  type ServerInviteTransaction,
  type TimerConfig,
  type TransactionLayer,
} from '../../src/sip/transaction/index.js';
import { formatHost, startTransports, type TransportSet } from '../../src/sip/transport/index.js';
import { type Clock, systemClock } from '../../src/util/clock.js';

export interface TestUasOptions {
  /** Milliseconds between 180 and 200; undefined = never answer. */
  ringMs?: number;
  clock?: Clock;
  timers?: Partial<TimerConfig>;
}

export interface TestUas {
  readonly sip: TransportSet;
  readonly layer: TransactionLayer;
  readonly dialogs: DialogStore;
  /** Every request the UAS's transaction user saw, in order ("INVITE", "ACK", "BYE", …). */
  readonly seen: string[];
  /** Resolves when a BYE was answered, or a CANCEL ended the call. */
  readonly finished: Promise<'bye' | 'cancel'>;
  stop(): Promise<void>;
}

const SDP = [
  'v=0',
  'o=uas 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 6000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');

export async function startTestUas(options: TestUasOptions = {}): Promise<TestUas> {
  const clock = options.clock ?? systemClock;
  const dialogs = new DialogStore();
  const seen: string[] = [];
  const retransmitters = new Set<Invite2xxRetransmitter>();
  let finish: (how: 'bye' | 'cancel') => void = () => {};
  const finished = new Promise<'bye' | 'cancel'>((resolve) => {
    finish = resolve;
  });
  let transports: TransportSet | undefined;

  const contact = () => `<sip:uas@${formatHost(transports!.address)}:${transports!.port}>`;

  const layer = createTransactionLayer({
    clock,
    timers: options.timers,
    onRequest(tx) {
      const request = tx.request;
      seen.push(request.method);
      const route = dialogs.route(request);
      if (route.kind === 'reject') {
        tx.respond(createResponse(request, route.status));
        return;
      }
      if (route.kind === 'in-dialog') {
        tx.respond(createResponse(request, 200));
        if (request.method === 'BYE') {
          route.dialog.terminate();
          finish('bye');
        }
        return;
      }
      if (request.method !== 'INVITE') {
        tx.respond(createResponse(request, request.method === 'OPTIONS' ? 200 : 481));
        return;
      }
      answerInvite(tx as ServerInviteTransaction, request);
    },
    onAck(ack) {
      seen.push('ACK');
      const dialog = dialogs.forRequest(ack);
      if (dialog) for (const r of retransmitters) r.acknowledge();
    },
  });

  function answerInvite(tx: ServerInviteTransaction, request: SipRequest): void {
    const tag = newTag();
    const ringing = createResponse(request, 180, undefined, tag);
    ringing.headers.append('Contact', contact());
    tx.respond(ringing);
    const early: Dialog | undefined = createUasDialog(request, ringing);
    if (early) dialogs.add(early);
    tx.user = {
      onCancel: () => {
        early?.terminate();
        finish('cancel');
      },
    };
    if (options.ringMs === undefined) return;
    clock.setTimer(options.ringMs, () => {
      if (tx.state !== 'Proceeding') return;
      const ok = createResponse(request, 200, undefined, tag);
      ok.headers.append('Contact', contact());
      ok.headers.append('Content-Type', 'application/sdp');
      ok.body = Buffer.from(SDP);
      early?.sentResponse(ok);
      const r = send2xxReliably(tx, ok, {
        clock,
        timers: layer.timers,
        onTimeout: () => retransmitters.delete(r),
      });
      retransmitters.add(r);
    });
  }

  transports = await startTransports({
    address: '127.0.0.1',
    port: 0,
    events: {
      onMessage: (inbound, transport) => layer.handleInbound(inbound, transport),
      onTransportError: (err, peer) => layer.reportTransportError(peer, err),
    },
  });

  return {
    sip: transports,
    layer,
    dialogs,
    seen,
    finished,
    async stop() {
      for (const r of retransmitters) r.stop?.();
      layer.close();
      dialogs.close();
      await transports!.close();
    },
  };
}
