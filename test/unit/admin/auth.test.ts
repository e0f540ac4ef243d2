import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ensureAdminAccount } from '../../../src/admin/auth.js';
import { hashPassword, verifyPassword } from '../../../src/admin/passwords.js';
import { openSqliteStore } from '../../../src/store/sqlite.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { createLogger } from '../../../src/util/log.js';
import { ADMIN, as, cookieOf, errorOf, type Harness, harness, signIn, signInUser } from './helpers.js';

describe('authentication and CSRF', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  it('no session and no token → 401 UNAUTHENTICATED with a Bearer challenge', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/users' });
    assert.equal(res.statusCode, 401);
    assert.equal(errorOf(res).code, 'UNAUTHENTICATED');
    assert.match(String(res.headers['www-authenticate']), /^Bearer/);
  });

  it('an unknown session cookie is no session (401)', async () => {
    const res = await h.app.inject({
      method: 'GET',
      url: '/api/users',
      headers: { cookie: 'twinline_session=forged' },
    });
    assert.equal(res.statusCode, 401);
  });

  it('sign-in sets an HttpOnly, SameSite=Strict session cookie and returns a CSRF token', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/api/session', payload: ADMIN });
    assert.equal(res.statusCode, 200, res.body);
    const set = String(res.headers['set-cookie']);
    assert.match(set, /^twinline_session=[A-Za-z0-9_-]{40,};/);
    assert.match(set, /HttpOnly/);
    assert.match(set, /SameSite=Strict/);
    assert.match(set, /Path=\//);
    assert.equal(res.json().account, ADMIN.account);
    assert.ok(res.json().csrfToken.length >= 24);
    const id = cookieOf(res).split('=')[1]!;
    const digest = (await import('../../../src/admin/passwords.js')).digest(id);
    assert.ok(h.ctx.store.admin.getSession(digest), 'stored under its digest');
  });

  it('a session reads without the CSRF token', async () => {
    const s = await signIn(h.app);
    const res = await h.app.inject({ method: 'GET', url: '/api/users', headers: { cookie: s.cookie } });
    assert.equal(res.statusCode, 200);
  });

  it('an unsafe request from a session without the CSRF token → 403 CSRF_TOKEN_INVALID; nothing stored', async () => {
    const s = await signIn(h.app);
    const res = await h.app.inject({
      method: 'PATCH',
      url: '/api/users/201',
      headers: { cookie: s.cookie },
      payload: { name: 'Mallory' },
    });
    assert.equal(res.statusCode, 403);
    assert.equal(errorOf(res).code, 'CSRF_TOKEN_INVALID');
    const wrong = await h.app.inject({
      method: 'PATCH',
      url: '/api/users/201',
      headers: { cookie: s.cookie, 'x-csrf-token': 'guess' },
      payload: { name: 'Mallory' },
    });
    assert.equal(wrong.statusCode, 403);
    assert.equal(h.ctx.config.current().usersByExtension.get('201')?.name, 'Alice');
  });

  it('another session’s CSRF token does not do', async () => {
    const a = await signIn(h.app);
    const b = await signIn(h.app);
    const res = await h.app.inject({
      method: 'PATCH',
      url: '/api/system',
      headers: { cookie: a.cookie, 'x-csrf-token': b.csrf },
      payload: { defaultNoAnswerTime: 30 },
    });
    assert.equal(res.statusCode, 403);
  });

  it('GET /api/session says who is signed in and gives the CSRF token again', async () => {
    const s = await signIn(h.app);
    const res = await h.app.inject({ method: 'GET', url: '/api/session', headers: { cookie: s.cookie } });
    assert.deepEqual(res.json(), { kind: 'admin', account: ADMIN.account, csrfToken: s.csrf });
  });

  it('sign-out ends the session', async () => {
    const s = await signIn(h.app);
    const out = await h.app.inject(as(s)({ method: 'DELETE', url: '/api/session' }));
    assert.equal(out.statusCode, 204);
    assert.match(String(out.headers['set-cookie']), /Max-Age=0/);
    const res = await h.app.inject({ method: 'GET', url: '/api/users', headers: { cookie: s.cookie } });
    assert.equal(res.statusCode, 401);
  });

  it('a session expires after its lifetime', async () => {
    const s = await signIn(h.app);
    h.clock.advance(8 * 3_600_000);
    const res = await h.app.inject({ method: 'GET', url: '/api/users', headers: { cookie: s.cookie } });
    assert.equal(res.statusCode, 401);
  });

  it('a wrong password → 401 INVALID_CREDENTIALS, same as an unknown account', async () => {
    const wrong = await h.app.inject({
      method: 'POST',
      url: '/api/session',
      payload: { account: 'root', password: 'nope' },
    });
    assert.equal(wrong.statusCode, 401);
    assert.equal(errorOf(wrong).code, 'INVALID_CREDENTIALS');
    const unknown = await h.app.inject({
      method: 'POST',
      url: '/api/session',
      payload: { account: 'ghost', password: 'x' },
    });
    assert.equal(unknown.statusCode, 401);
    assert.equal(errorOf(unknown).message, errorOf(wrong).message);
  });

  it('a sign-in body with a missing field is 422 naming it', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/api/session', payload: { account: 'root' } });
    assert.equal(res.statusCode, 422);
    assert.deepEqual(
      errorOf(res).fields!.map((f) => [f.path, f.code]),
      [['password', 'REQUIRED']],
    );
  });
});

