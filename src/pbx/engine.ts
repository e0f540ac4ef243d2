/**
 * The call engine: admits new INVITEs (who may call: a registered user authenticated by
 * digest, or a trunk peer recognised by its address), routes them through the dial plan
 * or the trunk's incoming routes, and runs each as a {@link Call}. It also keeps the
 * presence the mobility core reads (who is busy, where) and the call detail records.
 */
import type { ConfigSnapshot, Trunk, User } from '../config/index.js';
import type { RtpRelay } from '../media/index.js';
import {
  bridgedHolders,
  type CallRequest,
  coverageHolders,
  decideMobileFeature,
  effectiveAt,
  type Presence,
} from '../mobility/index.js';
import type { Binding } from '../registrar/bindings.js';
import type { Qualifier } from '../registrar/qualify.js';
import type { Registrar } from '../registrar/registrar.js';
import type { Throttle } from '../registrar/throttle.js';
import type { DigestServer } from '../sip/digest.js';
import { parseNameAddr } from '../sip/name-addr.js';
import { createResponse } from '../sip/response.js';
import type { ServerInviteTransaction, ServerTransaction } from '../sip/transaction/index.js';
import type { Endpoint } from '../sip/transport/types.js';
import { dialledOf } from './branch-requests.js';
import { Call } from './call.js';
import type { CdrSink } from './cdr.js';
import { type DialResult, resolveDialled, resolveIncoming } from './dialplan.js';
import { InboundLeg } from './inbound-leg.js';
import { shortCodeOutcome } from './short-codes.js';
import type { SipContext } from './sip-context.js';
import { answerWithTone } from './tone-answer.js';
import type { CallEvent, CallsView, Cdr } from './views.js';

export interface CallEngineOptions {
  sip: SipContext;
  snapshot(): ConfigSnapshot;
  registrar: Registrar;
  qualifier: Qualifier;
  digest: DigestServer;
  /** Failed INVITE authentications back off like failed registrations. */
  throttle: Throttle;
  cdr: CdrSink;
  localHost: string;
  /** Told when an FNE 31/32/33 call is refused (MCC-4: counted). */
  onMobileFeatureRefused?(feature: string): void;
  /** Told after every failed INVITE authentication (metrics). */
  onAuthFailure?(): void;
  /** While true, new calls are refused with 503 (the server is shutting down). */
  draining?(): boolean;
  /** Media for calls twinline answers itself (feature-code confirmation tones). */
  relay: RtpRelay;
  /** Stores changes to a user's own settings as that user (UR-1 locks hold). */
  applyUserChange(
    extension: string,
    changes: readonly { path: string; value: unknown }[],
  ): { ok: true } | { ok: false; errors: unknown[] };
}

export interface CallEngine extends CallsView {
  /** A new INVITE (out of dialog) arrived; the transaction has sent 100 Trying. */
  handleInvite(tx: ServerInviteTransaction): void;
  /** Calls in progress, as engine objects. */
  calls(): readonly Call[];
  /** Ends every call (shutdown). */
  abortAll(): void;
}

const NONE: ReadonlySet<Call> = new Set();

/** Connected reasons that put a user's call on their mobile (presence, pickup) or their desk (handover). */
const ON_MOBILE: ReadonlySet<string> = new Set(['mobileTwin', 'fallback', 'loggedOutTwin', 'handover']);
const AT_DESK: ReadonlySet<string> = new Set(['primary', 'handoverReturn', 'pickup']);

/** RFC 3261 §8.2.2.2-ish: a trunk is recognised by the address and port it sends from. */
function trunkFor(snapshot: ConfigSnapshot, source: Endpoint): Trunk | undefined {
  for (const t of snapshot.trunksByName.values()) {
    if (
      t.port === source.port &&
      (t.host === source.address || (t.host === 'localhost' && source.address === '127.0.0.1'))
    )
      return t;
  }
  return undefined;
}

function identityFrom(value: string | undefined): { number: string; name?: string } {
  const na = value ? parseNameAddr(value) : undefined;
  if (!na) return { number: '' };
  return { number: dialledOf(na.uri) ?? '', name: na.displayName };
}

