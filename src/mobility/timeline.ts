/**
 * A played call as text: one line per leg with start, end and why (SEE-1), the outcome
 * and the plan's notes. The same short forms (`legLine`, `outcomeLine`) are what
 * scenario files write under `expect:`, so a scenario and its expectation read alike.
 */
import type { Timeline } from './scenario.js';
import type { DivertTarget, LegState, LegTarget, Outcome } from './types.js';

/** Milliseconds as seconds, shortest form: 0s, 2s, 3.1s, 0.25s. */
export function secs(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}

export function targetText(t: LegTarget | DivertTarget): string {
  switch (t.kind) {
    case 'device':
      return `${t.extension}/${t.contact}`;
    case 'extension':
      return `ext ${t.extension}`;
    case 'dial':
      return `dial ${t.dialString}`;
    case 'teams':
      return `teams ${t.uri}`;
    case 'voicemail':
      return `voicemail ${t.mailbox}`;
  }
}

/** When the leg stopped alerting or talking; undefined while it still is or was never placed. */
function legEnd(l: LegState): number | undefined {
  return l.placedAt === undefined ? undefined : l.endedAt;
}

/** `mobileTwin 2s → 3.1s connected` — reason, placed, ended, final status. */
export function legLine(l: LegState): string {
  const start = l.placedAt === undefined ? '-' : secs(l.placedAt);
  const end = legEnd(l);
  return `${l.plan.reason} ${start} → ${end === undefined ? '-' : secs(end)} ${l.status}`;
}

export function outcomeLine(o: Outcome | undefined, legs: readonly LegState[]): string {
  if (!o) return 'undecided';
  switch (o.kind) {
    case 'connected':
      return `connected ${legs.find((l) => l.plan.id === o.leg)?.plan.reason ?? o.leg} at ${secs(o.at)}`;
    case 'diverted':
      return `diverted ${o.reason} to ${targetText(o.target)} at ${secs(o.at)}`;
    case 'responded':
      return `responded ${o.code} at ${secs(o.at)}`;
    case 'abandoned':
      return `abandoned at ${secs(o.at)}`;
    case 'cleared':
      return `cleared (${o.reason}) at ${secs(o.at)}`;
  }
}

function why(l: LegState): string {
  const parts: string[] = [l.plan.rule];
  if (l.plan.startAt > 0) parts.push(`start +${secs(l.plan.startAt)}`);
  if (l.plan.answerGuardMs > 0) parts.push(`guard ${secs(l.plan.answerGuardMs)}`);
  if (l.plan.confirm) parts.push('keypress confirm');
  if (l.plan.alert === 'visual') parts.push('visual only');
  if (l.plan.callWaiting) parts.push('call waiting');
  return parts.join(', ');
}

function result(l: LegState): string {
  switch (l.status) {
    case 'skipped':
      return `never placed (${l.endReason ?? 'call over'} before ${secs(l.plan.startAt)})`;
    case 'pending':
      return `not placed yet (due ${secs(l.plan.startAt)})`;
    case 'failed':
      return `failed ${l.endReason ?? ''}`.trim();
    case 'cancelled':
      return `cancelled: ${l.endReason ?? ''}`;
    case 'guarded':
      return `answered at ${secs(l.answeredAt ?? 0)} inside the guard: hung up (AG-1)`;
    case 'unconfirmed':
      return 'no keypress: hung up (CONF-1)';
    case 'connected':
    case 'ended': {
      const answered = l.answeredAt ?? 0;
      const connected = l.connectedAt ?? answered;
      const how =
        connected > answered
          ? `answered at ${secs(answered)}, confirmed at ${secs(connected)}`
          : `connected at ${secs(connected)}`;
      return l.status === 'ended' ? `${how}, ended ${l.endReason ?? ''}`.trim() : how;
    }
    default:
      return l.status;
  }
}

function pad(s: string, n: number): string {
  return s.length >= n ? `${s} ` : s.padEnd(n);
}

export interface FormatOptions {
  title?: string;
  /** Local time of the call, e.g. "Wed 2026-03-04 10:00 Europe/London". */
  when?: string;
}

/** The whole timeline as text, one line per leg. */
export function formatTimeline(t: Timeline, opts: FormatOptions = {}): string {
  const { request: req, state } = t;
  const out: string[] = [];
  if (opts.title) out.push(opts.title, '');
  const caller = [req.call.caller.number || 'withheld', req.call.caller.name].filter(Boolean).join(' ');
  out.push(
    `Call for ${req.user} from ${caller} (${req.call.caller.external ? 'external' : 'internal'}, ${req.call.kind})` +
      (opts.when ? `, ${opts.when}` : ''),
  );
  if (state.phase !== 'idle' && t.legs.length > 0) {
    out.push(`No Answer Time ${secs(state.noAnswerAt)}`);
  }
  out.push('');
  if (t.legs.length === 0) out.push('no leg alerts');
  else {
    out.push(`${pad('leg', 4)}${pad('why', 14)}${pad('target', 24)}${pad('start', 8)}${pad('end', 8)}result`);
    for (const l of t.legs) {
      out.push(
        pad(l.plan.id, 4) +
          pad(l.plan.reason, 14) +
          pad(targetText(l.plan.target), 24) +
          pad(l.placedAt === undefined ? '-' : secs(l.placedAt), 8) +
          pad(legEnd(l) === undefined ? (l.status === 'connected' ? '…' : '-') : secs(legEnd(l)!), 8) +
          `${result(l)}  [${why(l)}]`,
      );
    }
  }
  out.push('', `outcome: ${outcomeLine(t.outcome, t.legs)}`);
  if (t.notes.length > 0) out.push('notes:', ...t.notes.map((n) => `  - ${n}`));
  if (t.undelivered.length > 0) {
    out.push(
      'events that did not happen:',
      ...t.undelivered.map((u) => `  - ${describeScript(u.event)}: ${u.why}`),
    );
  }
  return `${out.join('\n')}\n`;
}

function describeScript(e: Timeline['undelivered'][number]['event']): string {
  if (e.kind === 'callerHangup') return `caller hangs up at ${secs(e.at)}`;
  const when = e.at !== undefined ? `at ${secs(e.at)}` : `${secs(e.after ?? 0)} after its leg starts`;
  return `${e.leg} ${e.kind} ${when}`;
}
