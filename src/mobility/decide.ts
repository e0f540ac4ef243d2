/**
 * The reaction to every event of a call: `decide(state, event, snapshot)` returns the
 * next state and the commands the call engine executes (STYLE 6). The snapshot is read
 * only by the `offered` event; afterwards the call runs on the plan it started with
 * (CFG-4), so a configuration change never alters or drops a call in progress.
 *
 * Events the state cannot explain (a timer that was cancelled, an answer from a leg
 * already cancelled) are network races, not bugs: they yield no state change, except a
 * late 2xx, which is hung up (STYLE 7: ACK then BYE any late 2xx).
 */
import type { ConfigSnapshot } from './config.js';
import { Draft, LIVE } from './draft.js';
import { idleState, planCall } from './plan.js';
import type { CallRequest, CallState, CancelReason, Decision, LegState, MobilityEvent } from './types.js';
import { ANSWERED_ELSEWHERE_REASON } from './types.js';

/** Plans a newly offered call: `decide(idleState(), { type: 'offered', at: 0, request }, snapshot)`. */
export function startCall(snapshot: ConfigSnapshot, request: CallRequest): Decision {
  return decide(idleState(), { type: 'offered', at: 0, request }, snapshot);
}

export function decide(state: CallState, event: MobilityEvent, snapshot: ConfigSnapshot): Decision {
  if (event.type === 'offered') {
    if (state.phase !== 'idle') return { state, commands: [] };
    return planCall(snapshot, event.request, event.at);
  }
  const d = new Draft(state);
  switch (event.type) {
    case 'timer':
      onTimer(d, state, event.timer, event.at);
      break;
    case 'legAnswered':
      onAnswered(d, event.leg, event.at);
      break;
    case 'legFailed':
      onFailed(d, event.leg, event.status, event.at);
      break;
    case 'legHungUp':
      onLegHungUp(d, state, event.leg, event.at);
      break;
    case 'digit':
      // CONF-1: "1" confirms a person answered. Detection of the digit: src/media.
      if (d.phase === 'alerting' && d.leg(event.leg)?.status === 'confirming' && event.digit === '1') {
        d.cancelTimer(`confirm:${event.leg}`);
        accept(d, event.leg, event.at);
      }
      break;
    case 'callerHangup':
      onCallerHangup(d, event.at);
      break;
  }
  return d.finish();
}

function cancel(d: Draft, l: LegState, reason: CancelReason, at: number): void {
  const id = l.plan.id;
  if (l.status === 'pending') {
    // MT-2: a leg whose start had not come is never placed.
    d.cancelTimer(`start:${id}`);
    d.setLeg(id, 'skipped', { endedAt: at, endReason: reason });
    return;
  }
  if (l.status === 'confirming') d.cancelTimer(`confirm:${id}`);
  d.setLeg(id, 'cancelled', { endedAt: at, endReason: reason });
  d.emit({
    type: 'cancelLeg',
    leg: id,
    reason,
    // MT-3 / RFC 3326
    ...(reason === 'answeredElsewhere' ? { sipReason: ANSWERED_ELSEWHERE_REASON } : {}),
  });
}

function cancelAllLive(d: Draft, reason: CancelReason, at: number, except?: string): void {
  for (const l of d.legs.slice()) {
    if (l.plan.id !== except && LIVE.has(l.status)) cancel(d, l, reason, at);
  }
}

/** MT-3: the first accepted answer wins; every other leg is cancelled. */
function accept(d: Draft, id: string, at: number): void {
  const l = d.leg(id);
  if (!l) return;
  d.setLeg(id, 'connected', { answeredAt: l.answeredAt ?? at, connectedAt: at });
  d.moveTo('connected');
  d.outcome = { kind: 'connected', leg: id, at };
  d.emit({
    type: 'connect',
    leg: id,
    mobileCallControl: l.plan.mobileCallControl,
    dialTone: l.plan.reason === 'callback',
  });
  d.cancelTimer('noAnswer');
  cancelAllLive(d, 'answeredElsewhere', at, id);
}