export function createCallEngine(options: CallEngineOptions): CallEngine {
  const { sip } = options;
  const logger = sip.logger;
  const calls = new Set<Call>();

  const devices = (extension: string): Binding[] =>
    options.registrar
      .bindingsOf(extension)
      .filter((b) => options.qualifier.contactState(extension, b.contact) !== 'unreachable');

  /** What the mobility core needs to know about a user right now. */
  const presence = (extension: string): Presence => {
    const snapshot = options.snapshot();
    const user = snapshot.usersByExtension.get(extension);
    const active: Presence['calls'][number][] = [];
    // Only the calls that ever concerned this user, not every call in progress.
    for (const call of involved.get(extension) ?? NONE) {
      if (call.mobileFeatureUser === extension) {
        // FNE 31/32/33 and the callback: the user's own mobile is in the call (MCB-1).
        active.push({ where: 'mobile', state: call.state === 'connected' ? 'connected' : 'alerting' });
        continue;
      }
      if (
        (call.state === 'connected' || call.state === 'transferring') &&
        (call.currentUser === extension || call.callerIdentity.extension === extension)
      ) {
        const reason = call.currentUser === extension ? call.connectedReason : 'primary';
        active.push({
          where: ON_MOBILE.has(reason ?? '')
            ? 'mobile'
            : reason === 'internalTwin'
              ? 'internalTwin'
              : reason === 'teams'
                ? 'teams'
                : 'desk',
          state: 'connected',
        });
      } else if (call.state === 'routing' && call.alertingMobile(extension)) {
        active.push({ where: 'mobile', state: 'alerting' });
      }
    }
    return {
      loggedIn: !(user?.loggedOut ?? false),
      devices: devices(extension).map((b) => b.contact),
      calls: active,
    };
  };

  const others = (snapshot: ConfigSnapshot, extension: string): CallRequest['others'] => {
    const out: Record<string, { loggedIn: boolean; devices: readonly string[] }> = {};
    const user = snapshot.usersByExtension.get(extension);
    const related = new Set<string>();
    if (user?.mobility.twinnedHandset) related.add(user.mobility.twinnedHandset);
    // Appearance holders come from the snapshot's index, not a walk over every user.
    for (const h of bridgedHolders(snapshot, extension)) related.add(h.holder);
    for (const h of coverageHolders(snapshot, extension)) related.add(h.holder);
    for (const ext of related) {
      const other = snapshot.usersByExtension.get(ext);
      out[ext] = { loggedIn: !(other?.loggedOut ?? false), devices: devices(ext).map((b) => b.contact) };
    }
    return out;
  };

  /** Calls by the users they concern (caller, rung, connected, mobile feature, handover). */
  const involved = new Map<string, Set<Call>>();
  const involvedKeys = new WeakMap<Call, string[]>();
  const involve = (call: Call, extension: string) => {
    let set = involved.get(extension);
    if (!set) {
      set = new Set();
      involved.set(extension, set);
    }
    if (set.has(call)) return;
    set.add(call);
    const keys = involvedKeys.get(call);
    if (keys) keys.push(extension);
    else involvedKeys.set(call, [extension]);
  };
  const forget = (call: Call) => {
    for (const extension of involvedKeys.get(call) ?? []) {
      const set = involved.get(extension);
      set?.delete(call);
      if (set?.size === 0) involved.delete(extension);
    }
    involvedKeys.delete(call);
  };
  const track = (call: Call) => {
    calls.add(call);
    if (call.callerIdentity.extension) involve(call, call.callerIdentity.extension);
  };
  const lastCallEnded = new Map<string, number>();
  const listeners = new Set<(e: CallEvent) => void>();
  const started = new WeakSet<Call>();
  const emit = (type: CallEvent['type'], call: Call) => {
    if (listeners.size === 0) return;
    const event = { type, at: sip.clock.wallNow(), call: call.view() } as CallEvent;
    for (const l of listeners) {
      try {
        l(event);
      } catch (err) {
        logger.warn({ err }, 'live call listener failed');
      }
    }
  };
  const services = {
    sip,
    relay: options.relay,
    idleSince: (ext: string) => lastCallEnded.get(ext) ?? 0,
    rotaryCursor: new Map<string, number>(),
    devices,
    presence,
    others,
    get domain() {
      return options.snapshot().system.domain;
    },
    localHost: options.localHost,
    changed(call: Call) {
      if (!calls.has(call)) return;
      emit(started.has(call) ? 'callUpdated' : 'callStarted', call);
      started.add(call);
    },
    involves: involve,
    ended(call: Call) {
      calls.delete(call);
      forget(call);
      emit('callEnded', call);
      // Longest waiting counts from the end of a user's last answered call.
      if (call.answeredAt !== undefined && call.currentUser)
        lastCallEnded.set(call.currentUser, sip.clock.wallNow());
      options.cdr.record(toCdr(call, sip.clock.wallNow()));
      logger.info({ callId: call.callId, outcome: call.outcome, legs: call.legs.length }, 'call ended');
    },
  };

  function admit(
    tx: ServerInviteTransaction,
    snapshot: ConfigSnapshot,
  ): { kind: 'trunk'; trunk: Trunk } | { kind: 'user'; user: User } | undefined {
    const request = tx.request;
    const trunk = trunkFor(snapshot, tx.source);
    if (trunk) return { kind: 'trunk', trunk };
    const sourceKey = tx.source.address;
    const wait = options.throttle.retryAfterMs(sourceKey);
    if (wait > 0) {
      const res = createResponse(request, 403, 'Too Many Failed Attempts');
      res.headers.append('Retry-After', String(Math.ceil(wait / 1000)));
      tx.respond(res);
      return undefined;
    }
    // RFC 3261 §22.3: a B2BUA acting as a proxy for its users challenges with 407.
    const verdict = options.digest.verify(
      request.headers.get('proxy-authorization'),
      'INVITE',
      (u) => snapshot.usersByExtension.get(u)?.password,
    );
    if (!verdict.ok) {
      if (verdict.why !== 'no-credentials' && !verdict.stale) {
        options.throttle.failed(sourceKey);
        options.onAuthFailure?.();
        logger.warn(
          { source: tx.source, why: verdict.why, callId: request.headers.get('call-id') },
          'INVITE authentication failed',
        );
      }
      const res = createResponse(request, 407);
      for (const c of options.digest.challenges(verdict.stale)) res.headers.append('Proxy-Authenticate', c);
      tx.respond(res);
      return undefined;
    }
    options.throttle.succeeded(sourceKey);
    const user = snapshot.usersByExtension.get(verdict.username);
    if (!user) {
      tx.respond(createResponse(request, 403));
      return undefined;
    }
    return { kind: 'user', user };
  }

  /** Rings what `user` dialled (an extension, a hunt group, a number on the trunk). */
  function routeAsUser(call: Call, user: User, dialled: string | DialResult): void {
    const target = typeof dialled === 'string' ? resolveDialled(call.snapshot, dialled) : dialled;
    const from = { number: user.extension, name: user.name, external: false };
    const callId = call.callId;
    switch (target.kind) {
      case 'user':
        logger.info({ callId, from: user.extension, to: target.user.extension }, 'internal call');
        call.ringUser(target.user, { caller: from, kind: 'direct' });
        return;
      case 'trunk':
        logger.info({ callId, from: user.extension, trunk: target.trunk.name }, 'outgoing trunk call');
        // The carrier sees the trunk's own number: an extension means nothing outside.
        call.ringTrunk(target.trunk, target.number, {
          number: target.trunk.ownNumber ?? user.extension,
          name: user.name,
        });
        return;
      case 'huntGroup':
        logger.info({ callId, from: user.extension, group: target.group.name }, 'internal hunt group call');
        call.ringHuntGroup(target.group, from);
        return;
      default:
        call.refuse(target.kind === 'none' && target.why === 'barred' ? 403 : 404);
    }
  }

  function handleInvite(tx: ServerInviteTransaction): void {
    const snapshot = options.snapshot();
    const request = tx.request;
    if (options.draining?.()) {
      // Graceful shutdown: no new calls; RFC 3261 §21.5.4 503 with Retry-After.
      const res = createResponse(request, 503, 'Shutting Down');
      res.headers.append('Retry-After', '30');
      tx.respond(res);
      return;
    }
    const who = admit(tx, snapshot);
    if (!who) return;
    const dialled = dialledOf(request.uri) ?? '';
    const callId = request.headers.get('call-id');

    let call: Call | undefined;
    /** BTN-1 pickup: the call this desk phone took over from the mobile. */
    let pickedUp: Call | undefined;
    const caller: InboundLeg = new InboundLeg(sip, tx, {
      onCancelled: () => call?.callerGone(),
      onHungUp: () => (pickedUp ? pickedUp.partyGone(caller) : call?.callerGone()),
      onRequest: (inDialog: ServerTransaction) =>
        pickedUp ? pickedUp.relayFromParty(inDialog) : call?.relayFromCaller(inDialog),
    });

    if (who.kind === 'trunk') {
      const from = identityFrom(request.headers.get('p-asserted-identity') ?? request.headers.get('from'));
      const route = resolveIncoming(snapshot, who.trunk.name, dialled, from.number);
      const fne32 = route.kind === 'none' ? directAccessRoute(snapshot, who.trunk.name, dialled) : undefined;
      if (route.kind === 'feature' || fne32) {
        const feature = route.kind === 'feature' ? route.feature : 'fne32';
        const decision = decideMobileFeature(snapshot, {
          feature,
          callerId: from.number,
          digits: fne32?.digits ?? '',
          mobileCallInProgress: (ext) => presence(ext).calls.some((c) => c.where === 'mobile'),
          now: sip.clock.wallNow(),
        });
        if (decision.kind === 'reject') {
          // MCC-4: refused, logged with the caller ID, counted.
          logger.warn(
            { callId, feature, callerId: from.number, reason: decision.reason },
            'mobile feature refused',
          );
          options.onMobileFeatureRefused?.(feature);
          caller.reject(decision.code);
          return;
        }
        const user = snapshot.usersByExtension.get(decision.user);
        if (!user) {
          caller.reject(404);
          return;
        }
        // Calls made through these features are the user's (MCC-1).
        call = new Call(
          services,
          snapshot,
          caller,
          { number: user.extension, name: user.name, external: false, extension: user.extension },
          dialled,
        );
        track(call);
        // The user's own mobile is in this call: MCB-1 counts it as a mobile call in progress.
        call.mobileFeatureUser = user.extension;
        logger.info({ callId, feature, user: user.extension, callerId: from.number }, 'mobile feature call');
        if (decision.kind === 'redial') {
          routeAsUser(
            call,
            user,
            resolveDialled(snapshot, decision.digits, {
              barredPrefixes: snapshot.system.mobileFeatureBarredPrefixes,
            }),
          );
        } else if (decision.kind === 'dialTone') {
          call.mobileDialTone(user, decision.pinRequired, from.number).catch((err) => {
            logger.error({ err, callId }, 'mobile dial tone failed');
            call?.abort();
          });
        } else {
          call.awaitCallbackRequest(user, decision);
        }
        return;
      }
      if (route.kind === 'none') {
        logger.info({ callId, trunk: who.trunk.name, ddi: dialled }, 'incoming call not routed');
        caller.reject(404);
        return;
      }
      call = new Call(services, snapshot, caller, { ...from, external: true }, dialled);
      track(call);
      if (route.kind === 'huntGroup') {
        logger.info(
          { callId, trunk: who.trunk.name, ddi: dialled, group: route.group.name },
          'incoming hunt group call',
        );
        call.ringHuntGroup(route.group, { number: from.number, name: from.name, external: true });
        return;
      }
      logger.info(
        { callId, trunk: who.trunk.name, ddi: dialled, user: route.user.extension },
        'incoming trunk call',
      );
      call.ringUser(route.user, {
        caller: { number: from.number, name: from.name, external: true },
        kind: 'direct',
        lineId: route.route.lineId ?? who.trunk.lineId,
      });
      return;
    }

    const user = presentedUser(snapshot, who.user, sip.clock.wallNow());
    const identity = { number: user.extension, name: user.name, external: false, extension: user.extension };
    const target = resolveDialled(snapshot, dialled);
    switch (target.kind) {
      case 'user':
      case 'trunk':
      case 'huntGroup':
        call = new Call(services, snapshot, caller, identity, dialled);
        track(call);
        routeAsUser(call, user, target);
        return;
      case 'shortCode': {
        const mine = callsOf(user.extension);
        const outcome = shortCodeOutcome(
          snapshot,
          user.extension,
          target.shortCode,
          target.digits,
          sip.clock.wallNow(),
          {
            mobileCallConnected: mine.onMobile !== undefined,
            deskCallConnected: mine.atDesk !== undefined,
            handoverInProgress: mine.handingOver !== undefined,
          },
        );
        if (outcome.kind === 'refuse') {
          logger.info(
            { callId, user: user.extension, code: target.shortCode.code, why: outcome.detail },
            'short code refused',
          );
          caller.reject(outcome.status);
          return;
        }
        if (outcome.kind !== 'change') {
          const done = callAction(outcome.kind, user, caller, mine);
          if (done === 'pickedUp') pickedUp = mine.onMobile;
          else if (done === 'refused') caller.reject(488);
          return;
        }
        const applied = options.applyUserChange(user.extension, outcome.changes);
        if (!applied.ok) {
          // BTN-2 / UR-1: a setting locked by user rights (or otherwise refused) is not changed.
          logger.info(
            { callId, user: user.extension, code: target.shortCode.code, errors: applied.errors },
            'short code refused',
          );
          caller.reject(403);
          return;
        }
        logger.info(
          { callId, user: user.extension, feature: target.shortCode.feature, changes: outcome.changes },
          'short code applied',
        );
        answerWithTone(options.relay, caller).catch((err) => {
          logger.error({ err, callId }, 'confirmation tone failed');
          caller.reject(500);
        });
        return;
      }
      case 'none':
        caller.reject(target.why === 'barred' ? 403 : 404);
        return;
    }
  }

  /** The user's calls BTN-1 acts on: connected on the mobile, connected at the desk, being handed over. */
  function callsOf(extension: string): { onMobile?: Call; atDesk?: Call; handingOver?: Call } {
    const out: { onMobile?: Call; atDesk?: Call; handingOver?: Call } = {};
    for (const c of involved.get(extension) ?? NONE) {
      if (c.state === 'transferring' && c.handoverUser === extension) out.handingOver ??= c;
      if (c.state !== 'connected' || c.currentUser !== extension || c.mobileFeatureUser !== undefined)
        continue;
      if (ON_MOBILE.has(c.connectedReason ?? '')) out.onMobile ??= c;
      else if (AT_DESK.has(c.connectedReason ?? '')) out.atDesk ??= c;
    }
    return out;
  }

  /**
   * BTN-1: pickup answers this desk call with the call from the mobile; handover (and its
   * cancel) is confirmed with the feature beeps, then acts on the user's desk call.
   */
  function callAction(
    kind: 'pickup' | 'handover' | 'cancelHandover',
    user: User,
    desk: InboundLeg,
    mine: ReturnType<typeof callsOf>,
  ): 'pickedUp' | 'done' | 'refused' {
    const log = { callId: desk.invite.headers.get('call-id'), user: user.extension, action: kind };
    if (kind === 'pickup') {
      if (!mine.onMobile?.pickUp(desk, user.extension)) return 'refused';
      logger.info(log, 'twinning short code');
      return 'pickedUp';
    }
    if (kind === 'handover' && !mine.atDesk?.handOver(user)) {
      logger.info(log, 'handover refused: only a call answered at the desk is handed over');
      return 'refused';
    }
    if (kind === 'cancelHandover') mine.handingOver?.cancelHandover();
    logger.info(log, 'twinning short code');
    answerWithTone(options.relay, desk).catch((err) => {
      logger.error({ err, callId: log.callId }, 'confirmation tone failed');
      desk.reject(500);
    });
    return 'done';
  }

  return {
    handleInvite,
    calls: () => [...calls],
    active: () => [...calls].map((c) => c.view()),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    abortAll() {
      for (const call of [...calls]) call.abort();
    },
  };
}

