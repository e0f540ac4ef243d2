/**
 * One call through the B2BUA: the caller's leg, the stage that is ringing something now,
 * and, once answered, the bridge between the caller and the winning branch. In-dialog
 * requests (re-INVITE and UPDATE for hold/resume, INFO, BYE) are relayed side to side.
 *
 * ```
 *  routing ──stage connects──> connected ──BYE either side──> ended
 *     │  └─stage diverts──> routing (a new stage: forward, voicemail)
 *     └──stage fails / caller abandons──> ended
 *
 *  connected ──handover (BTN-1)──> transferring ──the mobile or the desk answers──> connected
 *                                       └──nobody answers / caller hangs up──> ended
 * ```
 *
 * While `transferring` the caller stays in its confirmed dialog (on hold, or hearing
 * nothing) and a new stage rings the handover target; the answer is bridged to the caller
 * with a re-INVITE carrying the new party's SDP (a B2BUA's third-party call control).
 */
import type { ConfigSnapshot, HuntGroup, Trunk, User } from '../config/index.js';
import {
  anchorSdp,
  createDigitCollector,
  createToneSource,
  type DigitCollector,
  type DtmfEvent,
  describeSdp,
  dialTone,
  parseDtmfInfo,
  promptTone,
  type RelaySession,
  type RtpRelay,
  type SdpAudio,
} from '../media/index.js';
import {
  type CallerIdPresentation,
  type CallInfo,
  type CallRequest,
  type DivertReason,
  type DivertTarget,
  effectiveAt,
  type LegPlan,
  type LegState,
  MOBILE_REASONS,
  type Presence,
  planHandover,
  planMobileCallback,
} from '../mobility/index.js';
import { targetText } from '../mobility/timeline.js';
import type { Binding } from '../registrar/bindings.js';
import type { SipResponse } from '../sip/message.js';
import { createResponse } from '../sip/response.js';
import type { ServerTransaction } from '../sip/transaction/index.js';
import type { TimerHandle } from '../util/clock.js';
import {
  buildBranchInvite,
  type Diversion,
  type DiversionReason,
  type Identity,
  trunkTarget,
  uriTarget,
} from './branch-requests.js';
import { type Consultation, MobileCallControl } from './call-control.js';
import { isCallerIdRejection } from './caller-id.js';
import { resolveDialled } from './dialplan.js';
import { HuntStage } from './hunt-stage.js';
import type { InboundLeg } from './inbound-leg.js';
import { type OutboundEvents, OutboundLeg } from './outbound-leg.js';
import { PlainStage } from './plain-stage.js';
import type { SipContext } from './sip-context.js';
import type { Stage, StageOwner } from './stage.js';
import { UserStage } from './user-stage.js';
import type { CallLegView, CallView } from './views.js';

export type CallPhase = 'routing' | 'connected' | 'transferring' | 'ended';

const PHASE_MOVES: Readonly<Record<CallPhase, readonly CallPhase[]>> = {
  routing: ['connected', 'ended'],
  connected: ['transferring', 'ended'],
  transferring: ['connected', 'ended'],
  ended: [],
};

/** The other half of a connected call: a branch twinline placed, or a desk phone that picked it up. */
type Party = OutboundLeg | InboundLeg;

/** MCB-1: after the request's hang-up the callback goes out this soon (inside the rule's 5 s). */
export const CALLBACK_DELAY_MS = 1000;

/** What a call needs from the engine around it. */
export interface CallServices {
  sip: SipContext;
  /** Live registrations of a user that are not known unreachable (FB-3). */
  devices(extension: string): Binding[];
  /** The user's presence for the mobility core (busy, logged in, devices). */
  presence(extension: string): Presence;
  /** Presence of other users a plan may alert. */
  others(snapshot: ConfigSnapshot, extension: string): CallRequest['others'];
  /** Epoch ms when the user's last call ended (hunt groups, longest waiting). */
  idleSince(extension: string): number;
  /** Rotary hunt groups: where the next call starts, per group. */
  rotaryCursor: Map<string, number>;
  /** Something about the call changed (live view). */
  changed(call: Call): void;
  /** RTP relay for legs that need twinline in the media path (CONF-1, MCC). */
  relay: RtpRelay;
  /** twinline's own domain and host for identities. */
  domain: string;
  localHost: string;
  ended(call: Call): void;
  /** The call now concerns this user (ringing them, their mobile, their handover): presence looks here. */
  involves(call: Call, extension: string): void;
}

/** One SIP branch the call placed, with its times (epoch ms). */
export interface BranchRecord {
  id: string;
  target: string;
  reason: CallLegView['reason'];
  /** Placed outside any mobility plan (a trunk call, voicemail): shown as its own leg. */
  plain: boolean;
  placedAt: number;
  answeredAt?: number;
  endedAt?: number;
  endedWhy?: string;
}

const MAX_DIVERSIONS = 5;

/** An offer template (PCMU, PCMA, RFC 4733 events) for legs twinline starts on its own. */
const G711_OFFER = [
  'v=0',
  'o=twinline 1 1 IN IP4 127.0.0.1',
  's=twinline',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 9 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=sendrecv',
  '',
].join('\r\n');

/** How long a keep-alive OPTIONS may go unanswered before its party counts as gone. */
export const KEEPALIVE_ANSWER_MS = 4000;

/** A trunk that has not answered an INVITE at all within this is taken as down (decision). */
export const TRUNK_SILENCE_LIMIT_MS = 4000;

function divertReasonToSip(reason: DivertReason): DiversionReason {
  switch (reason) {
    case 'forwardUnconditional':
      return 'unconditional';
    case 'forwardOnBusy':
    case 'busy':
      return 'user-busy';
    case 'forwardOnNoAnswer':
    case 'noAnswer':
      return 'no-answer';
    case 'dnd':
      return 'do-not-disturb';
    case 'followMe':
      return 'follow-me';
    case 'loggedOut':
      return 'unavailable';
    case 'handoverReturn':
      return 'deflection';
  }
}

