/**
 * The data the mobility policy core reads and returns. Everything here is plain,
 * immutable data: the call engine (src/pbx) builds a {@link CallRequest}, hands events
 * to `decide`, and executes the {@link Command}s it gets back. Times inside a call are
 * **milliseconds since the call was offered** (t = 0 when the caller's INVITE reached
 * the user); only {@link CallRequest.now} is an epoch instant (for time profiles and
 * user rights, evaluated in the system time zone).
 */
import type { TwinningMode } from '../config/schema.js';

// ───────────────────────────── inputs ─────────────────────────────

/** How the call reached the user (MT-7 eligibility). */
export type CallKind = 'direct' | 'huntGroup' | 'forwarded' | 'transferred' | 'recall' | 'voicemailRingback';

export const CALL_KINDS: readonly CallKind[] = [
  'direct',
  'huntGroup',
  'forwarded',
  'transferred',
  'recall',
  'voicemailRingback',
];

export interface Caller {
  /** The caller's number as received (internal extension or external CLI); '' = withheld. */
  number: string;
  name?: string;
  /** true for a call from a trunk, false for one from an extension. */
  external: boolean;
}

export interface CallInfo {
  caller: Caller;
  kind: CallKind;
  /** For `huntGroup` calls: the group's name (its No Answer Time applies). */
  huntGroup?: string;
  /** For `forwarded` calls: the extension of the user who forwarded it. */
  forwardedBy?: string;
  /** The trunk line the call came in on (APP-3 line appearances). */
  lineId?: string;
  /**
   * MT-4: the caller is on the user's DND exception list. Absent = decided from the
   * caller's number and the user's `dndExceptions`.
   */
  dndException?: boolean;
}

/** Where a call the user already has is (IT-4 counts the pair as one; MT-8 counts mobile ones). */
export type CallPlace = 'desk' | 'internalTwin' | 'mobile' | 'teams';

export interface ActiveCall {
  where: CallPlace;
  /**
   * 'connected' (also held) occupies the user for IT-4 busy counting; 'alerting' counts
   * only for MT-8 (a mobile twin leg of another call still ringing). Default 'connected'.
   */
  state?: 'alerting' | 'connected';
}

/** A user's state at the moment the call is offered. */
export interface Presence {
  /** pbx.md: false when explicitly logged out (short code / API), even while registered. */
  loggedIn: boolean;
  /**
   * Live registrations that passed keep-alive probing (FB-3); one primary leg each.
   * Logged in with none = unreachable (FB-1).
   */
  devices: readonly string[];
  /** Calls the user (and, when internally twinned, the pair) already has (IT-4, MT-8). */
  calls: readonly ActiveCall[];
  /** Overrides the configured DND (e.g. set from the phone); absent = the user's setting. */
  dnd?: boolean;
  /** WPC-1: the run-time twinning mode; absent = the configured one (CFG-3). */
  twinningMode?: TwinningMode;
}

/** Presence of another user the plan touches (the twinned handset, appearance holders). */
export type OtherPresence = Pick<Presence, 'loggedIn' | 'devices'> & { dnd?: boolean };

export interface CallRequest {
  /** The called user's extension. */
  user: string;
  call: CallInfo;
  presence: Presence;
  /** Presence of the users the plan may alert besides `user`; absent = logged in, one device, idle. */
  others?: Readonly<Record<string, OtherPresence>>;
  /** Epoch ms when the call is offered: time profiles and user rights are evaluated here. */
  now: number;
}

// ───────────────────────────── the plan ─────────────────────────────

/** Why a leg alerts (SEE-1: the CDR shows it). */
export type LegReason =
  | 'primary'
  | 'internalTwin'
  | 'mobileTwin'
  | 'teams'
  | 'fallback'
  | 'loggedOutTwin'
  | 'bridged'
  | 'coverage'
  | 'line'
  | 'forward'
  | 'callback'
  | 'handover';

/** Legs towards the mobile number: the answer guard and keypress confirmation apply (AG, CONF-1). */
export const MOBILE_REASONS: ReadonlySet<LegReason> = new Set([
  'mobileTwin',
  'fallback',
  'loggedOutTwin',
  'callback',
]);

export type LegTarget =
  /** One registration (contact) of a user. */
  | { kind: 'device'; extension: string; contact: string }
  /** Every registration of a user (twinned handset, appearance holders). */
  | { kind: 'extension'; extension: string }
  /**
   * A dial string routed through the dial plan exactly as if `asUser` dialled it
   * (outside-line prefix, trunk selection and call barring all apply — MT-1).
   */
  | { kind: 'dial'; dialString: string; asUser: string }
  /** TEAMS-2: the URI as the user entered it; the Teams trunk adds `sip:` and its host. */
  | { kind: 'teams'; uri: string; user: string };

