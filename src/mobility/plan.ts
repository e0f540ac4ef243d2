/**
 * The alerting plan: given the snapshot, the user's presence, the call and the instant
 * it is offered, which legs alert from when and why, and what happens when nobody
 * answers or the user is busy. Pure; evaluated once per call (CFG-4: the plan a call
 * starts with is the one it keeps).
 *
 * Order of the questions, as a PBX administrator reads them:
 *   unknown user → 404
 *   voicemail ringback / hunt group / line appearance narrow what follows
 *   Follow Me (MT-9) → Forward Unconditional (MT-9, mobile rings too) → DND (MT-4)
 *   → logged out (TWLO-1) → busy (IT-4, MT-4) → the legs:
 *   primary devices, internal twin (IT), fallback (FB-1) or mobile twin (MT-1),
 *   Teams (TEAMS-1), bridged (APP-1), line (APP-3) and coverage (APP-2) appearances.
 */
import type { Forward } from '../config/schema.js';
import {
  bridgedHolders,
  type ConfigSnapshot,
  coverageHolders,
  type EffectiveUser,
  effectiveAt,
  lineHolders,
} from './config.js';
import { Draft } from './draft.js';
import type {
  CallerIdPresentation,
  CallInfo,
  CallRequest,
  CallState,
  Decision,
  DivertTarget,
  FinalPath,
  LegReason,
  LegTarget,
  OtherPresence,
} from './types.js';

const S = 1000;

/** The state of a call that has not been offered yet. */
export function idleState(): CallState {
  return {
    phase: 'idle',
    user: '',
    purpose: 'incoming',
    offeredAt: 0,
    noAnswerAt: 0,
    legs: [],
    timers: [],
    noAnswerPath: { type: 'respond', code: 480, reason: 'Temporarily Unavailable' },
    busyPath: { type: 'respond', code: 486, reason: 'Busy Here' },
    notes: [],
  };
}

const R480: FinalPath = { type: 'respond', code: 480, reason: 'Temporarily Unavailable' };
const R486: FinalPath = { type: 'respond', code: 486, reason: 'Busy Here' };

/** MT-7: which kinds of call may be twinned to the mobile. */
export function mobileEligible(kind: CallInfo['kind'], e: EffectiveUser): boolean {
  const m = e.settings.mobility;
  switch (kind) {
    case 'direct':
    case 'transferred':
      return true;
    case 'huntGroup':
      return m.huntGroupCallsEligible;
    case 'forwarded':
      return m.forwardedCallsEligible;
    case 'recall':
    case 'voicemailRingback':
      return false; // MT-7 (decision)
  }
}

/** Why mobile twinning does or does not apply (MT-6), as a note; undefined = it applies. */
export function mobileTwinBlocker(
  e: EffectiveUser,
  mode: string,
  kind: CallInfo['kind'],
  mobileBusy: boolean,
): string | undefined {
  const m = e.settings.mobility;
  // LIC-2/CFG-2 are folded into mobilityFeatures by effectiveUser.
  if (!m.mobilityFeatures) {
    return e.own.mobility.mobilityFeatures && !e.mobilityEntitled
      ? 'LIC-2: no mobility entitlement'
      : 'MT-6: mobilityFeatures off';
  }
  if (!m.mobileTwinning) return 'MT-6: mobileTwinning off';
  if (mode !== 'mobile') return `MT-6/WPC-1: twinning mode is ${mode}`;
  if (m.twinnedMobileNumber === '') return 'MT-6: no twinnedMobileNumber';
  if (!e.twinningProfileActive) return 'MT-6/TP: twinningTimeProfile inactive';
  if (!mobileEligible(kind, e)) return `MT-7: ${kind} calls are not eligible`;
  if (mobileBusy) return 'MT-8: a mobile call is already in progress';
  return undefined;
}