export class Call {
  private phase: CallPhase = 'routing';
  private stage: Stage | undefined;
  private bridged: Party | undefined;
  private diversions = 0;
  private ringing: string | undefined;
  private featureUser: string | undefined;
  private handingOver: string | undefined;
  /** The connected leg's mobility reason (desk, mobile…), for presence. */
  connectedReason: string | undefined;
  readonly startedAt: number;
  readonly legs: BranchRecord[] = [];
  answeredAt: number | undefined;
  outcome = 'routing';
  private readonly userStates: { user: string; stage: UserStage }[] = [];
  private keepAliveTimer: TimerHandle | undefined;
  /**
   * MCB-1: `ringing` until the request's caller hangs up (timer: the request's expiry),
   * then `booked` (timer: the callback's start); gone once the callback is placed.
   */
  private callbackRequest:
    | { phase: 'ringing' | 'booked'; user: User; delayMs: number; timer: TimerHandle }
    | undefined;
  /** FNE 31, MCB: the call the mobile dialled, its digit collector and detector. */
  private mobileFeatureCall: Consultation | undefined;
  private collector: DigitCollector | undefined;
  private dtmfTap: { stop(): void } | undefined;
  /** FNE 31: the relay session the caller was answered on (side a) and the dialled party uses (side b). */
  private featureSession: RelaySession | undefined;
  /** MCC-2: parties whose SIP INFO DTMF twinline listens to (and does not pass on). */
  private readonly infoDigits = new Map<Party, (event: DtmfEvent) => void>();
  /** Each branch's record, to close it when twinline itself ends the branch (handover, pickup). */
  private readonly records = new Map<OutboundLeg, BranchRecord>();
  /** Relay sessions of anchored branches: side a = the caller, side b = the branch. */
  private readonly media = new Map<
    OutboundLeg,
    { session: RelaySession; dtmf?: { stop(): void }; control?: MobileCallControl }
  >();

  constructor(
    private readonly services: CallServices,
    readonly snapshot: ConfigSnapshot,
    readonly caller: InboundLeg,
    readonly callerIdentity: Identity & { external: boolean; extension?: string },
    readonly dialled: string,
  ) {
    this.startedAt = services.sip.clock.wallNow();
  }

  get state(): CallPhase {
    return this.phase;
  }

  /** The user the call is ringing or connected to now (for presence), if any. */
  get currentUser(): string | undefined {
    return this.ringing;
  }

  set currentUser(extension: string | undefined) {
    this.ringing = extension;
    if (extension !== undefined) this.services.involves(this, extension);
  }

  /** FNE 31/32/33: the user whose own mobile is in this call (presence: MCB-1 refuses a second). */
  get mobileFeatureUser(): string | undefined {
    return this.featureUser;
  }

  set mobileFeatureUser(extension: string | undefined) {
    this.featureUser = extension;
    if (extension !== undefined) this.services.involves(this, extension);
  }

  /** BTN-1: the user whose desk call is being handed over to their mobile. */
  get handoverUser(): string | undefined {
    return this.handingOver;
  }

  set handoverUser(extension: string | undefined) {
    this.handingOver = extension;
    if (extension !== undefined) this.services.involves(this, extension);
  }

  get callId(): string {
    return this.caller.invite.headers.get('call-id') ?? '';
  }

  /** The legs of every user stage this call ran, as the mobility core recorded them. */
  get mobilityLegs(): { user: string; legs: readonly LegState[] }[] {
    return this.userStates.map((s) => ({ user: s.user, legs: s.stage.callState?.legs ?? [] }));
  }

  /** The call as the live view and the timeline show it (SEE-2). */
  view(): CallView {
    const legs: CallLegView[] = [];
    for (const { user, stage } of this.userStates) {
      const base = stage.offeredAt;
      const abs = (ms: number | undefined) => (ms === undefined ? undefined : base + ms);
      for (const l of stage.callState?.legs ?? []) {
        legs.push({
          id: this.userStates.length > 1 ? `${user}:${l.plan.id}` : l.plan.id,
          reason: l.plan.reason,
          target: targetText(l.plan.target),
          status: l.status,
          placedAt: abs(l.placedAt),
          answeredAt: abs(l.answeredAt),
          endedAt: abs(l.endedAt),
          endReason: l.endReason,
          rule: l.plan.rule,
          answerGuardMs: l.plan.answerGuardMs,
        });
      }
    }
    for (const b of this.legs) {
      if (!b.plain) continue;
      legs.push({
        id: b.id,
        reason: b.reason,
        target: b.target,
        status:
          b.endedAt === undefined
            ? b.answeredAt === undefined
              ? 'alerting'
              : 'connected'
            : b.answeredAt === undefined
              ? 'failed'
              : 'ended',
        placedAt: b.placedAt,
        answeredAt: b.answeredAt,
        endedAt: b.endedAt,
        endReason: b.endedWhy,
      });
    }
    return {
      id: this.callId,
      phase: this.phase,
      from: this.callerIdentity.number,
      to: this.dialled,
      user: this.currentUser ?? this.userStates.at(-1)?.user ?? '',
      startedAt: this.startedAt,
      answeredAt: this.answeredAt,
      legs,
    };
  }

  /** Mobility legs of this call still alerting towards the mobile (MT-8) for `user`. */
  alertingMobile(user: string): boolean {
    return this.userStates.some(
      (s) =>
        s.user === user &&
        (s.stage.callState?.legs ?? []).some(
          (l) => l.status === 'alerting' && MOBILE_REASONS.has(l.plan.reason),
        ),
    );
  }

  /** Rings a user with their mobility plan. */
  ringUser(user: User, call: CallInfo): void {
    const stage = this.userStage(this.stageOwner());
    this.stage = stage;
    this.currentUser = user.extension;
    this.startUser(stage, user, call);
  }

  private userStage(owner: StageOwner): UserStage {
    return new UserStage(
      this.snapshot,
      this.services.sip.clock,
      this.services.sip.logger,
      (plan, events) => this.branchesFor(plan, events),
      owner,
    );
  }

  /** A user stage of this call: shown in the view and CDR, and the user's presence sees the call. */
  private addUserStage(extension: string, stage: UserStage): void {
    this.userStates.push({ user: extension, stage });
    this.services.involves(this, extension);
    stage.onChange = () => this.services.changed(this);
  }

  private startUser(stage: UserStage, user: User, call: CallInfo): void {
    this.addUserStage(user.extension, stage);
    stage.start({
      user: user.extension,
      call,
      presence: this.services.presence(user.extension),
      others: this.services.others(this.snapshot, user.extension),
      now: this.services.sip.clock.wallNow(),
    });
  }