/** What a twin leg presents as the calling party (CLI-1, CLI-2). */
export type CallerIdPresentation =
  /** The original caller; `diversion` names the user the call was for (Diversion / History-Info). */
  | { kind: 'original'; number: string; name?: string; diversion?: string }
  /** CLI-2: the system's callingPartyInfoForTwinning. */
  | { kind: 'fixed'; number: string }
  /** CLI-2: the trunk's normal outgoing caller ID. */
  | { kind: 'trunkDefault' };

export interface LegPlan {
  /** Stable within the call: L1, L2, … in plan order. */
  id: string;
  reason: LegReason;
  target: LegTarget;
  /** ms after the call was offered at which the leg is placed. */
  startAt: number;
  /** 'visual': an appearance button that flashes without ringing (APP-1 ring none). */
  alert: 'ring' | 'visual';
  /** The user already has a call: the device should give call-waiting treatment (IT-4). */
  callWaiting: boolean;
  /** AG-1: an answer sooner than this many ms after the leg was placed is a machine; 0 = off (AG-2). */
  answerGuardMs: number;
  /** CONF-1: after an accepted answer, play a prompt and connect only on "1" within timeoutMs. */
  confirm: { timeoutMs: number } | null;
  callerId: CallerIdPresentation;
  /** The user whose call this is (IT-3 display, Diversion, voicemail box IT-6). */
  onBehalfOf: string;
  /** MCC-1: when connected, the engine arms `**` detection on this leg (DTMF: src/media). */
  mobileCallControl: boolean;
  /** The spec rule that put this leg in the plan, for logs and the timeline. */
  rule: string;
}

export type DivertTarget =
  /** Through the dial plan as if `asUser` dialled it (forward destinations). */
  | { kind: 'dial'; dialString: string; asUser: string }
  /** An internal extension (Follow Me). */
  | { kind: 'extension'; extension: string }
  /** The user's voicemail box on the configured voicemail server (IT-6: the primary's). */
  | { kind: 'voicemail'; mailbox: string; uri: string };

export type DivertReason =
  | 'followMe'
  | 'forwardUnconditional'
  | 'forwardOnBusy'
  | 'forwardOnNoAnswer'
  | 'busy'
  | 'noAnswer'
  | 'dnd'
  | 'loggedOut'
  /** BTN-1: a handover the mobile did not answer goes back to the desk phone. */
  | 'handoverReturn';

/** Why a leg is hung up (SEE-1 "ended why"). */
export type CancelReason =
  | 'answeredElsewhere'
  | 'answerGuard'
  | 'notConfirmed'
  | 'noAnswer'
  | 'callerAbandoned'
  | 'callerHungUp';

/** MT-3 / RFC 3326: the Reason header on CANCELs of legs another leg beat. */
export const ANSWERED_ELSEWHERE_REASON = 'SIP;cause=200;text="Call completed elsewhere"';

export type TimerId = 'noAnswer' | `start:${string}` | `confirm:${string}`;

/**
 * What the call engine must do, in order. Contract:
 * - `placeLeg`: send the leg's INVITE now (the guard window starts now, AG-2).
 * - `cancelLeg`: end that leg — CANCEL while it is unanswered, BYE once it answered
 *   (a guard-rejected, unconfirmed, late-2xx or connected leg); add `sipReason` as the
 *   RFC 3326 Reason header when present. Never re-place a cancelled leg.
 * - `startTimer`: schedule a `timer` event at `at` ms after the call was offered;
 *   starting a running timer id again replaces it. `cancelTimer`: forget it.
 * - `confirmPrompt`: CONF-1 — play the prompt tone to that leg only and report DTMF
 *   digits from it as `digit` events (detection: src/media).
 * - `connect`: bridge the caller to the leg (200 OK to the caller). With
 *   `dialTone` (mobile callback, MCB-2) there is no caller: give the leg dial tone.
 * - `respond`: final response to the caller (486 busy, 480 no answer, 404, …).
 * - `divertTo`: hand the caller's unanswered call to the target (a new routing
 *   decision by the engine, with a Diversion naming the user).
 * - `hangupCaller`: the connected leg hung up; send BYE to the caller.
 * - `clear`: a call without a caller (mobile callback) is over.
 */