describe('sign-in back-off', () => {
  it('after repeated failures an account answers 429 with Retry-After, even to the right password, until it has waited', async () => {
    const h = await harness();
    try {
      const attempt = (password: string, ip = '10.0.0.1') =>
        h.app.inject({
          method: 'POST',
          url: '/api/session',
          remoteAddress: ip,
          payload: { account: 'root', password },
        });
      for (let i = 0; i < 6; i++) assert.equal((await attempt('wrong')).statusCode, 401);
      const locked = await attempt(ADMIN.password);
      assert.equal(locked.statusCode, 429);
      assert.equal(errorOf(locked).code, 'TOO_MANY_ATTEMPTS');
      assert.equal(locked.headers['retry-after'], '2');
      const elsewhere = await attempt(ADMIN.password, '10.0.0.2');
      assert.equal(elsewhere.statusCode, 429, 'the account backs off whatever the address');
      h.clock.advance(2_000);
      assert.equal((await attempt(ADMIN.password)).statusCode, 200);
      const metrics = await h.ctx.metrics.metrics();
      assert.match(metrics, /twinline_admin_login_failures_total\{kind="admin"\} 6/);
    } finally {
      await h.close();
    }
  });

  it('an address that fails on many accounts backs off too', async () => {
    const h = await harness({}, { loginThrottle: { freeFailures: 2 } });
    try {
      for (const account of ['a', 'b', 'c'])
        await h.app.inject({ method: 'POST', url: '/api/session', payload: { account, password: 'x' } });
      const res = await h.app.inject({ method: 'POST', url: '/api/session', payload: ADMIN });
      assert.equal(res.statusCode, 429);
      assert.ok(Number(res.headers['retry-after']) >= 1);
    } finally {
      await h.close();
    }
  });
});

