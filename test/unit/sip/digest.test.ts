import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createDigestServer,
  type DigestAlgorithm,
  type DigestCredentials,
  digestResponse,
  formatAuthorization,
  parseDigestCredentials,
} from '../../../src/sip/digest.js';
import { VirtualClock } from '../../../src/util/clock.js';

const users: Record<string, string> = { '201': 'alice-secret' };
const passwordFor = (u: string) => users[u];

function answer(challenge: string, user: string, password: string, nc = 1, method = 'REGISTER'): string {
  const nonce = /nonce="([^"]+)"/.exec(challenge)![1]!;
  const realm = /realm="([^"]+)"/.exec(challenge)![1]!;
  const algorithm = /algorithm=([A-Z0-9-]+)/.exec(challenge)![1] as DigestAlgorithm;
  const c: DigestCredentials = {
    username: user,
    realm,
    nonce,
    uri: 'sip:127.0.0.1',
    algorithm,
    qop: 'auth',
    nc: nc.toString(16).padStart(8, '0'),
    cnonce: 'abc123',
    response: '',
  };
  c.response = digestResponse(c, password, method);
  return formatAuthorization(c);
}

describe('digest authentication (RFC 8760, RFC 3261 §22)', () => {
  it('matches the RFC 2617 §3.5 worked example for MD5 with qop=auth', () => {
    const response = digestResponse(
      {
        username: 'Mufasa',
        realm: 'testrealm@host.com',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        uri: '/dir/index.html',
        algorithm: 'MD5',
        qop: 'auth',
        nc: '00000001',
        cnonce: '0a4f113b',
      },
      'Circle Of Life',
      'GET',
    );
    assert.equal(response, '6629fae49393a05397450978507c4ef1');
  });

  it('matches the RFC 7616 §3.9.1 worked example for SHA-256', () => {
    const response = digestResponse(
      {
        username: 'Mufasa',
        realm: 'http-auth@example.org',
        nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
        uri: '/dir/index.html',
        algorithm: 'SHA-256',
        qop: 'auth',
        nc: '00000001',
        cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
      },
      'Circle of Life',
      'GET',
    );
    assert.equal(response, '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });

  it('offers SHA-256 before MD5, both with qop=auth (RFC 8760 §2.4)', () => {
    const server = createDigestServer({ realm: 'twinline', clock: new VirtualClock() });
    const [first, second] = server.challenges();
    assert.match(first!, /algorithm=SHA-256/);
    assert.match(second!, /algorithm=MD5/);
    for (const c of [first!, second!]) assert.match(c, /qop="auth"/);
  });

  it('offers the configured algorithms in the configured order, and refuses any other', () => {
    let algorithms: ('MD5' | 'SHA-256')[] = ['MD5', 'SHA-256'];
    const server = createDigestServer({
      realm: 'twinline',
      clock: new VirtualClock(),
      algorithms: () => algorithms,
    });
    assert.match(server.challenges()[0]!, /algorithm=MD5/);
    algorithms = ['SHA-256'];
    const [only, none] = server.challenges();
    assert.match(only!, /algorithm=SHA-256/);
    assert.equal(none, undefined);
    const md5 = answer(only!.replace('SHA-256', 'MD5'), '201', 'alice-secret');
    assert.deepEqual(server.verify(md5, 'REGISTER', passwordFor), {
      ok: false,
      why: 'algorithm-not-offered',
      stale: false,
    });
  });

  for (const index of [0, 1]) {
    it(`accepts the right password with the ${index === 0 ? 'SHA-256' : 'MD5'} challenge`, () => {
      const server = createDigestServer({ realm: 'twinline', clock: new VirtualClock() });
      const challenge = server.challenges()[index]!;
      const verdict = server.verify(answer(challenge, '201', 'alice-secret'), 'REGISTER', passwordFor);
      assert.deepEqual(verdict, { ok: true, username: '201' });
    });
  }

  it('refuses a wrong password and an unknown user alike in outcome', () => {
    const server = createDigestServer({ realm: 'twinline', clock: new VirtualClock() });
    const challenge = server.challenges()[0]!;
    const wrong = server.verify(answer(challenge, '201', 'guess'), 'REGISTER', passwordFor);
    const unknown = server.verify(answer(challenge, '999', 'guess'), 'REGISTER', passwordFor);
    assert.equal(wrong.ok, false);
    assert.equal(unknown.ok, false);
  });

  it('refuses a replayed nonce-count and accepts the next one', () => {
    const server = createDigestServer({ realm: 'twinline', clock: new VirtualClock() });
    const challenge = server.challenges()[0]!;
    const first = answer(challenge, '201', 'alice-secret', 1);
    assert.equal(server.verify(first, 'REGISTER', passwordFor).ok, true);
    assert.deepEqual(server.verify(first, 'REGISTER', passwordFor), {
      ok: false,
      why: 'replay',
      stale: false,
    });
    assert.equal(
      server.verify(answer(challenge, '201', 'alice-secret', 2), 'REGISTER', passwordFor).ok,
      true,
    );
  });

  it('forgets the oldest nonce-counts beyond its bound, and then treats those nonces as stale, not replayable', () => {
    const clock = new VirtualClock();
    const server = createDigestServer({ realm: 'twinline', clock, maxTrackedNonces: 2 });
    const first = server.challenges()[0]!;
    clock.advance(10);
    const second = server.challenges()[0]!;
    clock.advance(10);
    const third = server.challenges()[0]!;
    const use1 = answer(first, '201', 'alice-secret', 1);
    assert.equal(server.verify(use1, 'REGISTER', passwordFor).ok, true);
    clock.advance(10);
    assert.equal(server.verify(answer(second, '201', 'alice-secret', 1), 'REGISTER', passwordFor).ok, true);
    clock.advance(10);
    assert.equal(server.verify(answer(third, '201', 'alice-secret', 1), 'REGISTER', passwordFor).ok, true);
    // The first nonce's count was forgotten: its replay is not accepted, only re-challenged.
    assert.deepEqual(server.verify(use1, 'REGISTER', passwordFor), {
      ok: false,
      why: 'bad-nonce',
      stale: true,
    });
  });

  it('answers an expired nonce with stale=true when the credentials are right', () => {
    const clock = new VirtualClock();
    const server = createDigestServer({ realm: 'twinline', clock, nonceLifetimeMs: 60_000 });
    const challenge = server.challenges()[0]!;
    clock.advance(60_001);
    const verdict = server.verify(answer(challenge, '201', 'alice-secret'), 'REGISTER', passwordFor);
    assert.deepEqual(verdict, { ok: false, why: 'bad-nonce', stale: true });
    assert.match(server.challenges(true)[0]!, /stale=true/);
  });

  it('refuses a nonce it did not issue, and one issued by another server', () => {
    const clock = new VirtualClock();
    const server = createDigestServer({ realm: 'twinline', clock });
    const other = createDigestServer({ realm: 'twinline', clock });
    const foreign = answer(other.challenges()[0]!, '201', 'alice-secret');
    assert.deepEqual(server.verify(foreign, 'REGISTER', passwordFor), {
      ok: false,
      why: 'bad-nonce',
      stale: false,
    });
  });

  it('refuses credentials without qop=auth, since replay protection needs the nonce-count', () => {
    const server = createDigestServer({ realm: 'twinline', clock: new VirtualClock() });
    const nonce = /nonce="([^"]+)"/.exec(server.challenges()[0]!)![1]!;
    const c = {
      username: '201',
      realm: 'twinline',
      nonce,
      uri: 'sip:x',
      algorithm: 'MD5' as const,
      response: '',
    };
    c.response = digestResponse(c, 'alice-secret', 'REGISTER');
    assert.equal(server.verify(formatAuthorization(c), 'REGISTER', passwordFor).ok, false);
  });

  it('parses quoted values with escapes and ignores case of parameter names', () => {
    const c = parseDigestCredentials(
      'Digest USERNAME="a\\"b", realm="r", nonce="n", uri="sip:x", response="00", Algorithm=sha-256, qop=auth, nc=00000001, cnonce="c"',
    );
    assert.equal(c?.username, 'a"b');
    assert.equal(c?.algorithm, 'SHA-256');
    assert.equal(parseDigestCredentials('Basic abc'), undefined);
    assert.equal(parseDigestCredentials('Digest username="a", realm='), undefined);
  });
});
