import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { as, errorOf, type Harness, harness, signIn } from './helpers.js';

/** One row per directory collection: a new entity, its URL key, and a change to make. */
const TABLE = [
  {
    segment: 'hunt-groups',
    create: { name: 'Support', extension: '301', members: ['203'] },
    key: 'Support',
    put: { name: 'Support', extension: '301', members: ['203', '204'], ringMode: 'sequential' },
    patch: { noAnswerTime: 20 },
    check: (e: Record<string, unknown>) => e.noAnswerTime === 20 && e.ringMode === 'sequential',
  },
  {
    segment: 'time-profiles',
    create: {
      name: 'Weekend',
      entries: [{ kind: 'weekly', days: ['sat', 'sun'], start: '00:00', end: '24:00' }],
    },
    key: 'Weekend',
    put: { name: 'Weekend', entries: [{ kind: 'weekly', days: ['sat'], start: '08:00', end: '12:00' }] },
    patch: { override: 'latchActive', overrideSetAt: '2026-01-05T10:00:00Z' },
    check: (e: Record<string, unknown>) =>
      e.override === 'latchActive' && (e.entries as unknown[]).length === 1,
  },
  {
    segment: 'user-rights',
    create: { name: 'Restricted', locked: { 'mobility.mobileTwinning': false } },
    key: 'Restricted',
    put: { name: 'Restricted', locked: { 'mobility.mobileTwinning': false, dnd: false } },
    patch: { locked: { dnd: null, callWaiting: true } },
    check: (e: Record<string, unknown>) =>
      JSON.stringify(e.locked) === JSON.stringify({ 'mobility.mobileTwinning': false, callWaiting: true }),
  },
  {
    segment: 'trunks',
    create: { name: 'teams', kind: 'msTeams', host: 'sbc.example.com', port: 5061, transport: 'tcp' },
    key: 'teams',
    put: { name: 'teams', kind: 'msTeams', host: 'sbc2.example.com', port: 5061, transport: 'tcp' },
    patch: { dtmfMode: 'info' },
    check: (e: Record<string, unknown>) => e.host === 'sbc2.example.com' && e.dtmfMode === 'info',
  },
  {
    segment: 'incoming-routes',
    create: { trunk: 'carrier', ddi: '441632960201', destination: '201' },
    key: encodeURIComponent('carrier|441632960201|'),
    put: { trunk: 'carrier', ddi: '441632960201', destination: '202' },
    patch: { lineId: '7' },
    check: (e: Record<string, unknown>) => e.destination === '202' && e.lineId === '7',
  },
  {
    segment: 'short-codes',
    create: { code: '*21', feature: 'dndOn' },
    key: encodeURIComponent('*21'),
    put: { code: '*21', feature: 'dndOff' },
    patch: { feature: 'mobileTwinningToggle' },
    check: (e: Record<string, unknown>) => e.feature === 'mobileTwinningToggle',
  },
] as const;

describe('directory collections: create, read, replace, patch, delete', () => {
  let h: Harness;
  let admin: ReturnType<typeof as>;
  before(async () => {
    h = await harness();
    admin = as(await signIn(h.app));
  });
  after(() => h.close());

  for (const row of TABLE) {
    it(`${row.segment}: the whole round trip`, async () => {
      const base = `/api/${row.segment}`;
      const before = (await h.app.inject(admin({ method: 'GET', url: base }))).json().length;
      const created = await h.app.inject(admin({ method: 'POST', url: base, payload: row.create }));
      assert.equal(created.statusCode, 201, created.body);
      assert.equal(created.headers.location, `${base}/${row.key}`);
      const list = await h.app.inject(admin({ method: 'GET', url: base }));
      assert.equal(list.json().length, before + 1);
      const one = await h.app.inject(admin({ method: 'GET', url: `${base}/${row.key}` }));
      assert.equal(one.statusCode, 200, one.body);
      const put = await h.app.inject(admin({ method: 'PUT', url: `${base}/${row.key}`, payload: row.put }));
      assert.equal(put.statusCode, 200, put.body);
      const patched = await h.app.inject(
        admin({ method: 'PATCH', url: `${base}/${row.key}`, payload: row.patch }),
      );
      assert.equal(patched.statusCode, 200, patched.body);
      assert.ok(row.check(patched.json()), patched.body);
      const reread = await h.app.inject(admin({ method: 'GET', url: `${base}/${row.key}` }));
      assert.deepEqual(reread.json(), patched.json());
      const del = await h.app.inject(admin({ method: 'DELETE', url: `${base}/${row.key}` }));
      assert.equal(del.statusCode, 204, del.body);
      assert.equal((await h.app.inject(admin({ method: 'GET', url: `${base}/${row.key}` }))).statusCode, 404);
    });
  }

  it('a trunk’s password never leaves, and a replacement without it keeps it', async () => {
    const t = (await h.app.inject(admin({ method: 'GET', url: '/api/trunks/carrier' }))).json();
    assert.deepEqual(t.auth, { username: 'u' });
    const res = await h.app.inject(
      admin({ method: 'PUT', url: '/api/trunks/carrier', payload: { ...t, port: 5090 } }),
    );
    assert.equal(res.statusCode, 200, res.body);
    const stored = h.ctx.config.document().trunks[0] as { port: number; auth: { password: string } };
    assert.equal(stored.port, 5090);
    assert.equal(stored.auth.password, 'trunk-secret');
  });

  it('deleting a time profile a user refers to is refused with the reference; nothing stored', async () => {
    const revision = h.ctx.config.revision();
    const res = await h.app.inject(admin({ method: 'DELETE', url: '/api/time-profiles/Office' }));
    assert.equal(res.statusCode, 422);
    const f = errorOf(res).fields!;
    assert.ok(
      f.some((x) => x.code === 'UNKNOWN_TIME_PROFILE' && x.path === 'users[0].workingHoursTimeProfile'),
    );
    assert.equal(
      (await h.app.inject(admin({ method: 'GET', url: '/api/time-profiles/Office' }))).statusCode,
      200,
    );
    assert.equal(h.ctx.config.revision(), revision);
  });

  it('an incoming route to an unknown destination is refused (422) and not stored', async () => {
    const res = await h.app.inject(
      admin({
        method: 'POST',
        url: '/api/incoming-routes',
        payload: { trunk: 'carrier', ddi: '123', destination: '999' },
      }),
    );
    assert.equal(res.statusCode, 422);
    assert.equal(errorOf(res).fields![0]?.path, 'incomingRoutes[1].destination');
    assert.equal(
      (await h.app.inject(admin({ method: 'GET', url: '/api/incoming-routes' }))).json().length,
      1,
    );
  });
});

