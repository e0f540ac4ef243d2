/**
 * A call's alerting timeline (SEE-2): one row per leg on a shared time axis from the
 * moment the call was offered. A leg still waiting for its start delay is a dashed
 * outline; the dial-delay gap before a leg was placed is a dashed line; ringing is amber,
 * the answer-guard window (AG-1) shaded over it, the connected leg green and starred.
 */
import { h, s } from './dom.js';

export const REASON_LABELS = {
  primary: 'primary',
  mobileTwin: 'mobile',
  internalTwin: 'internal twin',
  teams: 'MS Teams',
  fallback: 'fallback (mobile)',
  loggedOutTwin: 'logged-out twin',
  bridged: 'bridged',
  coverage: 'coverage',
  line: 'line',
  forward: 'forward',
  callback: 'callback',
  handover: 'handover',
  handoverReturn: 'back to desk',
  pickup: 'picked up at desk',
  direct: 'direct',
  voicemail: 'voicemail',
  trunk: 'trunk',
};

const W = 960;
const LABEL = 210;
const RIGHT = 150;
const ROW = 28;
const AXIS = 24;

function step(spanMs, px) {
  const steps = [250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000];
  return steps.find((st) => (st / spanMs) * px >= 60) ?? 600_000;
}

const secs = (ms) => `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;

/** Which leg connected: the record's `answeredBy`, else the answered leg still up or ended normally. */
export function winnerOf(legs, answeredBy) {
  if (answeredBy) return answeredBy;
  return legs.find((l) => l.answeredAt !== undefined && (l.status === 'connected' || l.status === 'ended'))
    ?.id;
}

/**
 * The SVG for `call` ({startedAt, legs, endedAt?}) at `now` (epoch ms, server clock).
 * `answeredBy` names the winning leg in a record.
 */
export function timeline(call, { now, answeredBy } = {}) {
  const t0 = call.startedAt;
  const legs = call.legs ?? [];
  const times = legs.flatMap((l) => [
    l.placedAt,
    l.answeredAt,
    l.endedAt,
    l.placedAt + (l.answerGuardMs ?? 0),
  ]);
  const end = Math.max(call.endedAt ?? now ?? t0, ...times.filter((t) => Number.isFinite(t)), t0 + 4000);
  const span = end - t0;
  const px = W - LABEL - RIGHT;
  const x = (t) => LABEL + Math.max(0, Math.min(px, ((t - t0) / span) * px));
  const height = AXIS + ROW * Math.max(1, legs.length) + 8;
  const winner = winnerOf(legs, answeredBy);
  const tNow = call.endedAt ?? now ?? end;

  const axis = [s('line', { class: 'axis', x1: LABEL, y1: AXIS - 6, x2: LABEL + px, y2: AXIS - 6 })];
  const st = step(span, px);
  for (let t = 0; t <= span; t += st) {
    axis.push(
      s('line', { class: 'tick', x1: x(t0 + t), y1: AXIS - 10, x2: x(t0 + t), y2: height - 4 }),
      s('text', { class: 'tick-label', x: x(t0 + t), y: AXIS - 12, 'text-anchor': 'middle' }, secs(t)),
    );
  }
  if (!call.endedAt && now !== undefined)
    axis.push(s('line', { class: 'now', x1: x(now), y1: AXIS - 10, x2: x(now), y2: height - 4 }));

  const rows = legs.map((l, i) => {
    const y = AXIS + i * ROW + 4;
    const mid = y + (ROW - 8) / 2;
    const parts = [];
    // A registration reads "201/sip:201@host…": the extension says enough on the axis.
    const shortTarget = /^\d+\/sips?:/.test(l.target) ? l.target.split('/')[0] : l.target;
    const label = `${l.id === winner ? '★ ' : ''}${REASON_LABELS[l.reason] ?? l.reason} ${shortTarget}`;
    parts.push(
      s(
        'text',
        { class: 'leg-label', x: 4, y: mid + 4 },
        label.length > 30 ? `${label.slice(0, 29)}…` : label,
      ),
      s(
        'title',
        {},
        `${l.id}: ${REASON_LABELS[l.reason] ?? l.reason} ${l.target}${l.rule ? ` (${l.rule})` : ''}`,
      ),
    );
    const barH = ROW - 10;
    if (l.placedAt === undefined) {
      // Not placed yet (a dial delay or coverage delay still running), or never placed.
      const until = l.endedAt ?? tNow;
      parts.push(
        s('rect', {
          class: 'bar waiting',
          x: x(t0),
          y,
          width: Math.max(2, x(until) - x(t0)),
          height: barH,
          rx: 3,
        }),
        s(
          'text',
          { class: 'bar-text', x: x(t0) + 6, y: mid + 4 },
          l.endedAt === undefined ? 'waiting to start (delay)' : 'never placed',
        ),
      );
    } else {
      if (l.placedAt - t0 >= 150) {
        parts.push(
          s('line', { class: 'gap', x1: x(t0), y1: mid, x2: x(l.placedAt), y2: mid }),
          s(
            'text',
            { class: 'gap-text', x: (x(t0) + x(l.placedAt)) / 2, y: mid - 4, 'text-anchor': 'middle' },
            `+${secs(l.placedAt - t0)}`,
          ),
        );
      }
      const ringEnd = l.answeredAt ?? l.endedAt ?? tNow;
      parts.push(
        s('rect', {
          class: 'bar ringing',
          x: x(l.placedAt),
          y,
          width: Math.max(2, x(ringEnd) - x(l.placedAt)),
          height: barH,
          rx: 3,
        }),
      );
      if (l.answerGuardMs) {
        const gEnd = l.placedAt + l.answerGuardMs;
        parts.push(
          s('rect', {
            class: 'guard',
            x: x(l.placedAt),
            y: y - 2,
            width: Math.max(2, x(gEnd) - x(l.placedAt)),
            height: barH + 4,
          }),
          s(
            'text',
            { class: 'guard-text', x: x(gEnd) - 3, y: mid + 4, 'text-anchor': 'end' },
            `guard ${secs(l.answerGuardMs)}`,
          ),
        );
      }
      if (l.answeredAt !== undefined) {
        const won = l.id === winner;
        parts.push(
          s('rect', {
            class: `bar ${won ? 'connected' : 'refused'}`,
            x: x(l.answeredAt),
            y,
            width: Math.max(3, x(l.endedAt ?? tNow) - x(l.answeredAt)),
            height: barH,
            rx: 3,
          }),
        );
        const width = x(l.endedAt ?? tNow) - x(l.answeredAt);
        if (won && width >= 80)
          parts.push(s('text', { class: 'winner-mark', x: x(l.answeredAt) + 4, y: mid + 5 }, '★ answered'));
      }
    }
    // After the bar, and after a guard window that outlasts it.
    const guardEnd = l.placedAt !== undefined && l.answerGuardMs ? l.placedAt + l.answerGuardMs : 0;
    const endX = Math.max(x(l.endedAt ?? tNow), guardEnd ? x(guardEnd) : 0);
    const tail = l.endedAt !== undefined ? (l.endReason ?? l.status ?? 'ended') : (l.status ?? '');
    parts.push(s('text', { class: 'end-text', x: endX + 6, y: mid + 4 }, tail));
    return s(
      'g',
      {
        class: `leg${l.id === winner ? ' winner' : ''}`,
        dataset: {
          legId: l.id,
          reason: l.reason,
          status: l.status ?? (l.endedAt ? 'ended' : ''),
          placed: l.placedAt === undefined ? 'no' : 'yes',
        },
      },
      parts,
    );
  });

  return s(
    'svg',
    {
      class: 'timeline',
      viewBox: `0 0 ${W} ${height}`,
      width: '100%',
      role: 'img',
      'aria-label': `Alerting timeline of ${legs.length} legs`,
    },
    axis,
    rows,
  );
}

/** A table of the legs beside the picture: the same facts as text. */
export function legsTable(call, answeredBy) {
  const t0 = call.startedAt;
  const rel = (t) => (t === undefined ? '—' : `+${((t - t0) / 1000).toFixed(2)} s`);
  const winner = winnerOf(call.legs ?? [], answeredBy);
  return h(
    'table',
    { class: 'legs' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Leg', 'Why', 'Target', 'Status', 'Placed', 'Answered', 'Ended', 'End reason', 'Rule'].map((t) =>
          h('th', {}, t),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      (call.legs ?? []).map((l) =>
        h(
          'tr',
          { class: l.id === winner ? 'winner' : '', dataset: { reason: l.reason } },
          h('td', {}, l.id === winner ? `★ ${l.id}` : l.id),
          h('td', {}, REASON_LABELS[l.reason] ?? l.reason),
          h('td', {}, l.target),
          h('td', {}, l.status ?? ''),
          h('td', {}, rel(l.placedAt)),
          h('td', {}, rel(l.answeredAt)),
          h('td', {}, rel(l.endedAt)),
          h('td', {}, l.endReason ?? ''),
          h('td', {}, l.rule ?? ''),
        ),
      ),
    ),
  );
}

export function legend() {
  const item = (cls, text) =>
    h('span', { class: 'legend-item' }, h('span', { class: `swatch ${cls}` }), text);
  return h(
    'p',
    { class: 'legend' },
    item('waiting', 'waiting for its delay'),
    item('gap', 'delay before the leg was placed'),
    item('ringing', 'ringing'),
    item('guard', 'answer guard window'),
    item('connected', 'connected (★ winner)'),
    item('refused', 'answered, not connected'),
  );
}
