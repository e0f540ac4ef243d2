/**
 * Eligibility decisions of the twinning controls (BTN), Mobile Call Control (MCC),
 * Mobile Direct Access (MDA) and Mobile Callback (MCB). The core decides *whether* and
 * *what*; the call engine (src/pbx) owns the dialogs, the media layer (src/media) owns
 * the tones and the DTMF:
 *
 * - MCC-2: owned by src/media (RFC 4733 / SIP INFO DTMF detection and suppression).
 * - MCC-5: trunk capability (answer/disconnect signalling, RFC 4733) is the trunk's; the
 *   core only arms MCC when a carrier trunk exists to carry the twin leg.
 */
import type { ConfigSnapshot } from './config.js';
import { effectiveAt } from './config.js';
import { Draft } from './draft.js';
import { idleState, twinCallerId } from './plan.js';
import type { Decision, FinalPath } from './types.js';

const S = 1000;

// ───────────────────────────── MCC-1: `**` within 1 s ─────────────────────────────

// MCC-2: owned by src/media (DTMF detection)

/** MCC-1: the two keys and the window they must fall in. */
export const CALL_CONTROL_KEYS = '**';
export const CALL_CONTROL_WINDOW_MS = 1000;

/**
 * MCC-1: whether the digits received so far on a connected mobile leg end with `*` `*`
 * less than a second apart (digits are `{ digit, at }` in ms, as src/media reports them).
 */
export function callControlRequested(digits: readonly { digit: string; at: number }[]): boolean {
  const a = digits.at(-2);
  const b = digits.at(-1);
  return a?.digit === '*' && b?.digit === '*' && b.at - a.at <= CALL_CONTROL_WINDOW_MS;
}

// ───────────────────────────── MCC-3: caller ID matching ─────────────────────────────

export interface NumberContext {
  /** Stripped from stored dial strings (they include it, spec §1). */
  outsideLinePrefix: string;
  /** E.164 country code for national numbers (`44`); absent = compare national numbers. */
  countryCode?: string;
}

type Parsed = { kind: 'intl' | 'national' | 'other'; digits: string };

/**
 * MCC-3 (decision): a number split into its comparable part — outside-line prefix
 * stripped (stored dial strings only: they include it, spec §1), `+` and `00` mark an
 * international number, a leading `0` a national one.
 */
export function parseNumber(raw: string, ctx: NumberContext, stored: boolean): Parsed {
  let n = raw.replace(/[^0-9+]/g, '');
  if (stored && ctx.outsideLinePrefix !== '' && n.startsWith(ctx.outsideLinePrefix)) {
    n = n.slice(ctx.outsideLinePrefix.length);
  }
  if (n.startsWith('+')) return { kind: 'intl', digits: n.slice(1) };
  if (n.startsWith('00')) return { kind: 'intl', digits: n.slice(2) };
  if (n.startsWith('0')) {
    return ctx.countryCode
      ? { kind: 'intl', digits: ctx.countryCode + n.slice(1) }
      : { kind: 'national', digits: n.slice(1) };
  }
  return { kind: 'other', digits: n };
}

/**
 * MCC-3: whether a received caller ID and a stored number name the same phone, after
 * normalising both to E.164. Without a configured country code an international number
 * matches a national one when it is that national number behind a 1–3 digit country code.
 */
export function sameNumber(received: string, stored: string, ctx: NumberContext): boolean {
  const a = parseNumber(received, ctx, false);
  const b = parseNumber(stored, ctx, true);
  if (a.digits.length < 3 || b.digits.length < 3) return false;
  if (a.kind === b.kind) return a.digits === b.digits;
  const [intl, nat] = a.kind === 'intl' ? [a, b] : b.kind === 'intl' ? [b, a] : [undefined, undefined];
  if (!intl || !nat || nat.kind !== 'national' || nat.digits.length < 6) return false;
  const cc = intl.digits.length - nat.digits.length;
  return cc >= 1 && cc <= 3 && intl.digits.endsWith(nat.digits);
}

export type MobileFeature = 'fne31' | 'fne32' | 'fne33';

export type MobileFeatureDecision =
  /** MCC-3: answer and give dial tone; MCC-4: ask the PIN first when the user has one. */
  | { kind: 'dialTone'; user: string; pinRequired: boolean }
  /** MDA-1: redial `digits` at once as `user`. */
  | { kind: 'redial'; user: string; digits: string }
  /**
   * MCB-1: do not answer (the caller hears ringing); if the caller hangs up within
   * `hangupWithinMs`, place {@link planMobileCallback} within `callbackWithinMs`; clear an
   * unanswered request at `hangupWithinMs`.
   */
  | { kind: 'callbackPending'; user: string; hangupWithinMs: number; callbackWithinMs: number }
  /** MCC-4, MDA-1, MCB-2: refused; log and count it (src/pbx). */
  | { kind: 'reject'; code: number; reason: string };

