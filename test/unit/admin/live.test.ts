import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CallEvent, CallsView, CallView, Cdr, CdrFilter, CdrView } from '../../../src/admin/types.js';
import { as, errorOf, type Harness, harness, signIn } from './helpers.js';

/** The call engine's side of the contract, in-process. */
function fakeCalls(): CallsView & { push(e: CallEvent): void; listeners: number } {
  const listeners = new Set<(e: CallEvent) => void>();
  const active: CallView[] = [];
  return {
    active: () => [...active],
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    push(e) {
      if (e.type === 'callStarted') active.push(e.call);
      for (const l of listeners) l(e);
    },
    get listeners() {
      return listeners.size;
    },
  };
}

const call = (id: string): CallView => ({
  id,
  phase: 'routing',
  from: '07700900555',
  to: '201',
  user: '201',
  startedAt: Date.UTC(2026, 0, 5, 10, 0, 0),
  legs: [
    {
      id: 'L1',
      reason: 'primary',
      target: '201',
      status: 'alerting',
      placedAt: Date.UTC(2026, 0, 5, 10, 0, 0),
    },
    { id: 'L2', reason: 'mobileTwin', target: '907700900123', status: 'pending', rule: 'MT-1' },
  ],
});

describe('registrations, calls and call records', () => {
  let h: Harness;
  let admin: ReturnType<typeof as>;
  const calls = fakeCalls();
  const queries: CdrFilter[] = [];
  const cdrs: CdrView = {
    query(filter) {
      queries.push(filter);
      const cdr: Cdr = {
        id: 'c1',
        from: '07700900555',
        to: '201',
        user: '201',
        startedAt: 1,
        endedAt: 2,
        outcome: 'connected',
        answeredBy: 'L2',
        legs: [
          { id: 'L2', reason: 'mobileTwin', target: '907700900123', answeredAt: 2, endReason: 'answered' },
        ],
      };
      return [cdr];
    },
  };
  before(async () => {
    h = await harness({ calls, cdrs });
    admin = as(await signIn(h.app));
    h.registrations.push(
      {
        aor: '201',
        contact: 'sip:201@127.0.0.1:5062',
        expiresAt: Date.UTC(2026, 0, 5, 11, 0, 0),
        source: { protocol: 'udp', address: '127.0.0.1', port: 5062 },
        userAgent: 'baresip',
        reachable: true,
      },
      {
        aor: '202',
        contact: 'sip:202@127.0.0.1:5064',
        expiresAt: Date.UTC(2026, 0, 5, 11, 0, 0),
        source: { protocol: 'tcp', address: '127.0.0.1', port: 5064 },
        reachable: false,
      },
    );
  });
  after(() => h.close());

  it('lists registrations, and one user’s', async () => {
    const all = await h.app.inject(admin({ method: 'GET', url: '/api/registrations' }));
    assert.equal(all.statusCode, 200);
    assert.equal(all.json().length, 2);
    assert.equal(all.json()[0].expiresAt, '2026-01-05T11:00:00.000Z');
    const one = await h.app.inject(admin({ method: 'GET', url: '/api/registrations?user=202' }));
    assert.deepEqual(
      one.json().map((r: { aor: string; reachable: boolean }) => [r.aor, r.reachable]),
      [['202', false]],
    );
  });

  it('lists the calls in progress', async () => {
    calls.push({ type: 'callStarted', at: 1, call: call('a1') });
    const res = await h.app.inject(admin({ method: 'GET', url: '/api/calls' }));
    assert.equal(res.statusCode, 200);
    assert.equal(res.json()[0].id, 'a1');
    assert.equal(res.json()[0].legs[1].reason, 'mobileTwin');
  });

  it('SEE-2 streams call events as server-sent events, and unsubscribes when the client goes', async () => {
    const res = await h.app.inject({
      ...admin({ method: 'GET', url: '/api/calls/events' }),
      payloadAsStream: true,
    });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/event-stream/);
    const stream = res.stream();
    let text = '';
    const seen = new Promise<void>((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        if (text.includes('event: callUpdated')) resolve();
      });
    });
    const updated = { ...call('a1'), phase: 'connected' as const, answeredAt: 5 };
    calls.push({ type: 'callUpdated', at: 5, call: updated });
    await seen;
    const frames = text.split('\n\n').filter(Boolean);
    assert.match(frames[0]!, /^id: 0\nevent: snapshot\ndata: \[/);
    const frame = frames.find((f) => f.includes('event: callUpdated'))!;
    const data = JSON.parse(
      frame
        .split('\n')
        .find((l) => l.startsWith('data: '))!
        .slice(6),
    );
    assert.deepEqual(data, { type: 'callUpdated', at: 5, call: updated });
    assert.equal(calls.listeners, 1);
    stream.destroy();
  });

  it('the event stream sends keep-alives on the injected clock', async () => {
    const res = await h.app.inject({
      ...admin({ method: 'GET', url: '/api/calls/events' }),
      payloadAsStream: true,
    });
    const stream = res.stream();
    let text = '';
    const beat = new Promise<void>((resolve) =>
      stream.on('data', (c: Buffer) => {
        text += c.toString('utf8');
        if (text.includes(': keep-alive')) resolve();
      }),
    );
    h.clock.advance(15_000);
    await beat;
    stream.destroy();
  });

  it('the event stream needs an administrator', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/calls/events' });
    assert.equal(res.statusCode, 401);
  });

  it('SEE-1 queries call records with the filter given', async () => {
    const res = await h.app.inject(
      admin({ method: 'GET', url: '/api/cdrs?since=2026-01-05T00:00:00Z&user=201&limit=10' }),
    );
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json()[0].legs[0].endReason, 'answered');
    assert.deepEqual(queries.at(-1), { since: Date.UTC(2026, 0, 5), user: '201', limit: 10 });
    const bad = await h.app.inject(admin({ method: 'GET', url: '/api/cdrs?limit=lots' }));
    assert.equal(bad.statusCode, 400);
    assert.equal(errorOf(bad).code, 'MALFORMED_REQUEST');
  });
});