  /** Rings a hunt group's members in its ring mode; then overflow groups, voicemail, 480. */
  ringHuntGroup(
    group: HuntGroup,
    caller: CallInfo['caller'],
    visited: ReadonlySet<string> = new Set(),
  ): void {
    const members = group.members
      .map((ext) => this.snapshot.usersByExtension.get(ext))
      .filter((u): u is User => u !== undefined);
    const groupOwner: StageOwner = {
      ...this.stageOwner(),
      respond: (code, reason) =>
        this.huntGroupFailed(group, caller, hunt.overflowStarted ? overflowNames : visited, code, reason),
    };
    let overflowNames = visited;
    const hunt = new HuntStage(
      group,
      members,
      { caller, kind: 'huntGroup', huntGroup: group.name },
      {
        memberStage: (memberOwner) => this.userStage(memberOwner),
        startMember: (stage, user, call) => this.startUser(stage, user, call),
        idleSince: (ext) => this.services.idleSince(ext),
        rotaryCursor: this.services.rotaryCursor,
        clock: this.services.sip.clock,
      },
      groupOwner,
    );
    this.stage = hunt;
    this.currentUser = undefined;
    const overflowTime = group.overflow?.time;
    if (overflowTime !== undefined) {
      const overflow = this.overflowGroups(group, new Set(visited).add(group.name)).map((g) => ({
        group: g,
        members: g.members
          .map((ext) => this.snapshot.usersByExtension.get(ext))
          .filter((u): u is User => u !== undefined),
      }));
      // Alerted alongside: once they have been, they are not rung again after the group gives up.
      overflowNames = new Set([...visited, ...overflow.map((o) => o.group.name)]);
      hunt.overflowAfter(overflowTime * 1000, overflow);
    }
    hunt.start();
  }

  /** The group's overflow groups that have not alerted for this call yet. */
  private overflowGroups(group: HuntGroup, seen: ReadonlySet<string>): HuntGroup[] {
    return (group.overflow?.groups ?? [])
      .map((g) => this.snapshot.huntGroupsByName.get(g) ?? this.snapshot.huntGroupsByExtension.get(g))
      .filter((g): g is HuntGroup => g !== undefined && !seen.has(g.name));
  }

  private huntGroupFailed(
    group: HuntGroup,
    caller: CallInfo['caller'],
    visited: ReadonlySet<string>,
    code: number,
    reason: string,
  ): void {
    if (this.phase !== 'routing') return;
    const seen = new Set(visited).add(group.name);
    // Overflow groups take the call next, each once.
    const overflow = this.overflowGroups(group, seen)[0];
    if (overflow) {
      this.ringHuntGroup(overflow, caller, seen);
      return;
    }
    const uri = group.voicemail.enabled
      ? (group.voicemail.uri ?? this.snapshot.system.voicemailUri)
      : undefined;
    if (uri) {
      this.currentUser = group.extension;
      this.divert({ kind: 'voicemail', mailbox: group.extension, uri }, code === 486 ? 'busy' : 'noAnswer');
      return;
    }
    this.caller.reject(code, reason || undefined);
    this.end(`failed ${code}`);
  }

  /** Rings a number on a trunk (an outside call, an external forward). */
  ringTrunk(trunk: Trunk, number: string, from: Identity, diversion?: Diversion): void {
    const stage = new PlainStage(this.services.sip.clock, this.stageOwner());
    this.stage = stage;
    const { requestUri, peer } = trunkTarget(trunk, number);
    const leg = this.branch(
      `T${this.legs.length + 1}`,
      requestUri,
      peer,
      from,
      trunk,
      diversion,
      stage.events,
      `${trunk.name} ${number}`,
      'trunk',
    );
    stage.start([leg]);
  }

  /** Refuses the call before anything rang (an unroutable number). */
  refuse(status: number): void {
    if (this.phase !== 'routing') return;
    this.caller.reject(status);
    this.end(`failed ${status}`);
  }

  /** Ends the call from outside (shutdown). */
  abort(): void {
    if (this.phase === 'ended') return;
    this.stage?.close();
    this.caller.reject(503);
    this.caller.hangUp();
    this.bridged?.hangUp();
    this.end('aborted');
  }

  /** The caller cancelled or hung up. */
  callerGone(): void {
    if (this.callbackRequest?.phase === 'ringing') {
      // MCB-1: hanging up the request inside its window is what books the callback.
      this.callbackRequest.timer.cancel();
      this.callbackBooked(this.callbackRequest.user, this.callbackRequest.delayMs);
      return;
    }
    if (this.phase === 'routing' || this.phase === 'transferring') {
      this.stage?.callerHangup();
      this.stage?.close();
      this.end(this.phase === 'routing' ? 'abandoned' : 'completed');
    } else if (this.phase === 'connected') {
      this.bridged?.hangUp();
      // The plan records when and why its connected leg ended (SEE-1).
      this.stage?.callerHangup();
      this.end('completed');
    }
  }

  /** Relays an in-dialog request from the caller to the connected branch. */
  relayFromCaller(tx: ServerTransaction): void {
    if (this.dtmfInfo(this.caller, tx)) return;
    this.relay(tx, this.bridged);
  }

  /**
   * MCC-2: an INFO carrying DTMF (`application/dtmf-relay` or `application/dtmf`) from a
   * party twinline listens to is answered 200 and taken as a digit, not relayed.
   */
  private dtmfInfo(from: Party, tx: ServerTransaction): boolean {
    const listener = this.infoDigits.get(from);
    const req = tx.request;
    if (!listener || req.method !== 'INFO') return false;
    const event = parseDtmfInfo(
      req.headers.get('content-type') ?? '',
      req.body.toString('utf8'),
      this.services.sip.clock.now(),
    );
    if (!event) return false;
    tx.respond(createResponse(req, 200));
    listener(event);
    return true;
  }

  private relay(
    tx: ServerTransaction,
    to: { request(m: string, b?: Buffer, ct?: string): Promise<SipResponse> } | undefined,
  ): void {
    const req = tx.request;
    if (!to) {
      tx.respond(createResponse(req, 481));
      return;
    }
    to.request(req.method, req.body, req.headers.get('content-type')).then((res) => {
      const out = createResponse(req, res.status, res.reason);
      const ct = res.headers.get('content-type');
      if (res.body.length > 0 && ct) {
        out.headers.append('Content-Type', ct);
        out.body = res.body;
      }
      if (req.method === 'INVITE' && res.status < 300)
        out.headers.append('Contact', this.services.sip.contact(tx.source.protocol));
      tx.respond(out);
    });
  }

  private stageOwner(): StageOwner {
    return {
      connected: (branch, legId) => this.connect(branch, legId),
      divert: (target, reason) => this.divert(target, reason),
      respond: (code, reason) => {
        // A handover nobody took back: the caller, already answered, is hung up.
        if (this.phase === 'transferring') this.caller.hangUp();
        else this.caller.reject(code, reason || undefined);
        this.end(`failed ${code}`);
      },
      hangupCaller: () => {
        if (this.phase === 'connected') {
          this.caller.hangUp();
          this.end('completed');
        }
      },
      cleared: (reason) => this.end(reason),
      confirm: (branch, onDigit) => this.confirm(branch, onDigit),
    };
  }

