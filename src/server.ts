/**
 * The composition root: opens the store, loads the live configuration, starts the SIP
 * transports and the transaction layer, and wires the registrar, qualify and (as they
 * arrive) the call engine and the admin API. Nothing below this file knows how the
 * others are put together.
 */
import { type AdminServer, ensureAdminAccount, startAdminServer } from './admin/index.js';
import type { ConfigSnapshot, Directory } from './config/index.js';
import { createRtpRelay } from './media/index.js';
import { createSipMetrics, outcomeLabel } from './metrics.js';
import { type CdrSink, createStoreCdrSink } from './pbx/cdr.js';
import { type CallEngine, createCallEngine } from './pbx/engine.js';
import { withChanges } from './pbx/short-codes.js';
import { createSipContext } from './pbx/sip-context.js';
import type { Binding } from './registrar/bindings.js';
import { createQualifier, type Qualifier } from './registrar/qualify.js';
import { createRegistrar, type Registrar } from './registrar/registrar.js';
import { createThrottle } from './registrar/throttle.js';
import { DialogStore } from './sip/dialog.js';
import { createDigestServer } from './sip/digest.js';
import { callIdOf, fromTagOf } from './sip/fields.js';
import { newCallId, newTag } from './sip/ids.js';
import { makeRequest, type SipRequest, type SipResponse } from './sip/message.js';
import { createResponse } from './sip/response.js';
import {
  createTransactionLayer,
  type ServerInviteTransaction,
  type ServerTransaction,
  type TimerConfig,
  type TransactionLayer,
} from './sip/transaction/index.js';
import { formatHost, startTransports, type TransportSet } from './sip/transport/index.js';
import { checkRequest } from './sip/validate.js';
import { openDirectoryConfig } from './store/directory-config.js';
import type { LiveConfig } from './store/live-config.js';
import { openSqliteStore } from './store/sqlite.js';
import type { Store } from './store/types.js';
import { type Clock, systemClock } from './util/clock.js';
import type { Logger } from './util/log.js';

/** Methods twinline answers today; the rest get 405 with this Allow list (RFC 3261 §8.2.1). */
export const ALLOWED_METHODS = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REGISTER'] as const;

/** How long a qualify OPTIONS may stay unanswered before the probe counts as failed. */
export const QUALIFY_TIMEOUT_MS = 3000;

export interface ServerOptions {
  sip: { address: string; port: number };
  /** Directory for the store; ':memory:' keeps everything in memory (tests). */
  dataDir: string;
  logger: Logger;
  clock?: Clock;
  /** Transaction timers (T1/T2/T4/D); tests shorten them. */
  timers?: Partial<TimerConfig>;
  /** The directory written on first start; the demo directory when absent. */
  seed?: () => Directory;
  /** How often expired registrations are swept (default 5 s). */
  expirySweepMs?: number;
  /** How often the store is checked for a directory committed by another process (default 1 s). */
  configRefreshMs?: number;
  /** Where the admin web page and API listen; absent = not started. */
  http?: { address: string; port: number };
}