function onAnswered(d: Draft, id: string, at: number): void {
  const l = d.leg(id);
  if (!l) return;
  if (d.phase !== 'alerting' || l.status !== 'alerting') {
    // A 2xx that crossed our CANCEL: hang it up so the far end does not sit in a dead call.
    if (l.status === 'cancelled') {
      d.emit({ type: 'cancelLeg', leg: id, reason: (l.endReason as CancelReason) ?? 'answeredElsewhere' });
    }
    return;
  }
  const placedAt = l.placedAt ?? 0;
  // AG-1, AG-2: timed from the leg's INVITE; 0 = off.
  if (l.plan.answerGuardMs > 0 && at - placedAt < l.plan.answerGuardMs) {
    d.setLeg(id, 'guarded', { answeredAt: at, endedAt: at, endReason: 'answerGuard' });
    d.emit({ type: 'cancelLeg', leg: id, reason: 'answerGuard' });
    afterLegEnded(d, at);
    return;
  }
  if (l.plan.confirm) {
    // CONF-1: prompt this leg only; the others keep ringing.
    const until = at + l.plan.confirm.timeoutMs;
    d.setLeg(id, 'confirming', { answeredAt: at });
    d.emit({ type: 'confirmPrompt', leg: id, until });
    d.startTimer(`confirm:${id}`, until);
    return;
  }
  accept(d, id, at);
}

const BUSY_STATUSES = new Set([486, 600]);

function onFailed(d: Draft, id: string, status: number, at: number): void {
  const l = d.leg(id);
  if (!l || (l.status !== 'alerting' && l.status !== 'confirming')) return;
  if (l.status === 'confirming') d.cancelTimer(`confirm:${id}`);
  d.setLeg(id, 'failed', { endedAt: at, endReason: String(status) });
  afterLegEnded(d, at);
}

function onLegHungUp(d: Draft, state: CallState, id: string, at: number): void {
  const l = d.leg(id);
  if (!l) return;
  if (l.status === 'confirming') {
    d.cancelTimer(`confirm:${id}`);
    d.setLeg(id, 'hungUp', { endedAt: at, endReason: 'hungUp' });
    afterLegEnded(d, at);
  } else if (l.status === 'connected') {
    d.setLeg(id, 'ended', { endedAt: at, endReason: 'hungUp' });
    d.moveTo('ended');
    if (state.purpose === 'mobileCallback') d.emit({ type: 'clear', reason: 'mobile hung up' });
    else d.emit({ type: 'hangupCaller' });
  }
}

function onCallerHangup(d: Draft, at: number): void {
  if (d.phase === 'alerting') {
    // MT-2: pending legs are never placed; live ones are cancelled.
    cancelAllLive(d, 'callerAbandoned', at);
    d.cancelTimer('noAnswer');
    d.moveTo('ended');
    d.outcome = { kind: 'abandoned', at };
  } else if (d.phase === 'connected') {
    const l = d.legs.find((x) => x.status === 'connected');
    if (l) {
      d.setLeg(l.plan.id, 'ended', { endedAt: at, endReason: 'callerHungUp' });
      d.emit({ type: 'cancelLeg', leg: l.plan.id, reason: 'callerHungUp' });
    }
    d.moveTo('ended');
  }
}

function onTimer(d: Draft, state: CallState, timer: string, at: number): void {
  if (!d.consumeTimer(timer as CallState['timers'][number])) return; // stale
  if (timer === 'noAnswer') {
    if (d.phase !== 'alerting') return;
    // MT-5: all legs cancelled, then the no-answer path.
    cancelAllLive(d, 'noAnswer', at);
    d.takePath(state.noAnswerPath, at);
    return;
  }
  const [kind, id = ''] = timer.split(':');
  const l = d.leg(id);
  if (!l) return;
  if (kind === 'start') {
    if (d.phase !== 'alerting' || l.status !== 'pending') return;
    d.setLeg(id, 'alerting', { placedAt: at });
    d.emit({ type: 'placeLeg', leg: l.plan });
  } else if (kind === 'confirm' && l.status === 'confirming') {
    // CONF-1: no keypress in time — hang up that leg; the others keep ringing.
    d.setLeg(id, 'unconfirmed', { endedAt: at, endReason: 'notConfirmed' });
    d.emit({ type: 'cancelLeg', leg: id, reason: 'notConfirmed' });
    afterLegEnded(d, at);
  }
}

/**
 * When the last leg that could answer has ended without an answer, the caller does not
 * wait for the No Answer Time (decision): every leg busy → the busy path, otherwise the
 * no-answer path (MT-5).
 */
function afterLegEnded(d: Draft, at: number): void {
  if (d.phase !== 'alerting') return;
  if (d.legs.some((l) => LIVE.has(l.status))) return;
  const ended = d.legs.filter((l) => l.status !== 'skipped');
  const allBusy =
    ended.length > 0 && ended.every((l) => l.status === 'failed' && BUSY_STATUSES.has(Number(l.endReason)));
  d.takePath(allBusy ? d.base.busyPath : d.base.noAnswerPath, at);
}