  private connect(branch: OutboundLeg, legId: string): void {
    const rebridging = this.phase === 'transferring';
    if (this.phase !== 'routing' && !rebridging) {
      branch.hangUp();
      return;
    }
    this.move('connected');
    this.bridged = branch;
    branch.accept();
    const answer = branch.answerBody;
    const anchored = this.media.get(branch);
    const owner = this.userStates.find((u) => u.stage.connectedBranch(legId) === branch);
    const plan = owner?.stage.callState?.legs.find((l) => l.plan.id === legId)?.plan;
    let body = answer?.body ?? Buffer.alloc(0);
    let contentType = answer?.contentType;
    if (anchored && answer) {
      // The caller talks to the relay's side a; the relay forwards to the branch.
      anchored.dtmf?.stop();
      this.infoDigits.delete(branch);
      const offer = describeSdp(this.caller.invite.body.toString('utf8'));
      if (offer)
        anchored.session.setRemote('a', {
          address: offer.address,
          port: offer.port,
          rtcpPort: offer.rtcpPort,
        });
      anchored.session.markEstablished();
      body = Buffer.from(anchorSdp(answer.body.toString('utf8'), anchored.session.local('a')));
      contentType = 'application/sdp';
      if (plan?.mobileCallControl && offer) this.startCallControl(branch, anchored, offer, plan.onBehalfOf);
    }
    if (rebridging) this.reinvite(this.caller, body, contentType);
    else this.caller.answer(body, contentType);
    this.connectedReason = plan?.reason ?? this.records.get(branch)?.reason ?? 'direct';
    if (owner) this.currentUser = owner.user;
    this.handoverUser = undefined;
    this.answeredAt ??= this.services.sip.clock.wallNow();
    this.services.changed(this);
    if (!this.keepAliveTimer) this.keepAlive(this.snapshot.system.callKeepAliveSeconds * 1000);
    this.outcome = `answered ${legId}`;
  }

  /**
   * A party already in its dialog (the caller, or the new party of a transfer) is pointed
   * at the other half of the call with a re-INVITE offering that half's SDP (a B2BUA's
   * third-party call control, RFC 3725 §4.1 in spirit); a refusal ends the call.
   */
  private reinvite(whom: Party, body: Buffer, contentType: string | undefined): void {
    const bridged = this.bridged;
    void whom.request('INVITE', body, contentType).then((res) => {
      if (res.status < 300 || this.phase !== 'connected' || this.bridged !== bridged) return;
      this.services.sip.logger.warn(
        { callId: this.callId, status: res.status },
        're-INVITE refused: call cleared',
      );
      bridged?.hangUp();
      this.caller.hangUp();
      this.stage?.callerHangup();
      this.end(`re-INVITE refused ${res.status}`);
    });
  }

  /** Closes the record of a branch twinline itself ended (it got no BYE to note it). */
  private closeRecord(leg: OutboundLeg, why: string): void {
    const record = this.records.get(leg);
    if (record && record.endedAt === undefined) {
      record.endedAt = this.services.sip.clock.wallNow();
      record.endedWhy = why;
    }
  }

  /**
   * BTN-1 Twinning Handover: the desk phone is released (BYE) and the caller waits in its
   * dialog while the mobile rings (even with mobile twinning off); answered after the
   * guard, the mobile is bridged to the caller by re-INVITE; unanswered within the
   * Transfer Return Time the desk phone rings again. Only calls the user received at the
   * desk are handed over: false for anything else.
   */
  handOver(user: User): boolean {
    const desk = this.bridged;
    if (this.phase !== 'connected' || !(desk instanceof OutboundLeg) || this.media.has(desk)) return false;
    this.move('transferring');
    this.bridged = undefined;
    this.handoverUser = user.extension;
    this.connectedReason = 'handover';
    desk.hangUp();
    this.closeRecord(desk, 'handed over to the mobile');
    this.stage?.close();
    this.services.sip.logger.info({ callId: this.callId, user: user.extension }, 'handover to the mobile');
    const stage = this.userStage(this.stageOwner());
    this.stage = stage;
    this.addUserStage(user.extension, stage);
    stage.begin(planHandover(this.snapshot, user.extension, this.services.sip.clock.wallNow()));
    return true;
  }

  /** BTN-1: dialling the handover code again while the mobile rings: back to the desk at once. */
  cancelHandover(): void {
    const user = this.handoverUser;
    if (this.phase !== 'transferring' || user === undefined) return;
    this.stage?.close();
    this.ringDeskAgain(user);
  }

  /** BTN-1: a handover the mobile did not take rings the user's desk phone(s) again. */
  private ringDeskAgain(extension: string): void {
    this.handoverUser = undefined;
    this.connectedReason = 'handoverReturn';
    const stage = new PlainStage(
      this.services.sip.clock,
      this.stageOwner(),
      (effectiveAt(this.snapshot, extension, this.services.sip.clock.wallNow())?.settings.noAnswerTime ??
        this.snapshot.system.defaultNoAnswerTime) * 1000,
    );
    this.stage = stage;
    const devices = this.services.devices(extension);
    if (devices.length === 0) {
      this.caller.hangUp();
      this.end('handover returned to no phone');
      return;
    }
    const legs = devices.map((b, i) =>
      this.branch(
        `R${i + 1}`,
        b.contact,
        b.source,
        { number: this.callerIdentity.number, name: this.callerIdentity.name },
        undefined,
        undefined,
        stage.events,
        `handover return ${extension}`,
        'handoverReturn',
      ),
    );
    stage.start(legs);
  }

  /**
   * BTN-1 Mobile Twinned Call Pickup: the desk phone that dialled the code takes over the
   * call connected on the mobile. The desk is answered with the caller's media (the
   * relay's, when the mobile leg is anchored, which then points at the desk instead); the
   * caller is re-INVITEd towards the desk; the mobile gets a BYE. False when the call is
   * not connected on a mobile leg.
   */
  pickUp(desk: InboundLeg, user: string): boolean {
    const mobile = this.bridged;
    if (this.phase !== 'connected' || !(mobile instanceof OutboundLeg)) return false;
    const deskSdp = desk.invite.body.toString('utf8');
    const anchored = this.media.get(mobile);
    if (anchored) {
      const deskMedia = describeSdp(deskSdp);
      if (!deskMedia) return false;
      anchored.control?.close();
      anchored.control = undefined;
      this.infoDigits.delete(mobile);
      anchored.session.setRemote('b', {
        address: deskMedia.address,
        port: deskMedia.port,
        rtcpPort: deskMedia.rtcpPort,
      });
      desk.answer(Buffer.from(anchorSdp(deskSdp, anchored.session.local('b'))), 'application/sdp');
    } else {
      desk.answer(this.caller.invite.body, this.caller.invite.headers.get('content-type'));
    }
    this.bridged = desk;
    if (!anchored && deskSdp !== '') this.reinvite(this.caller, desk.invite.body, 'application/sdp');
    mobile.hangUp();
    this.closeRecord(mobile, 'picked up at the desk');
    const now = this.services.sip.clock.wallNow();
    this.legs.push({
      id: `P${this.legs.length + 1}`,
      target: `pickup ${user}`,
      reason: 'pickup',
      plain: true,
      placedAt: now,
      answeredAt: now,
    });
    this.connectedReason = 'pickup';
    this.currentUser = user;
    this.services.sip.logger.info({ callId: this.callId, user }, 'mobile call picked up at the desk');
    this.services.changed(this);
    return true;
  }

