/**
 * Live calls from the server-sent event stream, and the call history from the records
 * (SEE-1), each call drawn as its alerting timeline (SEE-2).
 */
import { get } from './api.js';
import { fmtTime, h } from './dom.js';
import { legend, legsTable, timeline } from './timeline.js';

/** How long an ended call stays on the live page. */
const KEEP_ENDED_MS = 120_000;

function callHeader(call, extra) {
  return h(
    'div',
    { class: 'call-head' },
    h('strong', {}, `${call.from || '?'} → ${call.to || '?'}`),
    call.user ? ` for user ${call.user}` : '',
    ` · ${fmtTime(call.startedAt)}`,
    extra,
  );
}

/** The live page; returns its clean-up (closes the stream) for the router. */
export function liveCallsPage(root) {
  const calls = new Map(); // id → { call, endedAt?, card }
  let offset = 0; // server clock − browser clock, from the events' `at`
  const now = () => Date.now() + offset;
  const state = h('span', { class: 'stream-state connecting' }, 'connecting…');
  const list = h('div', { class: 'calls', 'aria-live': 'polite' });
  const empty = h('p', { class: 'muted empty' }, 'No calls in progress.');

  root.replaceChildren(
    h('h1', {}, 'Live calls ', state),
    legend(),
    empty,
    list,
    h('p', {}, h('a', { href: '#/history' }, 'Call history')),
  );

  function draw(entry) {
    const { call } = entry;
    const ended = entry.endedAt !== undefined;
    const svgNow = ended ? undefined : now();
    const card = h(
      'section',
      {
        class: `call${ended ? ' ended' : ''}`,
        dataset: { callId: call.id, phase: ended ? 'ended' : call.phase },
      },
      callHeader(
        call,
        h('span', { class: `phase ${ended ? 'ended' : call.phase}` }, ended ? 'ended' : call.phase),
      ),
      timeline(ended ? { ...call, endedAt: entry.endedAt } : call, { now: svgNow }),
      legsTable(call),
    );
    if (entry.card) entry.card.replaceWith(card);
    else list.prepend(card);
    entry.card = card;
  }

  function update(call, endedAt) {
    const entry = calls.get(call.id) ?? {};
    entry.call = call;
    if (endedAt !== undefined) entry.endedAt = endedAt;
    calls.set(call.id, entry);
    draw(entry);
    empty.hidden = calls.size > 0;
  }

  const source = new EventSource('/api/calls/events');
  source.addEventListener('open', () => {
    state.textContent = '● live';
    state.className = 'stream-state live';
  });
  source.addEventListener('error', () => {
    state.textContent = 'reconnecting…';
    state.className = 'stream-state connecting';
  });
  source.addEventListener('snapshot', (ev) => {
    const active = JSON.parse(ev.data);
    const ids = new Set(active.map((c) => c.id));
    // Calls that ended while the stream was down.
    for (const [id, e] of calls) if (!ids.has(id) && e.endedAt === undefined) update(e.call, now());
    for (const c of active) update(c);
  });
  for (const type of ['callStarted', 'callUpdated', 'callEnded']) {
    source.addEventListener(type, (ev) => {
      const e = JSON.parse(ev.data);
      offset = e.at - Date.now();
      update(e.call, type === 'callEnded' ? e.at : undefined);
    });
  }

  // Bars of calls in progress grow with the clock.
  const ticker = setInterval(() => {
    for (const [id, e] of calls) {
      if (e.endedAt === undefined) draw(e);
      else if (now() - e.endedAt > KEEP_ENDED_MS) {
        e.card?.remove();
        calls.delete(id);
      }
    }
    empty.hidden = calls.size > 0;
  }, 250);

  return () => {
    clearInterval(ticker);
    source.close();
  };
}

export async function historyPage(root, params) {
  const user = params.get('user') ?? '';
  const limit = Number(params.get('limit') ?? 50);
  const q = new URLSearchParams({ limit: String(limit) });
  if (user) q.set('user', user);
  const cdrs = await get(`/api/cdrs?${q}`);
  const userInput = h('input', { name: 'user', value: user, placeholder: 'extension', inputmode: 'numeric' });
  const filter = h(
    'form',
    { class: 'inline-form' },
    h('label', {}, 'User ', userInput),
    h('button', { type: 'submit' }, 'Filter'),
    h(
      'button',
      {
        type: 'button',
        onclick: () => historyPage(root, new URLSearchParams(location.hash.split('?')[1] ?? '')),
      },
      'Refresh',
    ),
  );
  filter.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = userInput.value ? `#/history?user=${encodeURIComponent(userInput.value)}` : '#/history';
  });
  root.replaceChildren(
    h('h1', {}, 'Call history'),
    filter,
    legend(),
    cdrs.length === 0 ? h('p', { class: 'muted' }, 'No calls recorded.') : null,
    h(
      'div',
      { class: 'calls' },
      cdrs.map((c) =>
        h(
          'section',
          { class: 'call record', dataset: { callId: c.id, outcome: c.outcome } },
          callHeader(
            c,
            h(
              'span',
              { class: 'phase' },
              ` · ${c.outcome} · ${((c.endedAt - c.startedAt) / 1000).toFixed(1)} s`,
            ),
          ),
          timeline(c, { answeredBy: c.answeredBy }),
          legsTable(c, c.answeredBy),
        ),
      ),
    ),
  );
}

export async function registrationsPage(root) {
  async function draw() {
    const regs = await get('/api/registrations');
    const table = h(
      'table',
      { class: 'list registrations' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['User', 'Contact', 'From', 'User agent', 'Expires', 'State'].map((t) => h('th', {}, t)),
        ),
      ),
      h(
        'tbody',
        {},
        regs.map((r) =>
          h(
            'tr',
            { dataset: { aor: r.aor, reachable: String(r.reachable) } },
            h('td', {}, h('a', { href: `#/users/${encodeURIComponent(r.aor)}/mobility` }, r.aor)),
            h('td', {}, h('code', {}, r.contact)),
            h('td', {}, `${r.source?.protocol ?? ''} ${r.source?.address ?? ''}:${r.source?.port ?? ''}`),
            h('td', {}, r.userAgent ?? ''),
            h('td', {}, fmtTime(Date.parse(r.expiresAt))),
            h(
              'td',
              {},
              h(
                'span',
                { class: `badge ${r.reachable ? 'ok' : 'bad'}` },
                r.reachable ? 'reachable' : 'unreachable',
              ),
            ),
          ),
        ),
      ),
    );
    body.replaceChildren(regs.length ? table : h('p', { class: 'muted' }, 'No registrations.'));
  }
  const body = h('div');
  root.replaceChildren(
    h('h1', {}, 'Registrations'),
    h(
      'p',
      { class: 'muted' },
      'Reachable: the last OPTIONS probes were answered (FB-3). Refreshed every 5 s.',
    ),
    body,
  );
  await draw();
  const timer = setInterval(() => draw().catch(() => {}), 5000);
  return () => clearInterval(timer);
}