/** FB-1/FB-2: whether fallback twinning may place its leg (mode is irrelevant, FB-1 decision). */
function fallbackBlocker(e: EffectiveUser, kind: CallInfo['kind'], mobileBusy: boolean): string | undefined {
  const m = e.settings.mobility;
  if (!m.mobilityFeatures)
    return e.mobilityEntitled ? 'FB-1: mobilityFeatures off' : 'LIC-2: no mobility entitlement';
  if (!m.fallbackTwinning) return 'FB-1: fallbackTwinning off';
  if (m.twinnedMobileNumber === '') return 'FB-1: no twinnedMobileNumber';
  if (!e.twinningProfileActive) return 'FB-2: twinningTimeProfile inactive';
  if (!mobileEligible(kind, e)) return `MT-7: ${kind} calls are not eligible`;
  if (mobileBusy) return 'MT-8: a mobile call is already in progress';
  return undefined;
}

/** CLI-1 / CLI-2: what a twin leg towards a trunk presents. */
export function twinCallerId(snapshot: ConfigSnapshot, call: CallInfo, user: string): CallerIdPresentation {
  const sys = snapshot.system;
  // CLI-1: the original caller, with a Diversion / History-Info naming the user.
  if (sys.sendOriginalPartyInfo) {
    return {
      kind: 'original',
      number: call.caller.number,
      ...(call.caller.name ? { name: call.caller.name } : {}),
      diversion: user,
    };
  }
  // CLI-2: the fixed twinning number, else the trunk's own caller ID. Either overrides a
  // short-code caller ID (applied by the dial plan in src/pbx, which honours this field).
  if (sys.callingPartyInfoForTwinning !== '')
    return { kind: 'fixed', number: sys.callingPartyInfoForTwinning };
  return { kind: 'trunkDefault' };
}

function internalCallerId(call: CallInfo): CallerIdPresentation {
  return {
    kind: 'original',
    number: call.caller.number,
    ...(call.caller.name ? { name: call.caller.name } : {}),
  };
}

function forwardActive(f: Forward): boolean {
  return f.enabled && f.destination !== '';
}

function otherPresence(req: CallRequest, ext: string, snapshot: ConfigSnapshot): Required<OtherPresence> {
  const p = req.others?.[ext];
  return {
    loggedIn: p?.loggedIn ?? !(snapshot.usersByExtension.get(ext)?.loggedOut ?? false),
    devices: p?.devices ?? ['default'],
    dnd: p?.dnd ?? snapshot.usersByExtension.get(ext)?.dnd ?? false,
  };
}

/**
 * IT-1, IT-2, IT-5, IT-8: the secondary handset of `e` when internal twinning is in use
 * and that handset can ring, else a note saying why not.
 */
function internalTwinOf(
  snapshot: ConfigSnapshot,
  req: CallRequest,
  e: EffectiveUser,
  mode: string,
): { ext: string } | { note: string } {
  const m = e.settings.mobility;
  if (!m.internalTwinning || m.twinnedHandset === undefined)
    return { note: 'IT: internal twinning not configured' };
  if (snapshot.system.resilienceMode) return { note: 'IT-8: resilience mode' };
  if (!e.licensed) return { note: 'LIC-1: not licensed for internal twinning' };
  if (mode !== 'internal') return { note: `WPC-1: twinning mode is ${mode}` };
  const sec = m.twinnedHandset;
  if (!snapshot.usersByExtension.has(sec)) return { note: `IT-1: twinned handset ${sec} is not a user` };
  const p = otherPresence(req, sec, snapshot);
  // IT-5: logout or DND at the secondary affects only the secondary.
  if (!p.loggedIn) return { note: `IT-5: twinned handset ${sec} is logged out` };
  if (p.dnd) return { note: `IT-5: twinned handset ${sec} is on DND` };
  if (p.devices.length === 0) return { note: `IT: twinned handset ${sec} is unreachable` };
  return { ext: sec };
}

interface Builder {
  snapshot: ConfigSnapshot;
  req: CallRequest;
  e: EffectiveUser;
  draft: Draft;
  noAnswerMs: number;
  callWaiting: boolean;
  seq: number;
}