  /** The desk phone that picked the call up hung up. */
  partyGone(party: Party): void {
    if (party !== this.bridged || this.phase !== 'connected') return;
    this.caller.hangUp();
    this.stage?.callerHangup();
    this.end('completed');
  }

  /** An in-dialog request from the desk phone that picked the call up: on to the caller. */
  relayFromParty(tx: ServerTransaction): void {
    this.relay(tx, this.caller);
  }

  /**
   * MCC-1: the mobile hung up while its consultation call was connected — the held party
   * is transferred to the consulted party (each re-INVITEd with the other's SDP) instead
   * of being hung up.
   */
  private transferHeldParty(mobile: OutboundLeg): boolean {
    const m = this.media.get(mobile);
    const consulted = m?.control?.takeConsultation();
    const answer = consulted?.answerBody;
    if (!m || !consulted || !answer) return false;
    this.services.sip.logger.info({ callId: this.callId }, 'mobile call control: held party transferred');
    this.media.delete(mobile);
    void m.session.close();
    this.bridged = consulted;
    this.connectedReason = 'transferred';
    this.currentUser = undefined;
    this.reinvite(this.caller, answer.body, answer.contentType);
    this.reinvite(consulted, this.caller.invite.body, this.caller.invite.headers.get('content-type'));
    this.services.changed(this);
    return true;
  }

  private divert(target: DivertTarget, reason: DivertReason): void {
    if (reason === 'handoverReturn' && this.phase === 'transferring' && target.kind === 'extension') {
      this.ringDeskAgain(target.extension);
      return;
    }
    if (this.phase !== 'routing') return;
    const from = this.currentUser ?? '';
    if (++this.diversions > MAX_DIVERSIONS) {
      this.caller.reject(482, 'Loop Detected');
      this.end('diversion loop');
      return;
    }
    const diversion: Diversion = { user: from, reason: divertReasonToSip(reason) };
    switch (target.kind) {
      case 'voicemail': {
        const peer = uriTarget(target.uri);
        if (!peer) {
          this.caller.reject(480);
          this.end('no voicemail');
          return;
        }
        const stage = new PlainStage(this.services.sip.clock, this.stageOwner());
        this.stage = stage;
        this.currentUser = undefined;
        const leg = this.branch(
          'VM',
          target.uri,
          peer,
          this.callerIdentity,
          undefined,
          { user: target.mailbox, reason: diversion.reason },
          stage.events,
          `voicemail ${target.mailbox}`,
          'voicemail',
        );
        stage.start([leg]);
        return;
      }
      case 'extension': {
        const user = this.snapshot.usersByExtension.get(target.extension);
        if (!user) {
          this.caller.reject(404);
          this.end('no such extension');
          return;
        }
        this.ringUser(user, { caller: this.callerInfo(), kind: 'forwarded', forwardedBy: from });
        return;
      }
      case 'dial': {
        const r = resolveDialled(this.snapshot, target.dialString);
        if (r.kind === 'user') {
          this.ringUser(r.user, { caller: this.callerInfo(), kind: 'forwarded', forwardedBy: target.asUser });
        } else if (r.kind === 'trunk') {
          this.ringTrunk(r.trunk, r.number, this.callerIdentity, diversion);
        } else {
          this.caller.reject(404);
          this.end('forward destination unknown');
        }
        return;
      }
    }
  }

  private callerInfo(): CallInfo['caller'] {
    return {
      number: this.callerIdentity.number,
      name: this.callerIdentity.name,
      external: this.callerIdentity.external,
    };
  }

  /**
   * Puts the relay between the caller and `leg`: the leg's INVITE offers the relay's
   * side b; the leg's answer tells the relay where the leg's media is.
   */
  private anchor(leg: OutboundLeg): OutboundLeg {
    const callerSdp = this.caller.invite.body.toString('utf8');
    // A callback has no caller to copy the codecs from when the request came without SDP.
    const offer = describeSdp(callerSdp) ? callerSdp : G711_OFFER;
    return leg.prepareWith(async () => {
      const session = await this.services.relay.createSession({
        id: `${this.callId}/${leg.id}`,
        onTimeout: () => this.mediaTimedOut(leg),
      });
      this.media.set(leg, { session });
      leg.invite.body = Buffer.from(anchorSdp(offer, session.local('b')));
    });
  }

  /** The branch's answer SDP, once it answered, as the relay's side b. */
  private latchBranch(leg: OutboundLeg): void {
    const m = this.media.get(leg);
    const answer = leg.answerBody ? describeSdp(leg.answerBody.body.toString('utf8')) : undefined;
    if (m && answer)
      m.session.setRemote('b', { address: answer.address, port: answer.port, rtcpPort: answer.rtcpPort });
  }

  /** CONF-1: the prompt to the answered leg, and its digits reported. */
  private confirm(branch: OutboundLeg, onDigit: (digit: string) => void): boolean {
    const m = this.media.get(branch);
    const answer = branch.answerBody ? describeSdp(branch.answerBody.body.toString('utf8')) : undefined;
    if (!m || !answer) return false;
    const codec = answer.pcmu !== undefined ? 'PCMU' : 'PCMA';
    const payloadType = (codec === 'PCMU' ? answer.pcmu : answer.pcma) ?? 0;
    m.session.play('b', createToneSource(promptTone(), { codec, payloadType }), { holdOther: true });
    m.dtmf?.stop();
    m.dtmf = m.session.detectDtmf('b', {
      payloadType: answer.telephoneEvent?.payloadType ?? 101,
      onDigit: (e) => onDigit(e.digit),
    });
    this.infoDigits.set(branch, (e) => onDigit(e.digit));
    return true;
  }