describe('bearer tokens', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  it('a created token is shown once, stored as a digest, and works without a CSRF token', async () => {
    const s = await signIn(h.app);
    const created = await h.app.inject(
      as(s)({ method: 'POST', url: '/api/tokens', payload: { name: 'ci' } }),
    );
    assert.equal(created.statusCode, 201, created.body);
    const { token, id } = created.json();
    assert.match(token, /^tl_/);
    const stored = h.ctx.store.admin.listTokens();
    assert.equal(stored.length, 1);
    assert.notEqual(stored[0]!.digest, token);
    assert.doesNotMatch(JSON.stringify(stored), new RegExp(token.slice(3)));
    const list = await h.app.inject(as(s)({ method: 'GET', url: '/api/tokens' }));
    assert.equal(list.json()[0].id, id);
    assert.equal('token' in list.json()[0], false);
    const write = await h.app.inject({
      method: 'PATCH',
      url: '/api/users/201',
      headers: { authorization: `Bearer ${token}` },
      payload: { mobility: { mobileDialDelay: 4 } },
    });
    assert.equal(write.statusCode, 200, write.body);
    const audit = h.ctx.store.config.audit();
    assert.equal(audit.at(-1)?.actor, 'admin:root');
    const revoked = await h.app.inject({
      method: 'DELETE',
      url: `/api/tokens/${id}`,
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(revoked.statusCode, 204);
    const after = await h.app.inject({
      method: 'GET',
      url: '/api/users',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(after.statusCode, 401);
  });

  it('an expired token is refused', async () => {
    const s = await signIn(h.app);
    const created = await h.app.inject(
      as(s)({ method: 'POST', url: '/api/tokens', payload: { name: 'short', expiresInDays: 1 } }),
    );
    const auth = { authorization: `Bearer ${created.json().token}` };
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/system', headers: auth })).statusCode, 200);
    h.clock.advance(86_400_000);
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/system', headers: auth })).statusCode, 401);
  });

  it('a made-up bearer token is 401', async () => {
    const res = await h.app.inject({
      method: 'GET',
      url: '/api/users',
      headers: { authorization: 'Bearer tl_nothing' },
    });
    assert.equal(res.statusCode, 401);
  });
});

describe('administrator accounts', () => {
  it('creates an account, sets its password, refuses to delete the last one', async () => {
    const h = await harness();
    try {
      const admin = as(await signIn(h.app));
      const weak = await h.app.inject(
        admin({ method: 'POST', url: '/api/accounts', payload: { name: 'ops', password: 'short' } }),
      );
      assert.equal(weak.statusCode, 422);
      assert.equal(errorOf(weak).fields![0]?.allowed, '12–1024 characters');
      const created = await h.app.inject(
        admin({
          method: 'POST',
          url: '/api/accounts',
          payload: { name: 'ops', password: 'a long enough one' },
        }),
      );
      assert.equal(created.statusCode, 201, created.body);
      await signIn(h.app, 'ops', 'a long enough one');
      const changed = await h.app.inject(
        admin({
          method: 'PUT',
          url: '/api/accounts/ops/password',
          payload: { password: 'another long one' },
        }),
      );
      assert.equal(changed.statusCode, 200);
      await signIn(h.app, 'ops', 'another long one');
      assert.equal(
        (await h.app.inject(admin({ method: 'DELETE', url: '/api/accounts/ops' }))).statusCode,
        204,
      );
      const last = await h.app.inject(admin({ method: 'DELETE', url: '/api/accounts/root' }));
      assert.equal(last.statusCode, 409);
      assert.equal(errorOf(last).code, 'LAST_ACCOUNT');
    } finally {
      await h.close();
    }
  });

  it('a user’s self-service session cannot reach administrator routes (403 FORBIDDEN)', async () => {
    const h = await harness();
    try {
      const s = await signInUser(h.app, '201', 'alice-secret');
      const res = await h.app.inject({ method: 'GET', url: '/api/users', headers: { cookie: s.cookie } });
      assert.equal(res.statusCode, 403);
      assert.equal(errorOf(res).code, 'FORBIDDEN');
    } finally {
      await h.close();
    }
  });
});

describe('first start', () => {
  it('ensureAdminAccount creates admin once with a random password shown once in the log', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger('info', sink);
    const store = openSqliteStore({ dataDir: ':memory:', clock: new VirtualClock() });
    try {
      const first = await ensureAdminAccount(store, logger);
      assert.equal(first.created, true);
      if (!first.created) return;
      assert.equal(first.account, 'admin');
      assert.ok(first.password.length >= 16);
      const stored = store.admin.getAccount('admin')!;
      assert.match(stored.passwordHash, /^scrypt\$/);
      assert.ok(await verifyPassword(first.password, stored.passwordHash));
      assert.equal((await ensureAdminAccount(store, logger)).created, false);
      const logged = lines.filter((l) => l.includes(first.password));
      assert.equal(logged.length, 1, 'the password appears in the log exactly once');
    } finally {
      store.close();
    }
  });

  it('password hashes are salted per account and compare right and wrong', async () => {
    const a = await hashPassword('same');
    const b = await hashPassword('same');
    assert.notEqual(a, b);
    assert.equal(await verifyPassword('same', a), true);
    assert.equal(await verifyPassword('Same', a), false);
    assert.equal(await verifyPassword('same', 'garbage'), false);
  });
});