export type Command =
  | { type: 'placeLeg'; leg: LegPlan }
  | { type: 'cancelLeg'; leg: string; reason: CancelReason; sipReason?: string }
  | { type: 'startTimer'; timer: TimerId; at: number }
  | { type: 'cancelTimer'; timer: TimerId }
  | { type: 'confirmPrompt'; leg: string; until: number }
  | { type: 'connect'; leg: string; mobileCallControl: boolean; dialTone: boolean }
  | { type: 'respond'; code: number; reason: string }
  | { type: 'divertTo'; target: DivertTarget; reason: DivertReason }
  | { type: 'hangupCaller' }
  | { type: 'clear'; reason: string };

/** What happens when nobody answers, or when the user is busy: fixed when the call starts (CFG-4). */
export type FinalPath =
  | { type: 'divertTo'; target: DivertTarget; reason: DivertReason }
  | { type: 'respond'; code: number; reason: string }
  | { type: 'clear'; reason: string };

// ───────────────────────────── events ─────────────────────────────

/** Everything that can happen to a call after it is offered; `at` = ms since it was offered. */
export type MobilityEvent =
  | { type: 'offered'; at: number; request: CallRequest }
  | { type: 'timer'; at: number; timer: TimerId }
  | { type: 'legAnswered'; at: number; leg: string }
  /** A final non-2xx from the leg (486 busy, 480, 404, 503 …) or a transport failure (408/503). */
  | { type: 'legFailed'; at: number; leg: string; status: number }
  /** The far end of an answered leg (confirming or connected) hung up. */
  | { type: 'legHungUp'; at: number; leg: string }
  /** A DTMF digit from a leg (CONF-1 keypress; detection: src/media). */
  | { type: 'digit'; at: number; leg: string; digit: string }
  /** The caller hung up: before connect it is an abandon, after it ends the call. */
  | { type: 'callerHangup'; at: number };

// ───────────────────────────── state ─────────────────────────────

/**
 * The call's phase.
 *
 * ```
 *  idle ──offered──> alerting ──accepted answer──> connected ──hang-up──> ended
 *    │                  │ └──no answer / busy path: divert──> diverted
 *    │                  └──abandon / final response──────────> ended
 *    └──(nothing to ring) divert / respond──> diverted | ended
 * ```
 */
export type CallPhase = 'idle' | 'alerting' | 'connected' | 'diverted' | 'ended';

/**
 * A leg's state.
 *
 * ```
 *  pending ──start timer──> alerting ──answer (after guard)──> connected ──> ended
 *     │                        │   └──answer, CONF-1──> confirming ──"1"──> connected
 *     └──> skipped             ├──answer inside guard──> guarded   ├──timeout──> unconfirmed
 *       (answered/abandoned    ├──4xx-6xx──> failed                └──> cancelled | hungUp
 *        before its start)     └──another leg won / no answer / abandon──> cancelled
 * ```
 */
export type LegStatus =
  | 'pending'
  | 'alerting'
  | 'confirming'
  | 'connected'
  | 'guarded'
  | 'unconfirmed'
  | 'failed'
  | 'cancelled'
  | 'hungUp'
  | 'skipped'
  | 'ended';

export interface LegState {
  plan: LegPlan;
  status: LegStatus;
  placedAt?: number;
  /** When the leg answered (before the guard / keypress decided about it). */
  answeredAt?: number;
  /** When the caller was connected to it (after a CONF-1 keypress: later than answeredAt). */
  connectedAt?: number;
  endedAt?: number;
  /** Why the leg ended (cancel reason, failure status, …). */
  endReason?: string;
}

export type Outcome =
  | { kind: 'connected'; leg: string; at: number }
  | { kind: 'diverted'; target: DivertTarget; reason: DivertReason; at: number }
  | { kind: 'responded'; code: number; reason: string; at: number }
  | { kind: 'abandoned'; at: number }
  | { kind: 'cleared'; reason: string; at: number };

export interface CallState {
  phase: CallPhase;
  /** The called user's extension ('' while idle). */
  user: string;
  /** 'incoming' = a caller waits; 'mobileCallback' = no caller, the leg gets dial tone (MCB). */
  purpose: 'incoming' | 'mobileCallback';
  /** Epoch ms when the call was offered. */
  offeredAt: number;
  /** ms: when the no-answer path is taken (MT-5). */
  noAnswerAt: number;
  legs: readonly LegState[];
  timers: readonly TimerId[];
  noAnswerPath: FinalPath;
  busyPath: FinalPath;
  outcome?: Outcome;
  /** Why the plan looks as it does (rule ids and decisions), for logs and `simulate`. */
  notes: readonly string[];
}

export interface Decision {
  state: CallState;
  commands: readonly Command[];
}