  /** MCC-1: `**` on the connected mobile leg gives dial tone; the user dials as themselves. */
  private startCallControl(
    branch: OutboundLeg,
    anchored: { session: RelaySession; control?: MobileCallControl },
    held: SdpAudio,
    user: string,
  ): void {
    const mobileSdp = branch.answerBody?.body.toString('utf8') ?? '';
    const mobile = describeSdp(mobileSdp);
    if (!mobile) return;
    const codec = mobile.pcmu !== undefined ? 'PCMU' : 'PCMA';
    const control = new MobileCallControl({
      session: anchored.session,
      clock: this.services.sip.clock,
      logger: this.services.sip.logger.child({ callId: this.callId, user }),
      codec,
      payloadType: (codec === 'PCMU' ? mobile.pcmu : mobile.pcma) ?? 0,
      telephoneEventPayloadType: mobile.telephoneEvent?.payloadType ?? 101,
      dialTone: this.snapshot.system.dialTone,
      heldParty: { address: held.address, port: held.port, rtcpPort: held.rtcpPort },
      dial: (digits, events) =>
        this.consult(user, digits, anchorSdp(mobileSdp, anchored.session.local('a')), events),
    });
    anchored.control = control;
    this.infoDigits.set(branch, (e) => control.pushDigit(e));
  }

  /** A call the user dials from the mobile (MCC-1), offered the relay's side a. */
  private consult(
    user: string,
    digits: string,
    offer: string,
    events: { connected(media: { address: string; port: number; rtcpPort?: number }): void; ended(): void },
  ): Consultation | undefined {
    // Calls made through the mobile features are barred from costly destinations.
    const r = resolveDialled(this.snapshot, digits, {
      barredPrefixes: this.snapshot.system.mobileFeatureBarredPrefixes,
    });
    const me = this.snapshot.usersByExtension.get(user);
    const identity: Identity = { number: user, name: me?.name };
    let winner: OutboundLeg | undefined;
    const stage = new PlainStage(this.services.sip.clock, {
      connected: (leg) => {
        winner = leg;
        leg.accept();
        const media = leg.answerBody ? describeSdp(leg.answerBody.body.toString('utf8')) : undefined;
        if (media) events.connected({ address: media.address, port: media.port, rtcpPort: media.rtcpPort });
      },
      divert: () => events.ended(),
      respond: () => events.ended(),
      hangupCaller: () => events.ended(),
      cleared: () => events.ended(),
    });
    const body = Buffer.from(offer);
    let legs: OutboundLeg[];
    if (r.kind === 'user') {
      legs = this.services
        .devices(r.user.extension)
        .map((b, i) =>
          this.branch(
            `C${i + 1}`,
            b.contact,
            b.source,
            identity,
            undefined,
            undefined,
            stage.events,
            `consult ${digits}`,
            'direct',
            body,
          ),
        );
    } else if (r.kind === 'trunk') {
      const { requestUri, peer } = trunkTarget(r.trunk, r.number);
      const from = { number: r.trunk.ownNumber ?? user, name: me?.name };
      legs = [
        this.branch(
          'C1',
          requestUri,
          peer,
          from,
          r.trunk,
          undefined,
          stage.events,
          `consult ${digits}`,
          'trunk',
          body,
        ),
      ];
    } else {
      return undefined;
    }
    if (legs.length === 0) return undefined;
    this.services.sip.logger.info(
      { callId: this.callId, user, digits },
      'mobile call control: consultation call',
    );
    stage.start(legs);
    return {
      hangUp: () => {
        stage.close();
        winner?.hangUp();
      },
      answered: () => (winner?.state === 'connected' ? winner : undefined),
    };
  }

  /**
   * MCC-3 (FNE 31): the caller — a user's own mobile — is answered with dial tone from
   * the relay, optionally asked for the user's PIN first (MCC-4), and what it dials is
   * called as the user; the relay then bridges the two.
   */
  async mobileDialTone(user: User, pinRequired: boolean, callerId: string): Promise<void> {
    const offerSdp = this.caller.invite.body.toString('utf8');
    const offer = describeSdp(offerSdp);
    if (!offer || (offer.pcmu === undefined && offer.pcma === undefined)) {
      this.caller.reject(488);
      this.end('no common codec');
      return;
    }
    this.mobileFeatureUser = user.extension;
    const session = await this.services.relay.createSession({
      id: this.callId,
      onTimeout: () => this.callerGone(),
    });
    this.featureSession = session;
    session.setRemote('a', { address: offer.address, port: offer.port, rtcpPort: offer.rtcpPort });
    const answer = anchorSdp(offerSdp, session.local('a'));
    this.move('connected');
    this.currentUser = user.extension;
    this.caller.answer(Buffer.from(answer), 'application/sdp');
    this.answeredAt = this.services.sip.clock.wallNow();
    this.dialFromMobile(
      user,
      { pinRequired, callerId },
      {
        session,
        side: 'a',
        sdp: offerSdp,
        media: offer,
        party: this.caller,
      },
    );
  }

  /**
   * MCB-1 (FNE 33): the request is never answered — the caller hears ringing. A hang-up
   * within `hangupWithinMs` books the callback, placed CALLBACK_DELAY_MS later (never later
   * than `callbackWithinMs`); a request still ringing at `hangupWithinMs` is cleared.
   */
  awaitCallbackRequest(user: User, window: { hangupWithinMs: number; callbackWithinMs: number }): void {
    this.mobileFeatureUser = user.extension;
    this.currentUser = user.extension;
    this.caller.ring();
    const clock = this.services.sip.clock;
    this.callbackRequest = {
      phase: 'ringing',
      user,
      delayMs: Math.min(CALLBACK_DELAY_MS, window.callbackWithinMs),
      timer: clock.setTimer(window.hangupWithinMs, () => {
        this.callbackRequest = undefined;
        this.services.sip.logger.info(
          { callId: this.callId, user: user.extension },
          'mobile callback: request not hung up in time, cleared',
        );
        this.caller.reject(480, 'Callback Request Expired');
        this.end('callback request expired');
      }),
    };
    this.services.changed(this);
  }

  /** MCB-1: the request's caller hung up in time; the callback goes out shortly. */
  private callbackBooked(user: User, delayMs: number): void {
    this.services.sip.logger.info({ callId: this.callId, user: user.extension }, 'mobile callback booked');
    this.outcome = 'callback booked';
    this.callbackRequest = {
      phase: 'booked',
      user,
      delayMs,
      timer: this.services.sip.clock.setTimer(delayMs, () => {
        this.callbackRequest = undefined;
        this.placeCallback(user);
      }),
    };
  }

