import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mergePatch, parseCookies, serializeCookie } from '../../../src/admin/http.js';
import { as, errorOf, type Harness, harness, signIn } from './helpers.js';

describe('request errors', () => {
  let h: Harness;
  let admin: ReturnType<typeof as>;
  before(async () => {
    h = await harness();
    admin = as(await signIn(h.app));
  });
  after(() => h.close());

  it('malformed JSON → 400 MALFORMED_REQUEST; nothing stored', async () => {
    const revision = h.ctx.config.revision();
    const res = await h.app.inject(
      admin({
        method: 'PATCH',
        url: '/api/users/201',
        headers: { 'content-type': 'application/json' },
        payload: '{"mobility": {"mobileDialDelay": 5',
      }),
    );
    assert.equal(res.statusCode, 400);
    assert.equal(errorOf(res).code, 'MALFORMED_REQUEST');
    assert.equal(h.ctx.config.revision(), revision);
  });

  it('malformed merge-patch JSON is 400 too', async () => {
    const res = await h.app.inject(
      admin({
        method: 'PATCH',
        url: '/api/system',
        headers: { 'content-type': 'application/merge-patch+json' },
        payload: 'nope',
      }),
    );
    assert.equal(res.statusCode, 400);
    assert.equal(errorOf(res).code, 'MALFORMED_REQUEST');
  });

  it('an empty JSON body is 400', async () => {
    const res = await h.app.inject(
      admin({
        method: 'POST',
        url: '/api/users',
        headers: { 'content-type': 'application/json' },
        payload: '',
      }),
    );
    assert.equal(res.statusCode, 400);
  });

  it('a body that is JSON but not an object is 422 naming the whole body', async () => {
    const res = await h.app.inject(admin({ method: 'POST', url: '/api/users', payload: [1, 2] }));
    assert.equal(res.statusCode, 422);
    assert.deepEqual(errorOf(res).fields?.[0], {
      path: '',
      value: [1, 2],
      allowed: 'a JSON object',
      message: 'the request body must be a JSON object',
      code: 'INVALID_TYPE',
    });
  });

  it('an unknown field is 422 UNKNOWN_FIELD; nothing stored', async () => {
    const res = await h.app.inject(
      admin({ method: 'PATCH', url: '/api/users/201', payload: { mobility: { colour: 'red' } } }),
    );
    assert.equal(res.statusCode, 422);
    assert.equal(errorOf(res).fields?.[0]?.code, 'UNKNOWN_FIELD');
    assert.equal(errorOf(res).fields?.[0]?.path, 'users[0].mobility.colour');
  });

  it('a body that is not JSON at all is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const res = await h.app.inject(
      admin({
        method: 'POST',
        url: '/api/users',
        headers: { 'content-type': 'text/plain' },
        payload: 'hello',
      }),
    );
    assert.equal(res.statusCode, 415);
    assert.equal(errorOf(res).code, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('an unknown resource → 404 UNKNOWN_ROUTE, signed in or not', async () => {
    const res = await h.app.inject(admin({ method: 'GET', url: '/api/phones' }));
    assert.equal(res.statusCode, 404);
    assert.equal(errorOf(res).code, 'UNKNOWN_ROUTE');
    const anon = await h.app.inject({ method: 'DELETE', url: '/api/nothing/here' });
    assert.equal(anon.statusCode, 404);
  });

  it('an unauthenticated change is refused before its body is read (401, not 400)', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/users',
      headers: { 'content-type': 'application/json' },
      payload: '{broken',
    });
    assert.equal(res.statusCode, 401);
  });

  it('responses are not cached and not sniffed', async () => {
    const res = await h.app.inject(admin({ method: 'GET', url: '/api/system' }));
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });
});

describe('body size', () => {
  it('a body over bodyLimit is 413 PAYLOAD_TOO_LARGE', async () => {
    const h = await harness({}, { bodyLimit: 256 });
    try {
      const admin = as(await signIn(h.app));
      const res = await h.app.inject(
        admin({ method: 'PATCH', url: '/api/users/201', payload: { name: 'x'.repeat(300) } }),
      );
      assert.equal(res.statusCode, 413);
      assert.equal(errorOf(res).code, 'PAYLOAD_TOO_LARGE');
    } finally {
      await h.close();
    }
  });
});

describe('http helpers', () => {
  it('mergePatch follows RFC 7396', () => {
    assert.deepEqual(mergePatch({ a: 'b', c: { d: 'e', f: 'g' } }, { a: 'z', c: { f: null } }), {
      a: 'z',
      c: { d: 'e' },
    });
    assert.deepEqual(mergePatch({ a: [1, 2] }, { a: [3] }), { a: [3] });
    assert.deepEqual(mergePatch({ a: 1 }, { b: { c: null } }), { a: 1, b: {} });
  });

  it('cookies parse and serialise', () => {
    const c = parseCookies('a=1; twinline_session=abc%20d; a=2; bad');
    assert.equal(c.get('a'), '1');
    assert.equal(c.get('twinline_session'), 'abc d');
    assert.equal(
      serializeCookie('s', 'v', { maxAgeSeconds: 60, secure: true }),
      's=v; Path=/; Max-Age=60; HttpOnly; SameSite=Strict; Secure',
    );
  });
});
