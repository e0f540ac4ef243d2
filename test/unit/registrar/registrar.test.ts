import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryBindingStore } from '../../../src/registrar/bindings.js';
import { createQualifier } from '../../../src/registrar/qualify.js';
import { createRegistrar } from '../../../src/registrar/registrar.js';
import { createThrottle } from '../../../src/registrar/throttle.js';
import {
  createDigestServer,
  type DigestCredentials,
  digestResponse,
  formatAuthorization,
} from '../../../src/sip/digest.js';
import { makeRequest, type SipResponse } from '../../../src/sip/message.js';
import type { Endpoint } from '../../../src/sip/transport/types.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/log.js';

const passwords: Record<string, string> = { '201': 'alice-secret', '202': 'bob-secret' };
const source: Endpoint = { protocol: 'UDP', address: '127.0.0.1', port: 5062 };

function setup() {
  const clock = new VirtualClock();
  const digest = createDigestServer({ realm: 'twinline', clock });
  const bindings = createMemoryBindingStore();
  const changes: string[] = [];
  const registrar = createRegistrar({
    clock,
    digest,
    bindings,
    passwordFor: (u) => passwords[u],
    throttleBySource: createThrottle(clock),
    throttleByUser: createThrottle(clock),
    logger: silentLogger,
    onChange: (aor) => changes.push(aor),
  });
  let cseq = 1;
  const register = (
    user: string,
    contacts: string[],
    opts: {
      password?: string;
      expires?: number;
      callId?: string;
      authFrom?: SipResponse;
      nc?: number;
      authUser?: string;
    } = {},
  ) => {
    const fields: [string, string][] = [
      ['Via', `SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK${cseq}`],
      ['From', `<sip:${user}@twinline>;tag=f${cseq}`],
      ['To', `<sip:${user}@twinline>`],
      ['Call-ID', opts.callId ?? 'reg-1'],
      ['CSeq', `${cseq++} REGISTER`],
      ['Max-Forwards', '70'],
    ];
    for (const c of contacts) fields.push(['Contact', c]);
    if (opts.expires !== undefined) fields.push(['Expires', String(opts.expires)]);
    if (opts.authFrom) {
      const challenge = opts.authFrom.headers.get('www-authenticate')!;
      const c: DigestCredentials = {
        username: opts.authUser ?? user,
        realm: 'twinline',
        nonce: /nonce="([^"]+)"/.exec(challenge)![1]!,
        uri: 'sip:twinline',
        algorithm: /algorithm=SHA-256/.test(challenge) ? 'SHA-256' : 'MD5',
        qop: 'auth',
        nc: (opts.nc ?? 1).toString(16).padStart(8, '0'),
        cnonce: 'cn',
        response: '',
      };
      c.response = digestResponse(c, opts.password ?? passwords[opts.authUser ?? user]!, 'REGISTER');
      fields.push(['Authorization', formatAuthorization(c)]);
    }
    return registrar.handle(makeRequest('REGISTER', 'sip:twinline', fields), source);
  };
  /** Challenge then answer, as a phone does. */
  const login = (
    user: string,
    contacts: string[],
    opts: { password?: string; expires?: number; callId?: string } = {},
  ) => register(user, contacts, { ...opts, authFrom: register(user, contacts, opts) });
  return { clock, registrar, bindings, register, login, changes };
}