export interface TwinlineServer {
  readonly sip: TransportSet;
  readonly config: LiveConfig<ConfigSnapshot>;
  readonly store: Store;
  readonly registrar: Registrar;
  readonly qualifier: Qualifier;
  readonly transactions: TransactionLayer;
  readonly engine: CallEngine;
  readonly cdrs: CdrSink;
  /** The admin API's address, when it was started. */
  readonly http: { address: string; port: number } | undefined;
  /** Refuses new calls (503) and resolves when calls in progress have ended, or after `boundMs`. */
  drain(boundMs: number): Promise<void>;
  /** Stops taking messages, ends timers and closes the store. Idempotent. */
  stop(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<TwinlineServer> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger;
  const store = openSqliteStore({ dataDir: options.dataDir, clock });
  const metrics = createSipMetrics(
    () => store.bindings.all().filter((b) => b.expiresAt > clock.wallNow()).length,
  );
  let draining = false;

  // CFG-4: one live configuration, validated by the config model, applied without restart.
  const config = openDirectoryConfig(store, { seed: options.seed, logger, clock });

  const digest = createDigestServer({
    realm: config.current().system.realm,
    clock,
    algorithms: () => config.current().system.digestAlgorithms,
  });
  let transports: TransportSet | undefined;

  const dialogs = new DialogStore();
  const transactions = createTransactionLayer({
    clock,
    timers: options.timers,
    onRequest: (tx) => dispatch(tx),
    onAck: (ack) => {
      const dialog = dialogs.forRequest(ack);
      if (dialog) sipContext.owners.get(dialog.key)?.onAck?.(ack, dialog);
    },
    onStray: (response) => {
      if (response.status < 200 || response.status >= 300) return;
      const key = `${callIdOf(response) ?? ''}\u0000${fromTagOf(response) ?? ''}`;
      sipContext.inviteOwners.get(key)?.onStray2xx?.(response);
    },
  });
  const sipContext = createSipContext({
    clock,
    logger,
    transactions,
    dialogs,
    transports: () => {
      if (!transports) throw new Error('SIP transports are not started yet');
      return transports;
    },
  });

  // Qualify: OPTIONS to each registered contact, at the address its REGISTER came from.
  // (decision) a probe unanswered for QUALIFY_TIMEOUT_MS counts as failed: waiting for
  // Timer F (32 s) would make fallback twinning notice a dead desk phone far too late.
  const probe = (binding: Binding): Promise<boolean> =>
    new Promise((resolve) => {
      if (!transports) return resolve(false);
      const giveUp = clock.setTimer(QUALIFY_TIMEOUT_MS, () => resolve(false));
      const settle = (ok: boolean) => {
        giveUp.cancel();
        resolve(ok);
      };
      const transport = transports.get(binding.source.protocol);
      const host = formatHost(transport.local.address);
      const request = makeRequest('OPTIONS', binding.contact, [
        ['Max-Forwards', '70'],
        ['From', `<sip:twinline@${host}:${transport.local.port}>;tag=${newTag()}`],
        ['To', `<${binding.contact}>`],
        ['Call-ID', newCallId(host)],
        ['CSeq', '1 OPTIONS'],
        ['Content-Length', '0'],
      ]);
      transactions.sendRequest(request, binding.source, transport, {
        onResponse: (res) => {
          if (res.status >= 200) settle(true);
        },
        onTimeout: () => {
          metrics.transactionTimeouts.inc();
          settle(false);
        },
        onTransportError: () => settle(false),
      });
    });

  const qualifySettings = config.current().system.qualify;
  const qualifier = createQualifier({
    clock,
    intervalMs: qualifySettings.intervalSeconds * 1000,
    failureThreshold: qualifySettings.failureThreshold,
    probe: async (binding) => {
      const ok = await probe(binding);
      logger.debug({ user: binding.aor, contact: binding.contact, ok }, 'qualify probe');
      return ok;
    },
    onReachability: (aor, reachable) =>
      logger.info({ user: aor, reachable }, 'extension reachability changed'),
  });

  const registrar: Registrar = createRegistrar({
    clock,
    digest,
    bindings: store.bindings,
    passwordFor: (ext) => config.current().usersByExtension.get(ext)?.password,
    throttleBySource: createThrottle(clock),
    throttleByUser: createThrottle(clock),
    logger,
    onChange: (aor) => syncQualify(aor),
    onAuthFailure: () => metrics.authFailures.inc({ method: 'REGISTER' }),
  });

  /** Keeps the qualifier's contacts equal to the user's live bindings. */
  const tracked = new Map<string, Set<string>>();
  function syncQualify(aor: string): void {
    const live = registrar.bindingsOf(aor);
    const before = tracked.get(aor) ?? new Set<string>();
    const now = new Set(live.map((b) => b.contact));
    for (const contact of before) if (!now.has(contact)) qualifier.untrack(aor, contact);
    for (const b of live) qualifier.track(b);
    if (now.size > 0) tracked.set(aor, now);
    else tracked.delete(aor);
  }
  // Bindings survive a restart (issue: registrar); their contacts are probed again.
  for (const aor of new Set(store.bindings.all().map((b) => b.aor))) syncQualify(aor);

  let sweepTimer = clock.setTimer(options.expirySweepMs ?? 5000, function sweep() {
    for (const aor of registrar.expire()) syncQualify(aor);
    sweepTimer = clock.setTimer(options.expirySweepMs ?? 5000, sweep);
  });

  // CFG-4: a directory committed by another process (config import) applies from the next
  // call or registration on; one that does not validate is refused once, loudly.
  let refusedRevision = 0;
  let refreshTimer = clock.setTimer(options.configRefreshMs ?? 1000, function refresh() {
    const result = config.refresh();
    if (result && 'errors' in result) {
      const stored = store.config.revision();
      if (stored !== refusedRevision) {
        refusedRevision = stored;
        logger.error(
          { revision: stored, errors: result.errors },
          'stored configuration refused: keeping the one in force',
        );
      }
    }
    refreshTimer = clock.setTimer(options.configRefreshMs ?? 1000, refresh);
  });
  config.onChange((_snapshot, revision) => logger.info({ revision }, 'configuration changed'));

  const cdrs = createStoreCdrSink(store.calls, {
    clock,
    onError: (err, pending) =>
      logger.error({ err, pending }, 'call records not written: kept for the next try'),
  });
  // RTP for the calls twinline answers itself, on the SIP address (ports 20000–20999).
  const relay = createRtpRelay({ bindAddress: options.sip.address, clock, logger });
  const engine = createCallEngine({
    sip: sipContext,
    snapshot: () => config.current(),
    registrar,
    qualifier,
    digest,
    throttle: createThrottle(clock),
    cdr: cdrs,
    relay,
    onAuthFailure: () => metrics.authFailures.inc({ method: 'INVITE' }),
    onMobileFeatureRefused: (feature) => metrics.mobileFeatureRefusals.inc({ feature }),
    draining: () => draining,
    applyUserChange(extension, changes) {
      const doc = config.document();
      const users = doc.users.map((u) => (String(u.extension) === extension ? withChanges(u, changes) : u));
      const result = config.apply({ ...doc, users }, `user:${extension}`);
      return result.ok ? { ok: true } : { ok: false, errors: result.errors };
    },
    localHost: options.sip.address.includes(':') ? `[${options.sip.address}]` : options.sip.address,
  });

  // Counted from the events: engine.calls() copies every live call, once per event.
  const live = new Set<string>();
  engine.subscribe((event) => {
    if (event.type === 'callEnded') live.delete(event.call.id);
    else live.add(event.call.id);
    metrics.activeCalls.set(live.size);
    if (event.type !== 'callEnded') return;
    metrics.calls.inc({ outcome: event.call.answeredAt === undefined ? 'unanswered' : 'answered' });
    for (const leg of event.call.legs)
      metrics.legs.inc({ reason: leg.reason, outcome: outcomeLabel(leg.endReason) });
  });

  const policy = { supportedExtensions: [] as string[] };

  function answerOptions(request: SipRequest): SipResponse {
    const response = createResponse(request, 200);
    response.headers.append('Allow', ALLOWED_METHODS.join(', '));
    response.headers.append('Accept', 'application/sdp');
    response.headers.append('Supported', '');
    return response;
  }

  function dispatch(tx: ServerTransaction): void {
    const request = tx.request;
    try {
      const rejection = checkRequest(request, policy);
      if (rejection) {
        const response = createResponse(request, rejection.status, rejection.reason);
        for (const [name, value] of rejection.headers ?? []) response.headers.append(name, value);
        tx.respond(response);
        return;
      }
      // RFC 3261 §12.2.2: a request with a To tag belongs to a dialog, or gets 481. The
      // owner is looked up first: routing a BYE terminates the dialog and releases it.
      const existing = dialogs.forRequest(request);
      const dialogOwner = existing ? sipContext.owners.get(existing.key) : undefined;
      const route = dialogs.route(request);
      if (route.kind === 'reject') {
        tx.respond(createResponse(request, route.status));
        return;
      }
      if (route.kind === 'in-dialog') {
        const owner = dialogOwner ?? sipContext.owners.get(route.dialog.key);
        if (owner) owner.onDialogRequest(tx, route.dialog);
        else tx.respond(createResponse(request, 481));
        return;
      }
      switch (request.method) {
        case 'OPTIONS':
          tx.respond(answerOptions(request));
          return;
        case 'REGISTER':
          tx.respond(registrar.handle(request, tx.source));
          return;
        case 'INVITE':
          engine.handleInvite(tx as ServerInviteTransaction);
          return;
        case 'BYE':
          // RFC 3261 §12.2.2: a BYE outside any dialog matches nothing.
          tx.respond(createResponse(request, 481));
          return;
        default: {
          const response = createResponse(request, 405);
          response.headers.append('Allow', ALLOWED_METHODS.join(', '));
          tx.respond(response);
        }
      }
    } catch (err) {
      // A fault in twinline's own code answers 500 for that request and keeps serving.
      logger.error(
        { err, method: request.method, callId: request.headers.get('call-id') },
        'request handling failed',
      );
      tx.respond(createResponse(request, 500));
    }
  }

  transports = await startTransports({
    address: options.sip.address,
    port: options.sip.port,
    events: {
      onMessage: (inbound, transport) => transactions.handleInbound(inbound, transport),
      onRejected: (info) => {
        metrics.malformed.inc({ status: String(info.status) });
        logger.debug({ source: info.source, status: info.status, reason: info.reason }, 'malformed message');
      },
      onTransportError: (err, peer) => {
        logger.debug({ err, peer }, 'transport error');
        transactions.reportTransportError(peer, err);
      },
    },
  });
  logger.info({ address: transports.address, port: transports.port }, 'SIP listening on UDP and TCP');

  let admin: AdminServer | undefined;
  if (options.http) {
    await ensureAdminAccount(store, logger, clock);
    admin = await startAdminServer(
      {
        config,
        store,
        clock,
        logger,
        metrics: metrics.registry,
        ready: () => transports !== undefined,
        calls: engine,
        cdrs,
        registrations: () =>
          store.bindings
            .all()
            .filter((b) => b.expiresAt > clock.wallNow())
            .map((b) => ({
              aor: b.aor,
              contact: b.contact,
              expiresAt: b.expiresAt,
              source: b.source,
              userAgent: b.userAgent,
              reachable: qualifier.contactState(b.aor, b.contact) !== 'unreachable',
            })),
      },
      options.http,
    );
  }

  let stopped: Promise<void> | undefined;
  const sip = transports;
  return {
    sip,
    config,
    store,
    registrar,
    qualifier,
    transactions,
    engine,
    cdrs,
    get http() {
      return admin ? { address: admin.address, port: admin.port } : undefined;
    },
    drain(boundMs) {
      // Stop taking calls; let the ones in progress finish, up to the bound.
      draining = true;
      if (engine.calls().length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const bound = clock.setTimer(boundMs, done);
        const unsubscribe = engine.subscribe(() => {
          if (engine.calls().length === 0) done();
        });
        function done() {
          bound.cancel();
          unsubscribe();
          resolve();
        }
      });
    },
    stop() {
      stopped ??= (async () => {
        draining = true;
        sweepTimer.cancel();
        refreshTimer.cancel();
        engine.abortAll();
        await relay.close();
        await admin?.close();
        qualifier.stop();
        transactions.close();
        await sip.close();
        // The calls aborted above wrote their records into the batch: into the store with them.
        cdrs.flush?.();
        store.close();
      })();
      return stopped;
    },
  };
}