function addLeg(
  b: Builder,
  reason: LegReason,
  target: LegTarget,
  startAt: number,
  rule: string,
  opts: { alert?: 'ring' | 'visual'; mobile?: boolean; callerId?: CallerIdPresentation } = {},
): void {
  // MT-2 (and the same for every delayed leg): delays run inside the No Answer Time.
  if (startAt >= b.noAnswerMs) {
    b.draft.notes.push(
      `${rule}: ${reason} leg would start at ${startAt / S} s, not before No Answer Time ${b.noAnswerMs / S} s — not placed`,
    );
    return;
  }
  const m = b.e.settings.mobility;
  b.seq += 1;
  b.draft.addLeg({
    id: `L${b.seq}`,
    reason,
    target,
    startAt,
    alert: opts.alert ?? 'ring',
    callWaiting: b.callWaiting,
    // AG-1 (mobile legs only); AG-2: 0 = off.
    answerGuardMs: opts.mobile ? m.mobileAnswerGuard * S : 0,
    // CONF-1
    confirm:
      opts.mobile && m.mobileAnswerConfirm === 'keypress'
        ? { timeoutMs: m.mobileAnswerConfirmTimeout * S }
        : null,
    callerId: opts.callerId ?? internalCallerId(b.req.call),
    onBehalfOf: b.req.user,
    // MCC-1: armed on connect; `**` detection itself is src/media's (MCC-2). MCC-5: only
    // over a carrier trunk (SIP signals answer and disconnect; RFC 4733 per trunk dtmfMode).
    mobileCallControl: opts.mobile === true && m.mobileCallControl && b.snapshot.outgoingTrunk !== undefined,
    rule,
  });
}

function mobileLeg(b: Builder, reason: LegReason, startAt: number, rule: string): void {
  const m = b.e.settings.mobility;
  addLeg(b, reason, { kind: 'dial', dialString: m.twinnedMobileNumber, asUser: b.req.user }, startAt, rule, {
    mobile: true,
    callerId: twinCallerId(b.snapshot, b.req.call, b.req.user),
  });
}

type AppearanceKind = 'bridged' | 'coverage' | 'line';
const TWIN_FLAG = {
  bridged: 'twinBridgeAppearances',
  coverage: 'twinCoverageAppearances',
  line: 'twinLineAppearances',
} as const;

/** APP-1..3 with IT-7: one leg per holder, plus the holder's twinned handset when its option is on. */
function appearanceLegs(
  b: Builder,
  kind: AppearanceKind,
  holders: readonly { holder: string; ring: 'immediate' | 'delayed' | 'none' }[],
  baseAt: number,
  rule: string,
): void {
  for (const h of holders) {
    if (h.holder === b.req.user) continue;
    const holderUser = b.snapshot.usersByExtension.get(h.holder);
    if (!holderUser) continue;
    const p = otherPresence(b.req, h.holder, b.snapshot);
    if (!p.loggedIn || p.devices.length === 0) {
      b.draft.notes.push(`${rule}: ${kind} appearance holder ${h.holder} is not available`);
      continue;
    }
    // APP-1: ring none (or a holder on DND) flashes the button without ringing.
    const visual = h.ring === 'none' || p.dnd;
    const at = baseAt + (h.ring === 'delayed' ? holderUser.appearanceRingDelay * S : 0);
    addLeg(b, kind, { kind: 'extension', extension: h.holder }, at, rule, {
      alert: visual ? 'visual' : 'ring',
    });
    if (visual) continue; // IT-2: a call that does not ring is not twinned.
    const he = effectiveAt(b.snapshot, h.holder, b.req.now);
    if (!he?.settings.mobility[TWIN_FLAG[kind]]) continue;
    const twin = internalTwinOf(b.snapshot, b.req, he, he.twinningMode);
    // IT-7: the holder's secondary rings for this appearance only with the matching option.
    if ('ext' in twin) addLeg(b, kind, { kind: 'extension', extension: twin.ext }, at, 'IT-7');
  }
}

function voicemailTarget(e: EffectiveUser): DivertTarget | undefined {
  if (!e.settings.voicemail.enabled || !e.voicemailUri) return undefined;
  // IT-6: the primary's box, whichever phone was ringing.
  return { kind: 'voicemail', mailbox: e.extension, uri: e.voicemailUri };
}

function toVoicemailOr(
  e: EffectiveUser,
  reason: 'busy' | 'noAnswer' | 'dnd' | 'loggedOut',
  other: FinalPath,
): FinalPath {
  const vm = voicemailTarget(e);
  return vm ? { type: 'divertTo', target: vm, reason } : other;
}