  /**
   * MCB-1, MCB-2: one leg to the user's mobile, anchored on the relay; answered after the
   * guard and within the No Answer Time it gets dial tone, else it is cleared, never retried.
   */
  private placeCallback(user: User): void {
    const stage = this.userStage({
      connected: (branch) => this.callbackAnswered(branch, user),
      divert: () => this.end('callback not answered'),
      respond: (code) => this.end(`callback failed ${code}`),
      hangupCaller: () => this.end('completed'),
      cleared: (reason) => this.end(reason),
    });
    this.stage = stage;
    this.addUserStage(user.extension, stage);
    stage.begin(planMobileCallback(this.snapshot, user.extension, this.services.sip.clock.wallNow()));
  }

  private callbackAnswered(branch: OutboundLeg, user: User): void {
    if (this.phase !== 'routing') {
      branch.hangUp();
      return;
    }
    const anchored = this.media.get(branch);
    const sdp = branch.answerBody?.body.toString('utf8') ?? '';
    const media = describeSdp(sdp);
    this.move('connected');
    this.bridged = branch;
    branch.accept();
    this.connectedReason = 'callback';
    this.answeredAt = this.services.sip.clock.wallNow();
    this.outcome = 'callback answered';
    this.services.changed(this);
    if (!anchored || !media || (media.pcmu === undefined && media.pcma === undefined)) {
      branch.hangUp();
      this.end('callback without usable media');
      return;
    }
    anchored.session.markEstablished();
    // MCB-2: the answered callback hears dial tone and dials as in MCC-1.
    this.dialFromMobile(
      user,
      { pinRequired: false },
      {
        session: anchored.session,
        side: 'b',
        sdp,
        media,
        party: branch,
      },
    );
  }

  /**
   * The mobile on relay side `side` hears dial tone (after the PIN, when one is asked
   * for); the digits it keys are called as the user on the other side, and the mobile is
   * hung up when that call ends.
   */
  private dialFromMobile(
    user: User,
    security: { pinRequired: boolean; callerId?: string },
    mobile: { session: RelaySession; side: 'a' | 'b'; sdp: string; media: SdpAudio; party: Party },
  ): void {
    const { session, side } = mobile;
    const other = side === 'a' ? 'b' : 'a';
    const codec = mobile.media.pcmu !== undefined ? 'PCMU' : 'PCMA';
    const payloadType = (codec === 'PCMU' ? mobile.media.pcmu : mobile.media.pcma) ?? 0;
    const log = this.services.sip.logger.child({ callId: this.callId, user: user.extension });
    const sound = dialTone(this.snapshot.system.dialTone);
    let tone: { stop(): void } | undefined;
    const giveDialTone = () => {
      tone = session.play(side, createToneSource(sound, { codec, payloadType }), { holdOther: true });
    };
    const hangUpMobile = (outcome: string) => {
      mobile.party.hangUp();
      this.end(outcome);
    };
    let awaitingPin = security.pinRequired;
    const onDigits = (digits: string) => {
      tone?.stop();
      if (awaitingPin) {
        awaitingPin = false;
        if (digits !== user.mobility.mobileFeaturePin) {
          // MCC-4: a wrong PIN ends the call; the attempt is logged with the caller ID.
          log.warn({ callerId: security.callerId }, 'mobile dial tone: wrong PIN');
          hangUpMobile('wrong PIN');
          return;
        }
        giveDialTone();
        collector.startCollecting();
        return;
      }
      const consultation = this.consult(user.extension, digits, anchorSdp(mobile.sdp, session.local(other)), {
        connected: (media) => session.setRemote(other, media),
        ended: () => {
          if (this.phase === 'connected') hangUpMobile('completed');
        },
      });
      if (!consultation) {
        log.info({ digits }, 'mobile dial tone: number not reachable');
        hangUpMobile('unroutable');
        return;
      }
      this.mobileFeatureCall = consultation;
    };
    const collector = createDigitCollector({
      clock: this.services.sip.clock,
      onDigit: () => tone?.stop(),
      onComplete: ({ digits }) => onDigits(digits),
    });
    this.dtmfTap = session.detectDtmf(side, {
      payloadType: mobile.media.telephoneEvent?.payloadType ?? 101,
      onDigit: (e) => collector.push(e),
    });
    this.infoDigits.set(mobile.party, (e) => collector.push(e));
    this.collector = collector;
    giveDialTone();
    collector.startCollecting();
    log.info({ pinRequired: security.pinRequired }, 'mobile dial tone given');
  }

  /** An anchored call whose media stopped (a vanished peer): cleared. */
  private mediaTimedOut(leg: OutboundLeg): void {
    if (this.phase !== 'connected' || this.bridged !== leg) return;
    this.services.sip.logger.info({ callId: this.callId, leg: leg.id }, 'media timeout: call cleared');
    this.caller.hangUp();
    leg.hangUp();
    this.stage?.callerHangup();
    this.end('media timeout');
  }

  /** The SIP branches for one plan leg. */
  private branchesFor(plan: LegPlan, events: OutboundEvents): OutboundLeg[] | { failed: number } {
    const t = plan.target;
    const id = plan.id;
    const identity = this.identityFor(plan.callerId);
    const diversion: Diversion | undefined =
      plan.callerId.kind === 'original' && plan.callerId.diversion
        ? { user: plan.callerId.diversion, reason: 'unconditional' }
        : undefined;
    const toDevices = (extension: string, only?: string) => {
      const devices = this.services
        .devices(extension)
        .filter((b) => only === undefined || b.contact === only);
      if (devices.length === 0) return { failed: 480 };
      return devices.map((b, i) =>
        this.branch(
          devices.length === 1 ? id : `${id}.${i + 1}`,
          b.contact,
          b.source,
          identity,
          undefined,
          undefined,
          events,
          `${plan.reason} ${extension}`,
          plan.reason,
        ),
      );
    };
    switch (t.kind) {
      case 'device':
        return toDevices(t.extension, t.contact);
      case 'extension':
        return toDevices(t.extension);
      case 'dial': {
        const r = resolveDialled(this.snapshot, t.dialString);
        if (r.kind === 'user') return toDevices(r.user.extension);
        if (r.kind === 'trunk') {
          const { requestUri, peer } = trunkTarget(r.trunk, r.number);
          const from = plan.callerId.kind === 'trunkDefault' ? { number: r.trunk.ownNumber ?? '' } : identity;
          const leg = this.branch(
            id,
            requestUri,
            peer,
            from,
            r.trunk,
            diversion,
            events,
            `${plan.reason} ${t.dialString}`,
            plan.reason,
          );
          // CONF-1, MCC and MCC-2, and the callback's dial tone (MCB-2) need twinline in the leg's media path.
          return [
            plan.confirm || plan.mobileCallControl || plan.reason === 'callback' ? this.anchor(leg) : leg,
          ];
        }
        return { failed: 404 };
      }
      case 'teams': {
        const trunk = this.snapshot.teamsTrunk;
        if (!trunk) return { failed: 404 };
        const { requestUri, peer } = trunkTarget(trunk, t.uri);
        return [
          this.branch(
            id,
            requestUri,
            peer,
            identity,
            trunk,
            diversion,
            events,
            `teams ${t.uri}`,
            plan.reason,
          ),
        ];
      }
    }
  }

