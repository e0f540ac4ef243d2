import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { as, errorOf, type Harness, harness, signIn, signInUser } from './helpers.js';

describe('user self-service', () => {
  let h: Harness;
  before(async () => {
    h = await harness({}, {}, undefined);
    // Bob has both twinnings configured, so his twinning mode is his to switch (CFG-3, WPC-1).
    const admin = as(await signIn(h.app));
    const res = await h.app.inject(
      admin({
        method: 'PATCH',
        url: '/api/users/202',
        payload: {
          twinningMode: 'internal',
          mobility: { mobilityFeatures: true, mobileTwinning: true, twinnedMobileNumber: '907700900202' },
        },
      }),
    );
    assert.equal(res.statusCode, 200, res.body);
  });
  after(() => h.close());

  it('a user signs in with extension and SIP password and sees their settings, locks and what they may change', async () => {
    const s = await signInUser(h.app, '201', 'alice-secret');
    const res = await h.app.inject({ method: 'GET', url: '/api/self', headers: { cookie: s.cookie } });
    assert.equal(res.statusCode, 200, res.body);
    const v = res.json();
    assert.equal(v.extension, '201');
    assert.equal(v.locked['mobility.mobileDialDelay'].userRights, 'Day');
    assert.ok(v.selfService.includes('mobility.mobileTwinning'));
    assert.ok(v.selfService.includes('twinningMode'));
    assert.equal('password' in v.own, false);
  });

  it('WPC-1 a user switches their twinning mode internal ⇄ mobile', async () => {
    const s = await signInUser(h.app, '202', 'bob-secret');
    const res = await h.app.inject(
      as(s)({ method: 'PATCH', url: '/api/self', payload: { twinningMode: 'mobile' } }),
    );
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().twinningMode, 'mobile');
    assert.equal(h.ctx.config.current().usersByExtension.get('202')?.twinningMode, 'mobile');
    assert.equal(h.ctx.store.config.audit().at(-1)?.actor, 'user:202');
    const back = await h.app.inject(
      as(s)({ method: 'PATCH', url: '/api/self', payload: { twinningMode: 'internal' } }),
    );
    assert.equal(back.json().twinningMode, 'internal');
  });

  it('a user turns mobile twinning off and sets their twinned mobile number', async () => {
    const s = await signInUser(h.app, '201', 'alice-secret');
    const res = await h.app.inject(
      as(s)({
        method: 'PATCH',
        url: '/api/self',
        payload: { mobility: { mobileTwinning: false, twinnedMobileNumber: '907700900999' } },
      }),
    );
    assert.equal(res.statusCode, 200, res.body);
    const alice = h.ctx.config.current().usersByExtension.get('201')!;
    assert.equal(alice.mobility.mobileTwinning, false);
    assert.equal(alice.mobility.twinnedMobileNumber, '907700900999');
  });

  it('UR-1 a field the user rights lock is refused (422 LOCKED_BY_USER_RIGHTS); nothing stored', async () => {
    const s = await signInUser(h.app, '201', 'alice-secret');
    const revision = h.ctx.config.revision();
    const res = await h.app.inject(
      as(s)({
        method: 'PATCH',
        url: '/api/self',
        payload: { mobility: { mobileDialDelay: 9, mobileTwinning: true } },
      }),
    );
    assert.equal(res.statusCode, 422);
    const f = errorOf(res).fields!;
    assert.equal(f.length, 1);
    assert.equal(f[0]?.code, 'LOCKED_BY_USER_RIGHTS');
    assert.equal(f[0]?.path, 'users[0].mobility.mobileDialDelay');
    assert.match(f[0]!.message, /Day/);
    const alice = h.ctx.config.current().usersByExtension.get('201')!;
    assert.equal(alice.mobility.mobileDialDelay, 2);
    assert.equal(
      alice.mobility.mobileTwinning,
      false,
      'the unlocked part of the change was not stored either',
    );
    assert.equal(h.ctx.store.config.revision(), revision);
  });

  it('a user cannot change a setting outside self-service (422 NOT_PERMITTED)', async () => {
    const s = await signInUser(h.app, '201', 'alice-secret');
    for (const patch of [{ licence: 'uc-user' }, { name: 'Queen Alice' }, { password: 'new-password' }]) {
      const res = await h.app.inject(as(s)({ method: 'PATCH', url: '/api/self', payload: patch }));
      assert.equal(res.statusCode, 422, JSON.stringify(patch));
      assert.equal(errorOf(res).fields![0]?.code, 'NOT_PERMITTED');
    }
    assert.equal(h.ctx.config.current().usersByExtension.get('201')?.licence, 'mobile-worker');
  });

  it('a self-service change without the CSRF token → 403', async () => {
    const s = await signInUser(h.app, '202', 'bob-secret');
    const res = await h.app.inject({
      method: 'PATCH',
      url: '/api/self',
      headers: { cookie: s.cookie },
      payload: { twinningMode: 'mobile' },
    });
    assert.equal(res.statusCode, 403);
    assert.equal(errorOf(res).code, 'CSRF_TOKEN_INVALID');
  });

  it('a wrong SIP password → 401, and an administrator has no /api/self', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/self/session',
      payload: { extension: '201', password: 'x' },
    });
    assert.equal(res.statusCode, 401);
    assert.equal(errorOf(res).code, 'INVALID_CREDENTIALS');
    const admin = await signIn(h.app);
    const self = await h.app.inject({ method: 'GET', url: '/api/self', headers: { cookie: admin.cookie } });
    assert.equal(self.statusCode, 403);
  });

  it('a removed user’s session ends', async () => {
    const admin = as(await signIn(h.app));
    await h.app.inject(
      admin({
        method: 'POST',
        url: '/api/users',
        payload: { extension: '260', name: 'Temp', password: 'temp-secret' },
      }),
    );
    const s = await signInUser(h.app, '260', 'temp-secret');
    assert.equal((await h.app.inject(admin({ method: 'DELETE', url: '/api/users/260' }))).statusCode, 204);
    const res = await h.app.inject({ method: 'GET', url: '/api/self', headers: { cookie: s.cookie } });
    assert.equal(res.statusCode, 401);
  });
});