describe('event stream shutdown', () => {
  it('closing the app ends open event streams and unsubscribes them from the call engine', async () => {
    const calls = fakeCalls();
    const h = await harness({ calls });
    const admin = as(await signIn(h.app));
    const res = await h.app.inject({
      ...admin({ method: 'GET', url: '/api/calls/events' }),
      payloadAsStream: true,
    });
    const ended = new Promise<void>((resolve) => res.stream().on('end', resolve).resume());
    assert.equal(calls.listeners, 1);
    await h.close();
    await ended;
    assert.equal(calls.listeners, 0);
  });
});

describe('without a call engine', () => {
  it('calls and call records are empty lists', async () => {
    const h = await harness();
    try {
      const admin = as(await signIn(h.app));
      assert.deepEqual((await h.app.inject(admin({ method: 'GET', url: '/api/calls' }))).json(), []);
      assert.deepEqual((await h.app.inject(admin({ method: 'GET', url: '/api/cdrs' }))).json(), []);
    } finally {
      await h.close();
    }
  });
});

describe('operations', () => {
  it('healthz and readyz need no sign-in; readyz is 503 while SIP is not listening', async () => {
    let listening = false;
    const h = await harness({ ready: () => listening });
    try {
      const health = await h.app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(health.statusCode, 200);
      const notReady = await h.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(notReady.statusCode, 503);
      assert.equal(errorOf(notReady).code, 'NOT_READY');
      assert.match(errorOf(notReady).message, /SIP/);
      listening = true;
      const ready = await h.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 200);
      assert.equal(ready.json().status, 'ready');
    } finally {
      await h.close();
    }
  });

  it('readyz is 503 when the store cannot be read', async () => {
    const h = await harness();
    try {
      h.ctx.store.close();
      const res = await h.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(res.statusCode, 503);
      assert.match(errorOf(res).message, /store/);
    } finally {
      await h.app.close();
    }
  });

  it('metrics need an administrator and carry the SIP side’s counters and the API’s own', async () => {
    const h = await harness();
    try {
      const { Counter } = await import('prom-client');
      new Counter({
        name: 'twinline_sip_requests_total',
        help: 'SIP requests',
        registers: [h.ctx.metrics],
      }).inc(3);
      assert.equal((await h.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
      const admin = as(await signIn(h.app));
      await h.app.inject(admin({ method: 'GET', url: '/api/users/999' }));
      const res = await h.app.inject(admin({ method: 'GET', url: '/metrics' }));
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^text\/plain/);
      assert.match(res.body, /twinline_sip_requests_total 3/);
      assert.match(
        res.body,
        /twinline_http_requests_total\{route="\/api\/users\/:extension",method="GET",status="404"\} 1/,
      );
    } finally {
      await h.close();
    }
  });

  it('publicMetrics opens /metrics to a scraper without credentials', async () => {
    const h = await harness({}, { publicMetrics: true });
    try {
      assert.equal((await h.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 200);
    } finally {
      await h.close();
    }
  });
});
