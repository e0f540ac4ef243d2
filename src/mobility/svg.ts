/**
 * A played call as an SVG picture (SEE-2): a time axis, one bar per leg from when it
 * was placed to when it ended, the dial-delay (or Teams / coverage) gap before a late
 * leg as a dashed lead-in, the answer-guard window hatched, answers marked, the winning
 * leg outlined, and the No Answer Time as a line. Pure string building.
 */
import type { Timeline } from './scenario.js';
import { outcomeLine, secs, targetText } from './timeline.js';
import type { LegReason, LegState } from './types.js';

const COLOURS: Record<LegReason, string> = {
  primary: '#2f6fb3',
  internalTwin: '#5b8fd6',
  mobileTwin: '#d9822b',
  fallback: '#c0562f',
  loggedOutTwin: '#b8472a',
  teams: '#6264a7',
  bridged: '#3a9d7a',
  coverage: '#2e8b57',
  line: '#4a7f6a',
  forward: '#8a6d3b',
  callback: '#d9822b',
  handover: '#d9822b',
};

const LEAD_IN: Partial<Record<LegReason, string>> = {
  mobileTwin: 'dial delay',
  teams: 'Teams delay',
  coverage: 'coverage time',
  bridged: 'ring delay',
  line: 'ring delay',
};

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function tickStep(spanMs: number): number {
  for (const step of [1000, 2000, 5000, 10_000, 30_000, 60_000]) if (spanMs / step <= 20) return step;
  return 120_000;
}

export interface SvgOptions {
  title?: string;
  subtitle?: string;
}

export function renderTimelineSvg(t: Timeline, opts: SvgOptions = {}): string {
  const W = 1000;
  const left = 270;
  const right = 40;
  const top = opts.subtitle ? 86 : 70;
  const rowH = 50;
  const barH = 20;
  const legs = t.legs;
  const rows = Math.max(legs.length, 1);
  const ends = legs.flatMap((l) => [l.plan.startAt, l.placedAt ?? 0, l.endedAt ?? 0, l.answeredAt ?? 0]);
  const decidedAt = t.outcome?.at ?? 0;
  const nat = t.state.noAnswerAt;
  const step0 = tickStep(Math.max(nat, decidedAt, ...ends, 1000));
  const span = Math.ceil((Math.max(nat, decidedAt, ...ends) + step0 / 2) / step0) * step0 || step0;
  const x = (ms: number) => left + (ms / span) * (W - left - right);
  const axisY = top + rows * rowH + 8;
  const H = axisY + 96;
  const won = t.outcome?.kind === 'connected' ? t.outcome.leg : undefined;
  const o: string[] = [];
  o.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="13">`,
    '<defs>',
    '<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff" fill-opacity="0.35"/><line x1="0" y1="0" x2="0" y2="6" stroke="#222" stroke-width="2" stroke-opacity="0.55"/></pattern>',
    '</defs>',
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="16" y="28" font-size="17" font-weight="bold" fill="#111">${esc(opts.title ?? `Call for ${t.request.user}`)}</text>`,
  );
  if (opts.subtitle) o.push(`<text x="16" y="50" fill="#444">${esc(opts.subtitle)}</text>`);

  // Grid and axis.
  const step = tickStep(span);
  for (let ms = 0; ms <= span; ms += step) {
    o.push(
      `<line x1="${x(ms)}" y1="${top - 6}" x2="${x(ms)}" y2="${axisY}" stroke="#e4e4e4"/>`,
      `<text x="${x(ms)}" y="${axisY + 18}" text-anchor="middle" fill="#333">${secs(ms).replace('s', ' s')}</text>`,
    );
  }
  o.push(`<line x1="${left}" y1="${axisY}" x2="${W - right}" y2="${axisY}" stroke="#333"/>`);

  legs.forEach((l, i) => {
    o.push(...legRow(l, top + i * rowH, barH, x, span, l.plan.id === won));
  });
  if (legs.length === 0) o.push(`<text x="${left}" y="${top + 26}" fill="#555">no leg alerts</text>`);

  // MT-5: the No Answer Time.
  if (legs.length > 0) {
    o.push(
      `<line x1="${x(nat)}" y1="${top - 14}" x2="${x(nat)}" y2="${axisY}" stroke="#c62828" stroke-width="2" stroke-dasharray="6 4"/>`,
      `<text x="${x(nat) - 4}" y="${top - 18}" text-anchor="end" fill="#c62828">No Answer Time ${secs(nat).replace('s', ' s')}</text>`,
    );
  }
  // Outcome and legend.
  o.push(
    `<text x="16" y="${axisY + 46}" font-size="14" font-weight="bold" fill="#111">outcome: ${esc(outcomeLine(t.outcome, legs))}</text>`,
  );
  const ly = axisY + 72;
  o.push(
    `<rect x="16" y="${ly - 11}" width="26" height="14" fill="#d9822b"/><rect x="16" y="${ly - 11}" width="26" height="14" fill="url(#hatch)"/><text x="48" y="${ly}" fill="#333">answer guard</text>`,
    `<line x1="160" y1="${ly - 4}" x2="190" y2="${ly - 4}" stroke="#777" stroke-width="2" stroke-dasharray="4 3"/><text x="196" y="${ly}" fill="#333">delay before the leg is placed</text>`,
    `<rect x="420" y="${ly - 11}" width="26" height="14" fill="#888" stroke="#111" stroke-width="3"/><text x="452" y="${ly}" fill="#333">winning leg</text>`,
    `<text x="560" y="${ly}" fill="#333"><tspan fill="#1b7f3b" font-weight="bold">●</tspan> answer   <tspan fill="#c62828" font-weight="bold">✖</tspan> answer refused</text>`,
  );
  o.push('</svg>');
  return `${o.join('\n')}\n`;
}