/**
 * MDA-1 (FNE 32): a DDI routed to mobile direct access, followed by the digits to dial
 * (`<ddi><digits>` in the Request-URI); the longest such DDI that prefixes the number.
 */
function directAccessRoute(
  snapshot: ConfigSnapshot,
  trunk: string,
  dialled: string,
): { digits: string } | undefined {
  let best: string | undefined;
  for (const r of snapshot.directory.incomingRoutes) {
    if (r.trunk !== trunk || r.destination !== 'fne32' || r.ddi === '' || !dialled.startsWith(r.ddi))
      continue;
    if (best === undefined || r.ddi.length > best.length) best = r.ddi;
  }
  return best === undefined ? undefined : { digits: dialled.slice(best.length) };
}

/**
 * IT-3: while internal twinning is in use, calls the twinned handset makes are the
 * primary's: they present the primary's name and number.
 */
function presentedUser(snapshot: ConfigSnapshot, user: User, now: number): User {
  const primary = snapshot.twinPrimaryByDestination.get(user.extension);
  if (primary === undefined) return user;
  if (effectiveAt(snapshot, primary, now)?.twinningMode !== 'internal') return user;
  return snapshot.usersByExtension.get(primary) ?? user;
}

/** SEE-1: the record of a finished call, every leg with its reason and outcome. */
function toCdr(call: Call, endedAt: number): Cdr {
  const view = call.view();
  const answered = view.legs.find(
    (l) => l.answeredAt !== undefined && (l.status === 'connected' || l.status === 'ended'),
  );
  return {
    id: view.id,
    from: view.from,
    to: view.to,
    user: view.user,
    startedAt: view.startedAt,
    answeredAt: view.answeredAt,
    endedAt,
    answeredBy: answered?.id,
    outcome: call.outcome,
    legs: view.legs.map((l) => ({
      id: l.id,
      reason: l.reason,
      target: l.target,
      placedAt: l.placedAt,
      answeredAt: l.answeredAt,
      endedAt: l.endedAt,
      endReason: l.endReason,
    })),
  };
}