function dial(f: Forward, user: string): DivertTarget {
  return { kind: 'dial', dialString: f.destination, asUser: user };
}

/** Plans the call (the `offered` event). */
export function planCall(snapshot: ConfigSnapshot, req: CallRequest, at = 0): Decision {
  const draft = new Draft(idleState());
  const { call, presence } = req;
  const e = effectiveAt(snapshot, req.user, req.now);
  if (!e) {
    draft.notes.push(`no user ${req.user}`);
    draft.takePath({ type: 'respond', code: 404, reason: 'Not Found' }, at);
    return draft.finish({ user: req.user, offeredAt: req.now });
  }
  if (e.twinOf !== undefined) {
    // IT-3: while twinned nobody can dial the secondary's own number; WPC-1: in mobile
    // mode (or with internal twinning off) it is a normal extension again.
    const primary = effectiveAt(snapshot, e.twinOf, req.now);
    if (primary?.twinningMode === 'internal') {
      draft.notes.push(`IT-3: ${req.user} is the twinned handset of ${e.twinOf}`);
      draft.takePath({ type: 'respond', code: 404, reason: 'Not Found' }, at);
      return draft.finish({ user: req.user, offeredAt: req.now });
    }
  }
  const s = e.settings;
  const m = s.mobility;
  const kind = call.kind;
  const hunt = kind === 'huntGroup';
  const ringback = kind === 'voicemailRingback';
  const group =
    hunt && call.huntGroup !== undefined
      ? (snapshot.huntGroupsByName.get(call.huntGroup) ?? snapshot.huntGroupsByExtension.get(call.huntGroup))
      : undefined;
  // MT-5: the user's No Answer Time; a hunt group call runs on the group's (decision).
  const noAnswerMs =
    (hunt ? (group?.noAnswerTime ?? snapshot.system.defaultNoAnswerTime) : s.noAnswerTime) * S;
  const mode = presence.twinningMode ?? e.twinningMode;
  const dnd = presence.dnd ?? s.dnd;
  // MT-4: DND exception callers ring as if DND were off.
  const dndException =
    call.dndException ?? (call.caller.number !== '' && s.dndExceptions.includes(call.caller.number));
  const blockedByDnd = dnd && !dndException;
  // APP-3: the route's destination holding the line appearance alerts only there and does not follow forwarding.
  const lineDest = call.lineId !== undefined && s.appearances.lines.some((l) => l.lineId === call.lineId);
  // MT-8; MT-10: publishing busy to presence/BLF is src/pbx's, the core counts a mobile call as a call.
  const mobileBusy = presence.calls.some((c) => c.where === 'mobile');
  const internalInUse = mode === 'internal' && m.internalTwinning && m.twinnedHandset !== undefined;
  // IT-4: an internally twinned pair counts as one user, limited by maxTwinnedCalls;
  // otherwise the user's call waiting setting allows one waiting call.
  const callLimit = internalInUse ? m.maxTwinnedCalls : s.callWaiting ? 2 : 1;
  const inCalls = presence.calls.filter((c) => c.state !== 'alerting').length;
  const busy = inCalls >= callLimit;
  const vmNoAnswer = toVoicemailOr(e, 'noAnswer', R480);

  let noAnswerPath: FinalPath;
  let busyPath: FinalPath;
  if (ringback) {
    noAnswerPath = R480;
    busyPath = R486;
  } else if (hunt) {
    // The group decides what happens next (next member, overflow, its voicemail).
    noAnswerPath = R480;
    busyPath = R486;
  } else if (lineDest) {
    noAnswerPath = vmNoAnswer;
    busyPath = toVoicemailOr(e, 'busy', R486);
  } else {
    noAnswerPath = forwardActive(s.forwardOnNoAnswer)
      ? { type: 'divertTo', target: dial(s.forwardOnNoAnswer, e.extension), reason: 'forwardOnNoAnswer' }
      : vmNoAnswer;
    busyPath = forwardActive(s.forwardOnBusy)
      ? { type: 'divertTo', target: dial(s.forwardOnBusy, e.extension), reason: 'forwardOnBusy' }
      : toVoicemailOr(e, 'busy', R486);
  }
  const fixed = { user: req.user, offeredAt: req.now, noAnswerAt: at + noAnswerMs, noAnswerPath, busyPath };
  const done = (path: FinalPath, note: string): Decision => {
    draft.notes.push(note);
    draft.takePath(path, at);
    return draft.finish(fixed);
  };

  const b: Builder = { snapshot, req, e, draft, noAnswerMs, callWaiting: inCalls > 0, seq: 0 };
  const mtBlocker = mobileTwinBlocker(e, mode, kind, mobileBusy);
  const follows = !ringback && !lineDest && (!hunt || s.forwardHuntGroupCalls);

  // Hunt group members that cannot take the call are skipped by the group (TWLO-2 decision).
  if (hunt && (!presence.loggedIn || blockedByDnd || busy)) {
    return done(
      R486,
      `hunt group call not presented: ${!presence.loggedIn ? 'logged out (TWLO-2)' : blockedByDnd ? 'DND' : 'busy'}`,
    );
  }
  if (follows && s.followMe.enabled && s.followMe.destination !== undefined) {
    // MT-9: with Follow Me only the follow-me destination rings.
    return done(
      {
        type: 'divertTo',
        target: { kind: 'extension', extension: s.followMe.destination },
        reason: 'followMe',
      },
      'MT-9: Follow Me active, only its destination rings',
    );
  }
  if (follows && forwardActive(s.forwardUnconditional)) {
    const fu: FinalPath = {
      type: 'divertTo',
      target: dial(s.forwardUnconditional, e.extension),
      reason: 'forwardUnconditional',
    };
    if (mtBlocker || blockedByDnd || !presence.loggedIn) {
      return done(
        fu,
        `forward unconditional; mobile not twinned (${mtBlocker ?? (blockedByDnd ? 'MT-4: DND' : 'logged out')})`,
      );
    }
    // MT-9: the forward destination and the mobile both ring; the forward destination is
    // a phone that gets the head start the desk phone would have had (dial delay kept).
    b.callWaiting = false;
    addLeg(
      b,
      'forward',
      { kind: 'dial', dialString: s.forwardUnconditional.destination, asUser: e.extension },
      0,
      'MT-9',
      {
        callerId: twinCallerId(snapshot, call, e.extension),
      },
    );
    mobileLeg(b, 'mobileTwin', at + m.mobileDialDelay * S, 'MT-9');
    // No forward-on-no-answer after an unconditional forward: it would only loop.
    return start(b, at, { ...fixed, noAnswerPath: vmNoAnswer });
  }
  if (blockedByDnd) {
    // MT-4, IT-5: nothing rings, neither twin.
    return done(hunt ? R486 : toVoicemailOr(e, 'dnd', R486), 'MT-4: DND, no leg is placed');
  }
  if (!presence.loggedIn) {
    // TWLO-1: logged out with mobile twinning applying → only the twin, at once (DD-1).
    if (m.twinWhenLoggedOut && !mtBlocker && !ringback) {
      draft.notes.push('TWLO-1: logged out, only the mobile twin alerts, at once (DD-1)');
      mobileLeg(b, 'loggedOutTwin', at, 'TWLO-1');
      return start(b, at, fixed);
    }
    const why = m.twinWhenLoggedOut ? ` (TWLO-1 not applied: ${mtBlocker ?? 'voicemail ringback'})` : '';
    return done(toVoicemailOr(e, 'loggedOut', R486), `logged out${why}`);
  }
  if (busy) {
    // IT-4 busy treatment; MT-4: no twin leg for a call the primary would not be offered.
    return done(busyPath, `IT-4: busy (${inCalls} call(s), limit ${callLimit})`);
  }

  // ── The legs ──
  // APP-3: at the route's destination holding the line appearance the call alerts on that appearance.
  const primaryReason: LegReason = lineDest ? 'line' : 'primary';
  for (const contact of presence.devices) {
    addLeg(
      b,
      primaryReason,
      { kind: 'device', extension: e.extension, contact },
      at,
      lineDest ? 'APP-3' : 'MT-1',
    );
  }
  // FB-3: owned by src/registrar (registration expiry and OPTIONS qualify decide `devices`).
  const unreachable = presence.devices.length === 0;
  if (unreachable) draft.notes.push('FB-1: logged in but no reachable registration');

  // IT-2: the secondary rings at the same time, its own ring delay ignored; IT-7 for line appearances.
  const twin = internalTwinOf(snapshot, req, e, mode);
  if ('ext' in twin) {
    if (!lineDest || m.twinLineAppearances) {
      addLeg(b, 'internalTwin', { kind: 'extension', extension: twin.ext }, at, lineDest ? 'IT-7' : 'IT-2');
    } else draft.notes.push('IT-7: line appearance call, twinLineAppearances off');
  } else if (m.internalTwinning) draft.notes.push(twin.note);

  if (lineDest) {
    draft.notes.push('APP-3: alerts only on the line appearance; no mobile twin, Teams or forwarding');
  } else {
    const fbBlocker = unreachable ? fallbackBlocker(e, kind, mobileBusy) : 'FB-1: extension reachable';
    if (unreachable && !fbBlocker) {
      // FB-1, DD-1: no desk phone to give a head start to — the mobile at once.
      mobileLeg(b, 'fallback', at, 'FB-1');
    } else if (!mtBlocker) {
      mobileLeg(b, 'mobileTwin', at + m.mobileDialDelay * S, 'MT-1');
    } else {
      // Only worth a note for a user who has mobility set up at all.
      if (e.own.mobility.mobilityFeatures || e.own.mobility.mobileTwinning) draft.notes.push(mtBlocker);
      if (unreachable && m.fallbackTwinning && fbBlocker) draft.notes.push(fbBlocker);
    }
    // TEAMS-1, TEAMS-3.
    if (m.msTeamsUri !== '') {
      if (hunt && !m.huntGroupCallsEligible) draft.notes.push('TEAMS-3: hunt group calls not eligible');
      else if (!snapshot.teamsTrunk) draft.notes.push('TEAMS-1: no MS Teams trunk configured');
      else {
        addLeg(
          b,
          'teams',
          { kind: 'teams', uri: m.msTeamsUri, user: e.extension },
          at + m.msTeamsCoverageDelay * S,
          'TEAMS-1',
          { callerId: twinCallerId(snapshot, call, e.extension) },
        );
      }
    }
  }

  // APP-1: bridged appearances alert with the user's call appearance.
  appearanceLegs(b, 'bridged', bridgedHolders(snapshot, e.extension), at, 'APP-1');
  // APP-3: other holders of the line appearance.
  if (call.lineId !== undefined) appearanceLegs(b, 'line', lineHolders(snapshot, call.lineId), at, 'APP-3');
  // APP-2: coverage after the Individual Coverage Time, at once when the user is on another call.
  const coverAt = at + (inCalls > 0 ? 0 : s.individualCoverageTime * S);
  appearanceLegs(b, 'coverage', coverageHolders(snapshot, e.extension), coverAt, 'APP-2');

  if (b.draft.legs.length === 0) {
    // Nothing can ring (unreachable, no twin): no point making the caller listen to ringback.
    return done(noAnswerPath, 'nothing to alert: the no-answer path at once');
  }
  return start(b, at, fixed);
}

/** Places the legs due now, starts the timers of the later ones and the no-answer timer. */
function start(b: Builder, at: number, fixed: Partial<CallState>): Decision {
  const { draft } = b;
  if (draft.legs.length === 0) {
    draft.takePath(fixed.noAnswerPath ?? R480, at);
    return draft.finish(fixed);
  }
  draft.moveTo('alerting');
  for (const l of draft.legs.slice()) {
    if (l.plan.startAt <= at) {
      draft.setLeg(l.plan.id, 'alerting', { placedAt: at });
      draft.emit({ type: 'placeLeg', leg: l.plan });
    } else {
      // MT-1 dial delay, TEAMS-1 delay, APP-1 ring delay, APP-2 coverage time.
      draft.startTimer(`start:${l.plan.id}`, l.plan.startAt);
    }
  }
  // MT-5
  draft.startTimer('noAnswer', at + b.noAnswerMs);
  return draft.finish(fixed);
}