function legRow(
  l: LegState,
  y: number,
  barH: number,
  x: (ms: number) => number,
  span: number,
  winner: boolean,
): string[] {
  const o: string[] = [];
  const mid = y + 16;
  const colour = COLOURS[l.plan.reason];
  o.push(
    `<text x="16" y="${mid - 2}" font-weight="bold" fill="#111">${esc(`${l.plan.id} ${l.plan.reason}`)}</text>`,
    `<text x="16" y="${mid + 14}" font-size="11.5" fill="#555">${esc(`${targetText(l.plan.target)} · ${l.plan.rule}`)}</text>`,
  );
  // The delay before the leg (dial delay MT-1, Teams delay TEAMS-1, coverage APP-2).
  if (l.plan.startAt > 0) {
    const lead = LEAD_IN[l.plan.reason] ?? 'delay';
    o.push(
      `<line x1="${x(0)}" y1="${mid}" x2="${x(l.plan.startAt)}" y2="${mid}" stroke="#777" stroke-width="2" stroke-dasharray="4 3"/>`,
      x(l.plan.startAt) - x(0) >= 96
        ? `<text x="${(x(0) + x(l.plan.startAt)) / 2}" y="${mid - 6}" text-anchor="middle" font-size="11.5" fill="#555">${esc(`${lead} ${secs(l.plan.startAt).replace('s', ' s')}`)}</text>`
        : `<text x="${x(0) + 2}" y="${mid - barH / 2 - 3}" font-size="11.5" fill="#555">${esc(`${lead} ${secs(l.plan.startAt).replace('s', ' s')}`)}</text>`,
    );
  }
  if (l.placedAt === undefined) {
    // Never placed (MT-2): the slot it would have had, outlined.
    o.push(
      `<rect x="${x(l.plan.startAt)}" y="${mid - barH / 2}" width="${Math.max(60, x(span) - x(l.plan.startAt)) / 4}" height="${barH}" fill="none" stroke="${colour}" stroke-dasharray="5 3"/>`,
      `<text x="${x(l.plan.startAt) + 6}" y="${mid + 4}" font-size="11.5" fill="#555">never placed</text>`,
    );
    return o;
  }
  const start = l.placedAt;
  const end = l.endedAt ?? span;
  const connectedAt =
    l.status === 'connected' || l.status === 'ended' ? (l.connectedAt ?? l.answeredAt ?? start) : undefined;
  const alertEnd = connectedAt ?? end;
  const visual = l.plan.alert === 'visual';
  const guardEnd = start + l.plan.answerGuardMs;
  if (l.plan.answerGuardMs > 0) {
    // AG-1: the whole guard window, even past the leg's end, so an answer inside it shows.
    o.push(
      `<rect x="${x(start)}" y="${mid - barH / 2}" width="${Math.max(1, x(guardEnd) - x(start))}" height="${barH}" fill="#fbe3cc" stroke="${colour}" stroke-dasharray="3 2"/>`,
    );
  }
  o.push(
    `<rect x="${x(start)}" y="${mid - barH / 2}" width="${Math.max(2, x(alertEnd) - x(start))}" height="${barH}" fill="${colour}" fill-opacity="${visual ? 0.35 : 0.75}"/>`,
  );
  if (connectedAt !== undefined) {
    o.push(
      `<rect x="${x(connectedAt)}" y="${mid - barH / 2}" width="${Math.max(2, x(end) - x(connectedAt))}" height="${barH}" fill="${colour}"/>`,
      `<text x="${x(connectedAt) + 9}" y="${mid + 4}" font-size="12" font-weight="bold" fill="#fff">${esc(connectedText(l, connectedAt))}</text>`,
    );
  }
  // AG-1: the guard window, from the leg's INVITE.
  if (l.plan.answerGuardMs > 0) {
    o.push(
      `<rect x="${x(start)}" y="${mid - barH / 2}" width="${Math.max(1, x(guardEnd) - x(start))}" height="${barH}" fill="url(#hatch)"/>`,
      `<text x="${x(start) + 3}" y="${mid + barH / 2 + 12}" font-size="11" fill="#8a4b10">guard ${secs(l.plan.answerGuardMs).replace('s', ' s')}</text>`,
    );
  }
  if (winner) {
    o.push(
      `<rect x="${x(start)}" y="${mid - barH / 2}" width="${Math.max(2, x(end) - x(start))}" height="${barH}" fill="none" stroke="#111" stroke-width="3"/>`,
    );
  }
  // Answers: accepted (green dot) or refused (red cross: guard, no keypress).
  if (l.answeredAt !== undefined) {
    const ax = x(l.answeredAt);
    const refused = l.status === 'guarded' || l.status === 'unconfirmed';
    o.push(
      refused
        ? `<text x="${ax}" y="${mid + 6}" text-anchor="middle" font-size="17" font-weight="bold" fill="#c62828">✖</text>`
        : `<circle cx="${ax}" cy="${mid}" r="6" fill="#1b7f3b" stroke="#fff" stroke-width="2"/>`,
    );
  }
  const label = endLabel(l);
  if (label) {
    const lx = x(end) + 6;
    const fits = lx + label.length * 6.6 < x(span) + 40;
    o.push(
      `<text x="${fits ? lx : x(end) - 6}" y="${mid + 4}" font-size="11.5" fill="#222" stroke="#fff" stroke-width="4" paint-order="stroke"${fits ? '' : ' text-anchor="end"'}>${esc(label)}</text>`,
    );
  }
  return o;
}

function connectedText(l: LegState, connectedAt: number): string {
  const answered = l.answeredAt ?? connectedAt;
  return connectedAt > answered
    ? `answered ${secs(answered)}, pressed 1 at ${secs(connectedAt)}: connected`
    : `answered ${secs(connectedAt)}: connected`;
}

function endLabel(l: LegState): string {
  switch (l.status) {
    case 'connected':
      return '';
    case 'ended':
      return `ended ${secs(l.endedAt ?? 0)}`;
    case 'guarded':
      return `answered ${secs(l.answeredAt ?? 0)} inside guard — hung up`;
    case 'unconfirmed':
      return 'no keypress — hung up';
    case 'cancelled':
      return l.endReason === 'answeredElsewhere' ? 'answered elsewhere' : (l.endReason ?? 'cancelled');
    case 'failed':
      return `failed ${l.endReason ?? ''}`;
    case 'hungUp':
      return 'hung up';
    default:
      return '';
  }
}
