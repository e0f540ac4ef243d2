import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { as, errorOf, type Harness, harness, type Session, signIn, signInUser } from './helpers.js';

describe('users resource', () => {
  let h: Harness;
  let admin: ReturnType<typeof as>;
  before(async () => {
    h = await harness();
    const s: Session = await signIn(h.app);
    admin = as(s);
  });
  after(() => h.close());

  const get = async (url: string) => h.app.inject(admin({ method: 'GET', url }));

  it('lists users with every default filled in and no secrets', async () => {
    const res = await get('/api/users');
    assert.equal(res.statusCode, 200);
    const users = res.json();
    assert.deepEqual(
      users.map((u: { extension: string }) => u.extension),
      ['201', '202', '203', '204'],
    );
    assert.equal(users[0].mobility.mobileDialDelay, 2, 'CFG-1 default');
    for (const u of users) assert.equal('password' in u, false);
    assert.match(String(res.headers.etag), /^"\d+"$/);
  });

  it('reads one user by extension', async () => {
    const res = await get('/api/users/202');
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().mobility.twinnedHandset, '203');
  });

  it('answers 404 NOT_FOUND for a user that does not exist', async () => {
    const res = await get('/api/users/999');
    assert.equal(res.statusCode, 404);
    assert.equal(errorOf(res).code, 'NOT_FOUND');
  });

  it('creates a user (201, Location) and reads it back', async () => {
    const res = await h.app.inject(
      admin({
        method: 'POST',
        url: '/api/users',
        payload: { extension: 210, name: 'Dora', password: 'dora-secret', licence: 'uc-user' },
      }),
    );
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.headers.location, '/api/users/210');
    assert.equal(res.json().extension, '210', 'YAML-style numeric extension normalised');
    assert.equal(res.json().mobility.msTeamsCoverageDelay, 0);
    assert.equal((await get('/api/users/210')).json().name, 'Dora');
  });

  it('refuses to create a user whose extension is taken (409 ALREADY_EXISTS)', async () => {
    const res = await h.app.inject(
      admin({ method: 'POST', url: '/api/users', payload: { extension: '201', name: 'X', password: 'xx' } }),
    );
    assert.equal(res.statusCode, 409);
    assert.equal(errorOf(res).code, 'ALREADY_EXISTS');
  });

  it('replaces a user with PUT; a password left out keeps the stored one', async () => {
    const current = (await get('/api/users/210')).json();
    const res = await h.app.inject(
      admin({ method: 'PUT', url: '/api/users/210', payload: { ...current, name: 'Dora B', dnd: true } }),
    );
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().name, 'Dora B');
    assert.equal(res.json().dnd, true);
    const stored = h.ctx.config.document().users.find((u) => u.extension === '210');
    assert.equal(stored?.password, 'dora-secret');
    await signInUser(h.app, '210', 'dora-secret');
  });

  it('changes some fields with PATCH (JSON Merge Patch)', async () => {
    const res = await h.app.inject(
      admin({
        method: 'PATCH',
        url: '/api/users/210',
        headers: { 'content-type': 'application/merge-patch+json' },
        payload: JSON.stringify({ mobility: { msTeamsCoverageDelay: 15, msTeamsUri: '+210' }, dnd: null }),
      }),
    );
    assert.equal(res.statusCode, 200, res.body);
    const u = res.json();
    assert.equal(u.mobility.msTeamsCoverageDelay, 15);
    assert.equal(u.mobility.msTeamsUri, '+210');
    assert.equal(u.dnd, false, 'null removes the field: back to its default');
    assert.equal(u.name, 'Dora B', 'other fields untouched');
  });

  it('deletes a user (204) and it is gone', async () => {
    const res = await h.app.inject(admin({ method: 'DELETE', url: '/api/users/210' }));
    assert.equal(res.statusCode, 204);
    assert.equal((await get('/api/users/210')).statusCode, 404);
  });

  it('CFG-1 PATCH msTeamsCoverageDelay 16 → 422 naming path, value and allowed 0–15; nothing stored', async () => {
    const revision = h.ctx.config.revision();
    const res = await h.app.inject(
      admin({ method: 'PATCH', url: '/api/users/201', payload: { mobility: { msTeamsCoverageDelay: 16 } } }),
    );
    assert.equal(res.statusCode, 422);
    const e = errorOf(res);
    assert.equal(e.code, 'VALIDATION_FAILED');
    assert.equal(e.fields?.length, 1);
    const f = e.fields![0]!;
    assert.equal(f.path, 'users[0].mobility.msTeamsCoverageDelay');
    assert.equal(f.value, 16);
    assert.equal(f.allowed, '0–15 seconds');
    assert.equal(f.code, 'OUT_OF_RANGE');
    assert.match(f.message, /user 201/);
    assert.equal(
      (await get('/api/users/201')).json().mobility.msTeamsCoverageDelay,
      0,
      'read back unchanged',
    );
    assert.equal(h.ctx.config.revision(), revision);
    assert.equal(h.ctx.store.config.revision(), revision, 'no revision stored');
  });

  it('CFG-1 a rejected change lists every failing field, and stores none of the valid ones', async () => {
    const res = await h.app.inject(
      admin({
        method: 'PATCH',
        url: '/api/users/201',
        payload: {
          name: 'Alice Smith',
          maxTwinnedCalls: 1,
          mobility: { mobileDialDelay: 100, maxTwinnedCalls: 3, twinnedMobileNumber: 'abc' },
        },
      }),
    );
    assert.equal(res.statusCode, 422);
    const paths = errorOf(res)
      .fields!.map((f) => f.path)
      .sort();
    assert.deepEqual(paths, [
      'users[0].maxTwinnedCalls',
      'users[0].mobility.maxTwinnedCalls',
      'users[0].mobility.mobileDialDelay',
      'users[0].mobility.twinnedMobileNumber',
    ]);
    const back = (await get('/api/users/201')).json();
    assert.equal(back.name, 'Alice', 'the valid name change was not stored either');
    assert.equal(back.mobility.mobileDialDelay, 2);
  });

  it('CFG-2 an unlicensed user’s Mobility fields are read-only (422 READ_ONLY_UNLICENSED); nothing stored', async () => {
    const res = await h.app.inject(
      admin({ method: 'PATCH', url: '/api/users/204', payload: { mobility: { msTeamsCoverageDelay: 3 } } }),
    );
    assert.equal(res.statusCode, 422);
    const f = errorOf(res).fields!;
    assert.ok(
      f.some((x) => x.code === 'READ_ONLY_UNLICENSED' && x.path === 'users[3].mobility.msTeamsCoverageDelay'),
    );
    assert.equal((await get('/api/users/204')).json().mobility.msTeamsCoverageDelay, 0);
  });

  it('a twinned handset’s twinnedHandset is read-only, naming its primary (READ_ONLY_TWIN_DESTINATION)', async () => {
    const res = await h.app.inject(
      admin({
        method: 'PATCH',
        url: '/api/users/203',
        payload: { licence: 'power-user', mobility: { internalTwinning: true, twinnedHandset: '204' } },
      }),
    );
    assert.equal(res.statusCode, 422);
    const f = errorOf(res).fields!.find((x) => x.code === 'READ_ONLY_TWIN_DESTINATION');
    assert.ok(f, JSON.stringify(errorOf(res)));
    assert.equal(f.path, 'users[2].mobility.twinnedHandset');
    assert.match(f.message, /user 202/);
    assert.equal((await get('/api/users/203')).json().licence, 'basic');
  });

  it('TEAMS msTeamsUri is read-only while system.autoPopulateMsTeamsData is on (READ_ONLY_TEAMS_AUTO)', async () => {
    const on = await h.app.inject(
      admin({ method: 'PATCH', url: '/api/system', payload: { autoPopulateMsTeamsData: true } }),
    );
    assert.equal(on.statusCode, 200, on.body);
    try {
      const res = await h.app.inject(
        admin({ method: 'PATCH', url: '/api/users/202', payload: { mobility: { msTeamsUri: '+202' } } }),
      );
      assert.equal(res.statusCode, 422);
      const f = errorOf(res).fields!;
      assert.equal(f[0]?.code, 'READ_ONLY_TEAMS_AUTO');
      assert.equal(f[0]?.path, 'users[1].mobility.msTeamsUri');
      assert.equal((await get('/api/users/202')).json().mobility.msTeamsUri, '');
    } finally {
      await h.app.inject(
        admin({ method: 'PATCH', url: '/api/system', payload: { autoPopulateMsTeamsData: false } }),
      );
    }
  });

  it('refuses to delete a user other entries refer to, naming the reference; the user stays', async () => {
    const res = await h.app.inject(admin({ method: 'DELETE', url: '/api/users/201' }));
    assert.equal(res.statusCode, 422);
    const f = errorOf(res).fields!;
    assert.ok(
      f.some((x) => x.path.startsWith('huntGroups[0].members')),
      JSON.stringify(f),
    );
    assert.equal((await get('/api/users/201')).statusCode, 200);
  });

  it('a PUT naming an old revision in If-Match is refused (412 REVISION_MISMATCH)', async () => {
    const current = (await get('/api/users/202')).json();
    const res = await h.app.inject(
      admin({ method: 'PUT', url: '/api/users/202', headers: { 'if-match': '"1"' }, payload: current }),
    );
    assert.equal(res.statusCode, 412);
    assert.equal(errorOf(res).code, 'REVISION_MISMATCH');
    const tag = String((await get('/api/users/202')).headers.etag);
    const ok = await h.app.inject(
      admin({ method: 'PUT', url: '/api/users/202', headers: { 'if-match': tag }, payload: current }),
    );
    assert.equal(ok.statusCode, 200, ok.body);
  });

  it('UR-3 effective values: the working-hours template locks mobileDialDelay to 5', async () => {
    const res = await get('/api/users/201/effective?at=2026-01-05T10:00:00Z');
    assert.equal(res.statusCode, 200);
    const v = res.json();
    assert.equal(v.workingHours, true);
    assert.equal(v.userRights, 'Day');
    assert.equal(v.own.mobility.mobileDialDelay, 2);
    assert.equal(v.effective.mobility.mobileDialDelay, 5);
    assert.deepEqual(v.locked['mobility.mobileDialDelay'], { userRights: 'Day', value: 5 });
    assert.equal(v.twinningMode, 'mobile');
    assert.equal('password' in v.own, false);
  });

  it('UR-2 effective values out of hours: the other template locks dnd on', async () => {
    const v = (await get('/api/users/201/effective?at=2026-01-05T20:00:00Z')).json();
    assert.equal(v.workingHours, false);
    assert.equal(v.userRights, 'Night');
    assert.equal(v.effective.dnd, true);
    assert.equal(v.own.dnd, false);
    assert.deepEqual(Object.keys(v.locked), ['dnd']);
  });

  it('effective values say which fields are read-only and why', async () => {
    const carol = (await get('/api/users/204/effective')).json();
    assert.equal(carol.readOnly['mobility.mobileTwinning'].code, 'READ_ONLY_UNLICENSED');
    const dect = (await get('/api/users/203/effective')).json();
    assert.equal(dect.twinOf, '202');
    assert.equal(dect.readOnly['mobility.twinnedHandset'].code, 'READ_ONLY_TWIN_DESTINATION');
    assert.deepEqual(dect.notSupported, ['mobility.oneXMobileClient']);
  });

  it('effective values: an unreadable `at` is 400, an unknown user 404', async () => {
    const bad = await get('/api/users/201/effective?at=tomorrow');
    assert.equal(bad.statusCode, 400);
    assert.equal(errorOf(bad).code, 'MALFORMED_REQUEST');
    assert.equal((await get('/api/users/999/effective')).statusCode, 404);
  });
});