describe('registrar (RFC 3261 §10.3, RFC 8760)', () => {
  it('challenges a REGISTER without credentials with 401 offering SHA-256 and MD5', () => {
    const { register } = setup();
    const r = register('201', ['<sip:201@127.0.0.1:5062>']);
    assert.equal(r.status, 401);
    const challenges = r.headers.getAll('www-authenticate');
    assert.equal(challenges.length, 2);
    assert.match(challenges[0]!, /algorithm=SHA-256/);
  });

  it('binds the contact with the right password and lists it with its expiry in the 200', () => {
    const { login, registrar, changes } = setup();
    const r = login('201', ['<sip:201@127.0.0.1:5062>'], { expires: 120 });
    assert.equal(r.status, 200);
    assert.deepEqual(r.headers.getAll('contact'), ['<sip:201@127.0.0.1:5062>;expires=120']);
    assert.equal(registrar.bindingsOf('201').length, 1);
    assert.deepEqual(changes, ['201']);
  });

  it('answers a wrong password and an unknown user with the same 401', () => {
    const { login } = setup();
    const wrong = login('201', ['<sip:201@127.0.0.1:5062>'], { password: 'nope' });
    const unknown = login('299', ['<sip:299@127.0.0.1:5062>'], { password: 'nope' });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.equal(wrong.reason, unknown.reason);
  });

  it('refuses a replayed nonce-count', () => {
    const { register } = setup();
    const challenge = register('201', ['<sip:201@127.0.0.1:5062>']);
    assert.equal(register('201', ['<sip:201@127.0.0.1:5062>'], { authFrom: challenge, nc: 1 }).status, 200);
    assert.equal(register('201', ['<sip:201@127.0.0.1:5062>'], { authFrom: challenge, nc: 1 }).status, 401);
  });

  it('refuses a user registering another user’s address-of-record with 403', () => {
    const { register } = setup();
    const challenge = register('201', ['<sip:201@127.0.0.1:5062>']);
    // Bob's valid credentials in a REGISTER whose To names Alice.
    const r = register('201', ['<sip:201@127.0.0.1:5062>'], { authFrom: challenge, authUser: '202' });
    assert.equal(r.status, 403);
  });

  it('answers 423 with Min-Expires for an interval shorter than the minimum', () => {
    const { login } = setup();
    const r = login('201', ['<sip:201@127.0.0.1:5062>'], { expires: 10 });
    assert.equal(r.status, 423);
    assert.equal(r.headers.get('min-expires'), '60');
  });

  it('keeps several contacts per user and removes one with expires=0', () => {
    const { login, registrar } = setup();
    login('201', ['<sip:201@127.0.0.1:5062>', '<sip:201@127.0.0.1:5064>;expires=300']);
    assert.equal(registrar.bindingsOf('201').length, 2);
    const r = login('201', ['<sip:201@127.0.0.1:5064>;expires=0']);
    assert.equal(r.status, 200);
    assert.deepEqual(
      registrar.bindingsOf('201').map((b) => b.contact),
      ['sip:201@127.0.0.1:5062'],
    );
  });

  it('removes every binding with Contact: * and Expires: 0, and refuses * otherwise', () => {
    const { login, registrar } = setup();
    login('201', ['<sip:201@127.0.0.1:5062>', '<sip:201@127.0.0.1:5064>']);
    assert.equal(login('201', ['*'], { expires: 60 }).status, 400);
    const r = login('201', ['*'], { expires: 0, callId: 'other' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.getAll('contact').length, 0);
    assert.equal(registrar.bindingsOf('201').length, 0);
  });

  it('lets bindings run out at their expiry', () => {
    const { login, registrar, clock } = setup();
    login('201', ['<sip:201@127.0.0.1:5062>'], { expires: 60 });
    clock.advance(59_000);
    assert.equal(registrar.bindingsOf('201').length, 1);
    clock.advance(1_001);
    assert.equal(registrar.bindingsOf('201').length, 0);
    assert.deepEqual(registrar.expire(), ['201']);
  });

  it('backs off a source after repeated failures and tells it when to retry', () => {
    const { login, register } = setup();
    for (let i = 0; i < 5; i++) assert.equal(login('201', ['<sip:201@h>'], { password: 'bad' }).status, 401);
    const fail6 = login('201', ['<sip:201@h>'], { password: 'bad' });
    assert.equal(fail6.status, 401);
    const locked = register('201', ['<sip:201@h>']);
    assert.equal(locked.status, 403);
    assert.equal(locked.headers.get('retry-after'), '2');
  });
});

describe('OPTIONS qualify (FB-3)', () => {
  const binding = {
    aor: '201',
    contact: 'sip:201@127.0.0.1:5062',
    expiresAt: Number.MAX_SAFE_INTEGER,
    callId: 'c',
    cseq: 1,
    source,
    updatedAt: 0,
  };

  async function flush() {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }

  it('FB-3 turns a contact unreachable after the failure threshold and reachable on the next answer', async () => {
    const clock = new VirtualClock();
    let answering = true;
    const events: [string, boolean][] = [];
    const q = createQualifier({
      clock,
      intervalMs: 30_000,
      failureThreshold: 2,
      probe: async () => answering,
      onReachability: (aor, r) => events.push([aor, r]),
    });
    q.track(binding);
    assert.equal(q.isReachable('201'), true);
    clock.advance(30_000);
    await flush();
    assert.equal(q.isReachable('201'), true);
    answering = false;
    clock.advance(30_000);
    await flush();
    assert.equal(q.isReachable('201'), true, 'one failure is below the threshold');
    clock.advance(30_000);
    await flush();
    assert.equal(q.isReachable('201'), false);
    answering = true;
    clock.advance(30_000);
    await flush();
    assert.equal(q.isReachable('201'), true);
    assert.deepEqual(events, [
      ['201', true],
      ['201', false],
      ['201', true],
    ]);
    q.stop();
  });

  it('FB-3 forgets an unregistered contact, so the user is unreachable with none left', () => {
    const clock = new VirtualClock();
    const q = createQualifier({ clock, intervalMs: 30_000, failureThreshold: 2, probe: async () => true });
    q.track(binding);
    q.untrack('201', binding.contact);
    assert.equal(q.isReachable('201'), false);
    assert.equal(clock.pendingCount, 0);
  });
});