describe('system settings', () => {
  let h: Harness;
  let admin: ReturnType<typeof as>;
  before(async () => {
    h = await harness();
    admin = as(await signIn(h.app));
  });
  after(() => h.close());

  it('reads the settings with defaults', async () => {
    const res = await h.app.inject(admin({ method: 'GET', url: '/api/system' }));
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().timeZone, 'Europe/London');
    assert.equal(res.json().defaultNoAnswerTime, 15);
  });

  it('PATCH changes one setting and leaves the rest', async () => {
    const res = await h.app.inject(
      admin({
        method: 'PATCH',
        url: '/api/system',
        payload: { defaultNoAnswerTime: 20, qualify: { intervalSeconds: 60 } },
      }),
    );
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().defaultNoAnswerTime, 20);
    assert.deepEqual(res.json().qualify, { intervalSeconds: 60, failureThreshold: 2 });
    assert.equal(res.json().timeZone, 'Europe/London');
    assert.equal(h.ctx.config.current().system.defaultNoAnswerTime, 20, 'CFG-4 in force at once');
  });

  it('PUT replaces the settings; fields left out take their defaults', async () => {
    const res = await h.app.inject(
      admin({ method: 'PUT', url: '/api/system', payload: { timeZone: 'UTC', outsideLinePrefix: '9' } }),
    );
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().defaultNoAnswerTime, 15);
    assert.equal(res.json().timeZone, 'UTC');
  });

  it('every out-of-range setting is reported at once; nothing stored', async () => {
    const res = await h.app.inject(
      admin({
        method: 'PATCH',
        url: '/api/system',
        payload: { outsideLinePrefix: '99999', defaultNoAnswerTime: 5 },
      }),
    );
    assert.equal(res.statusCode, 422);
    const f = errorOf(res).fields!;
    assert.deepEqual(f.map((x) => x.path).sort(), ['system.defaultNoAnswerTime', 'system.outsideLinePrefix']);
    assert.equal(f.find((x) => x.path === 'system.defaultNoAnswerTime')?.allowed, '6–99999 seconds');
    assert.equal(
      (await h.app.inject(admin({ method: 'GET', url: '/api/system' }))).json().defaultNoAnswerTime,
      15,
    );
  });

  it('TP-5 an unknown time zone is refused (INVALID_TIME_ZONE)', async () => {
    const res = await h.app.inject(
      admin({ method: 'PATCH', url: '/api/system', payload: { timeZone: 'Mars/Olympus' } }),
    );
    assert.equal(res.statusCode, 422);
    assert.equal(errorOf(res).fields![0]?.code, 'INVALID_TIME_ZONE');
    assert.equal((await h.app.inject(admin({ method: 'GET', url: '/api/system' }))).json().timeZone, 'UTC');
  });

  it('lists the warnings of the configuration in force', async () => {
    await h.app.inject(
      admin({ method: 'PATCH', url: '/api/users/202', payload: { mobility: { oneXMobileClient: true } } }),
    );
    const res = await h.app.inject(admin({ method: 'GET', url: '/api/warnings' }));
    assert.equal(res.statusCode, 200);
    assert.ok(
      res.json().some((w: { code: string }) => w.code === 'NOT_SUPPORTED'),
      res.body,
    );
  });

  it('the audit log names the administrator and never shows a password', async () => {
    await h.app.inject(
      admin({ method: 'PATCH', url: '/api/users/203', payload: { password: 'new-dect-secret' } }),
    );
    const res = await h.app.inject(admin({ method: 'GET', url: '/api/audit?limit=100' }));
    assert.equal(res.statusCode, 200);
    const entries = res.json() as { actor: string; key: string; before: unknown; after: unknown }[];
    const change = entries.findLast((e) => e.key === '203');
    assert.equal(change?.actor, 'admin:root');
    assert.doesNotMatch(res.body, /secret/);
  });
});