  private identityFor(p: CallerIdPresentation): Identity {
    switch (p.kind) {
      case 'original':
        return { number: p.number, name: p.name };
      case 'fixed':
        return { number: p.number };
      case 'trunkDefault':
        return { number: this.snapshot.outgoingTrunk?.ownNumber ?? '' };
    }
  }

  private branch(
    id: string,
    requestUri: string,
    peer: OutboundLeg['peer'],
    from: Identity,
    trunk: Trunk | undefined,
    diversion: Diversion | undefined,
    events: OutboundEvents,
    target: string,
    reason = 'direct',
    offer?: Buffer,
  ): OutboundLeg {
    const invite = this.caller.invite;
    const maxForwards = Math.max(0, Number(invite.headers.get('max-forwards') ?? 70) - 1);
    const build = (identity: Identity) =>
      buildBranchInvite({
        requestUri,
        peer,
        from: identity,
        assertIdentity: trunk?.callerIdPolicy === 'pai',
        diversion,
        diversionHeader: trunk?.diversionHeader ?? 'diversion',
        body: offer ?? invite.body,
        contentType: offer ? 'application/sdp' : invite.headers.get('content-type'),
        maxForwards,
        localHost: this.services.localHost,
        contact: this.services.sip.contact(peer.protocol),
        domain: this.services.domain,
      });
    const request = build(from);
    // A carrier that refuses the presented caller ID gets the trunk's own number once,
    // with the original caller kept as the display name (caller-id.ts).
    const own = trunk?.ownNumber;
    const retry =
      trunk && own && from.number !== own
        ? (failure: SipResponse) =>
            isCallerIdRejection(failure)
              ? build({ number: own, name: from.name ?? (from.number || undefined) })
              : undefined
        : undefined;
    const plain = reason === 'direct' || reason === 'voicemail' || reason === 'trunk';
    const record: BranchRecord = {
      id,
      target,
      reason: reason as BranchRecord['reason'],
      plain,
      placedAt: this.services.sip.clock.wallNow(),
    };
    this.legs.push(record);
    this.services.changed(this);
    const wrapped: OutboundEvents = {
      onProgress: (leg, res) => {
        this.caller.ring();
        events.onProgress?.(leg, res);
      },
      onAnswered: (leg, res) => {
        record.answeredAt = this.services.sip.clock.wallNow();
        this.latchBranch(leg);
        events.onAnswered(leg, res);
        this.services.changed(this);
      },
      onFailed: (leg, status, res) => {
        record.endedAt = this.services.sip.clock.wallNow();
        record.endedWhy = `failed ${status}`;
        events.onFailed(leg, status, res);
        this.services.changed(this);
      },
      onHungUp: (leg) => {
        record.endedAt = this.services.sip.clock.wallNow();
        record.endedWhy ??= 'far end hung up';
        // MCC-1: the mobile leaving a connected consultation hands the held party over to it.
        if (leg === this.bridged && this.phase === 'connected' && this.transferHeldParty(leg)) return;
        events.onHungUp(leg);
        if (leg === this.bridged && this.phase === 'connected') {
          this.caller.hangUp();
          this.end('completed');
        }
      },
      onRequest: (leg, tx) => {
        if (this.dtmfInfo(leg, tx)) return;
        // Not bridged yet (CONF-1 waiting): nothing to pass an INFO on to.
        if (leg.state === 'answered') tx.respond(createResponse(tx.request, 481));
        else this.relay(tx, this.caller);
      },
    };
    const leg = new OutboundLeg(this.services.sip, id, request, peer, wrapped, retry);
    this.records.set(leg, record);
    return trunk ? leg.failIfSilentFor(TRUNK_SILENCE_LIMIT_MS) : leg;
  }

  /**
   * Probes both parties of the connected call every `intervalMs` with an in-dialog
   * OPTIONS; one that answers 481 or nothing within KEEPALIVE_ANSWER_MS has vanished
   * (no BYE will ever come), so the other side is hung up and the call ends.
   */
  private keepAlive(intervalMs: number): void {
    if (intervalMs <= 0) return;
    const clock = this.services.sip.clock;
    const probe = (party: { request(m: string): Promise<SipResponse> }) =>
      new Promise<boolean>((resolve) => {
        const bound = clock.setTimer(KEEPALIVE_ANSWER_MS, () => resolve(false));
        party.request('OPTIONS').then((res) => {
          bound.cancel();
          resolve(res.status !== 481 && res.status !== 408);
        });
      });
    const tick = () => {
      this.keepAliveTimer = undefined;
      const bridged = this.bridged;
      if (this.phase !== 'connected' || !bridged) return;
      Promise.all([probe(this.caller), probe(bridged)]).then(([callerAlive, calleeAlive]) => {
        if (this.phase !== 'connected') return;
        if (callerAlive && calleeAlive) {
          this.keepAliveTimer = clock.setTimer(intervalMs, tick);
          return;
        }
        this.services.sip.logger.info(
          { callId: this.callId, callerAlive, calleeAlive },
          'a party vanished: call cleared',
        );
        if (callerAlive) this.caller.hangUp();
        if (calleeAlive) bridged.hangUp();
        this.stage?.callerHangup();
        this.end('party vanished');
      });
    };
    this.keepAliveTimer = clock.setTimer(intervalMs, tick);
  }

  private end(outcome: string): void {
    if (this.phase === 'ended') return;
    this.phase = 'ended';
    this.keepAliveTimer?.cancel();
    this.callbackRequest?.timer.cancel();
    this.callbackRequest = undefined;
    this.mobileFeatureCall?.hangUp();
    this.collector?.close();
    this.dtmfTap?.stop();
    void this.featureSession?.close();
    for (const m of this.media.values()) {
      m.control?.close();
      void m.session.close();
    }
    this.media.clear();
    if (this.outcome === 'routing' || outcome !== 'completed') this.outcome = outcome;
    this.stage?.close();
    const now = this.services.sip.clock.wallNow();
    for (const l of this.legs) {
      if (l.endedAt === undefined) {
        l.endedAt = now;
        l.endedWhy ??= outcome;
      }
    }
    this.services.ended(this);
  }

  private move(to: CallPhase): void {
    if (!PHASE_MOVES[this.phase].includes(to)) throw new Error(`call ${this.callId}: ${this.phase} -> ${to}`);
    this.phase = to;
  }
}