export interface MobileFeatureRequest {
  feature: MobileFeature;
  /** The caller ID as received from the trunk. */
  callerId: string;
  /** MDA-1: digits received with the call (e.g. after the DDI), '' when none. */
  digits?: string;
  /** MCB-1: whether the user already has a mobile twin, MCC or callback call in progress. */
  mobileCallInProgress: (user: string) => boolean;
  now: number;
  countryCode?: string;
}

/** MCC-3, MCC-4, MDA-1, MCB-1, MCB-2: what to do with a call to FNE 31/32/33. */
export function decideMobileFeature(
  snapshot: ConfigSnapshot,
  req: MobileFeatureRequest,
): MobileFeatureDecision {
  const ctx: NumberContext = {
    outsideLinePrefix: snapshot.system.outsideLinePrefix,
    ...(req.countryCode ? { countryCode: req.countryCode } : {}),
  };
  // FNE 31 and 32 need Mobile Call Control (decision for MDA: it is a call-control
  // feature in the source system); FNE 33 needs Mobile Callback.
  const needs = req.feature === 'fne33' ? 'mobileCallback' : 'mobileCallControl';
  const match = snapshot.directory.users.find((u) => {
    const e = effectiveAt(snapshot, u.extension, req.now);
    const m = e?.settings.mobility;
    return (
      m?.[needs] === true &&
      m.twinnedMobileNumber !== '' &&
      sameNumber(req.callerId, m.twinnedMobileNumber, ctx)
    );
  });
  // MCC-4: a caller ID that matches nobody gets no dial tone.
  if (!match) return { kind: 'reject', code: 403, reason: 'caller ID matches no mobile user' };
  const user = match.extension;
  switch (req.feature) {
    case 'fne31':
      // MCC-4 (decision: caller ID alone can be spoofed) — an optional PIN.
      return { kind: 'dialTone', user, pinRequired: match.mobility.mobileFeaturePin !== undefined };
    case 'fne32': {
      const digits = req.digits ?? '';
      // MDA-1: without digits the call is rejected.
      if (!/^[0-9*#+]+$/.test(digits)) return { kind: 'reject', code: 484, reason: 'no digits to dial' };
      return { kind: 'redial', user, digits };
    }
    case 'fne33':
      // MCB-2: a call already in progress is rejected.
      if (req.mobileCallInProgress(user))
        return { kind: 'reject', code: 486, reason: 'a mobile call is in progress' };
      return { kind: 'callbackPending', user, hangupWithinMs: 30 * S, callbackWithinMs: 5 * S };
  }
}

/**
 * MCB-1, MCB-2: the callback call — one leg to the mobile at once; answered after the
 * guard and within the No Answer Time it gets dial tone (`connect` with `dialTone`),
 * otherwise it is cleared and never retried. Runs through `decide` like any call.
 */
export function planMobileCallback(snapshot: ConfigSnapshot, user: string, now: number): Decision {
  return singleMobileLeg(snapshot, user, now, 'callback', { type: 'clear', reason: 'callback not answered' });
}

/**
 * BTN-1 Twinning Handover: blind-transfer the desk call to the mobile (even with mobile
 * twinning off); unanswered within the Transfer Return Time (15 s when unset) it returns
 * to the desk phone. The answer guard applies, so a mobile voicemail cannot take it
 * (decision).
 */
export function planHandover(snapshot: ConfigSnapshot, user: string, now: number): Decision {
  return singleMobileLeg(snapshot, user, now, 'handover', {
    type: 'divertTo',
    target: { kind: 'extension', extension: user },
    reason: 'handoverReturn',
  });
}

function singleMobileLeg(
  snapshot: ConfigSnapshot,
  user: string,
  now: number,
  kind: 'callback' | 'handover',
  noAnswerPath: FinalPath,
): Decision {
  const d = new Draft({
    ...idleState(),
    user,
    purpose: kind === 'callback' ? 'mobileCallback' : 'incoming',
    offeredAt: now,
  });
  const e = effectiveAt(snapshot, user, now);
  const m = e?.settings.mobility;
  if (!e || !m || m.twinnedMobileNumber === '') {
    const end: FinalPath =
      kind === 'callback'
        ? { type: 'clear', reason: 'no mobile number' }
        : { type: 'respond', code: 404, reason: 'no mobile number' };
    d.takePath(end, 0);
    return d.finish();
  }
  const window = (kind === 'handover' ? e.settings.transferReturnTime : e.settings.noAnswerTime) * S;
  d.addLeg({
    id: 'L1',
    reason: kind,
    target: { kind: 'dial', dialString: m.twinnedMobileNumber, asUser: user },
    startAt: 0,
    alert: 'ring',
    callWaiting: false,
    answerGuardMs: m.mobileAnswerGuard * S,
    confirm: null,
    callerId:
      kind === 'callback'
        ? { kind: 'trunkDefault' }
        : twinCallerId(snapshot, { caller: { number: '', external: false }, kind: 'transferred' }, user),
    onBehalfOf: user,
    mobileCallControl: kind === 'handover' && m.mobileCallControl,
    rule: kind === 'callback' ? 'MCB-1' : 'BTN-1',
  });
  d.moveTo('alerting');
  d.setLeg('L1', 'alerting', { placedAt: 0 });
  d.emit({ type: 'placeLeg', leg: d.legs[0]!.plan });
  d.startTimer('noAnswer', window);
  return d.finish({ noAnswerAt: window, noAnswerPath, busyPath: noAnswerPath });
}

// ───────────────────────────── BTN-1, BTN-2: short codes ─────────────────────────────

export type TwinningControl =
  | { kind: 'setMobileTwinningNumber'; digits: string }
  | { kind: 'setMobileTwinningStatus'; to: 'on' | 'off' | 'toggle' }
  | { kind: 'twinnedCallPickup' }
  | { kind: 'twinningHandover' };

export interface ControlContext {
  now: number;
  /** A call of this user is connected on the mobile (pickup). */
  mobileCallConnected: boolean;
  /** A call of this user is connected on the desk phone (handover). */
  deskCallConnected: boolean;
  /** A handover of this user is ringing the mobile (dialling again cancels it). */
  handoverInProgress: boolean;
}

export type ControlResult =
  /** Store this self-service change (through src/config validateChange, actor = the user). */
  | { kind: 'change'; path: string; value: unknown }
  /** Pull the call connected on the mobile back to the desk phone. */
  | { kind: 'pickup' }
  /** Start {@link planHandover}. */
  | { kind: 'handover' }
  | { kind: 'cancelHandover' }
  | {
      kind: 'refuse';
      reason: 'locked' | 'notLicensed' | 'invalidNumber' | 'noMobileNumber' | 'noCall';
      detail: string;
    };

/** BTN-1: what a twinning short code does for the dialling user; BTN-2: user-rights locks hold. */
export function twinningControl(
  snapshot: ConfigSnapshot,
  user: string,
  control: TwinningControl,
  ctx: ControlContext,
): ControlResult {
  const e = effectiveAt(snapshot, user, ctx.now);
  if (!e) return { kind: 'refuse', reason: 'noCall', detail: `no user ${user}` };
  const locked = (path: string): ControlResult | undefined =>
    e.lockedBy[path]
      ? { kind: 'refuse', reason: 'locked', detail: `${path} is locked by user rights ${e.lockedBy[path]}` }
      : undefined;
  switch (control.kind) {
    case 'setMobileTwinningNumber': {
      if (!e.mobilityEntitled)
        return { kind: 'refuse', reason: 'notLicensed', detail: 'CFG-2: no mobility entitlement' };
      const path = 'mobility.twinnedMobileNumber';
      if (!/^[0-9*#+]{1,32}$/.test(control.digits)) {
        return { kind: 'refuse', reason: 'invalidNumber', detail: 'up to 32 characters 0-9 * # +' };
      }
      return locked(path) ?? { kind: 'change', path, value: control.digits };
    }
    case 'setMobileTwinningStatus': {
      if (!e.mobilityEntitled)
        return { kind: 'refuse', reason: 'notLicensed', detail: 'CFG-2: no mobility entitlement' };
      const path = 'mobility.mobileTwinning';
      const value = control.to === 'toggle' ? !e.own.mobility.mobileTwinning : control.to === 'on';
      return locked(path) ?? { kind: 'change', path, value };
    }
    case 'twinnedCallPickup':
      return ctx.mobileCallConnected
        ? { kind: 'pickup' }
        : { kind: 'refuse', reason: 'noCall', detail: 'no call is connected on the mobile' };
    case 'twinningHandover':
      if (ctx.handoverInProgress) return { kind: 'cancelHandover' };
      if (!ctx.deskCallConnected)
        return { kind: 'refuse', reason: 'noCall', detail: 'no call at the desk to hand over' };
      // Works even with mobile twinning off: it needs only the number.
      if (e.own.mobility.twinnedMobileNumber === '') {
        return { kind: 'refuse', reason: 'noMobileNumber', detail: 'no twinnedMobileNumber set' };
      }
      return { kind: 'handover' };
  }
}
