import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMessage } from '../../../src/sip/parse.js';
import { checkRequest, type ServerPolicy } from '../../../src/sip/validate.js';

const BASE: Record<string, string> = {
  Via: 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK776',
  'Max-Forwards': '70',
  To: '<sip:bob@example.com>',
  From: '<sip:alice@example.com>;tag=1928',
  'Call-ID': 'a84b4c76e66710',
  CSeq: '1 INVITE',
};

function check(
  method: string,
  over: Record<string, string | null> = {},
  policy: ServerPolicy = { supportedExtensions: [] },
  version = 'SIP/2.0',
) {
  const fields = { ...BASE, CSeq: `1 ${method}`, ...over };
  const lines = [`${method} sip:bob@example.com ${version}`];
  for (const [k, v] of Object.entries(fields)) if (v !== null) lines.push(`${k}: ${v}`);
  const r = parseMessage(Buffer.from(`${lines.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`));
  assert.ok(r.ok && r.message.type === 'request');
  return checkRequest(r.message, policy);
}

describe('checkRequest', () => {
  it('accepts a well-formed request', () => {
    assert.equal(check('INVITE'), undefined);
  });

  it('answers 505 for another SIP version', () => {
    assert.equal(check('INVITE', {}, undefined, 'SIP/3.0')?.status, 505);
  });

  for (const name of ['To', 'From', 'Call-ID', 'CSeq', 'Via']) {
    it(`answers 400 when ${name} is missing`, () => {
      assert.deepEqual(check('INVITE', { [name]: null })?.status, 400);
    });
  }

  it('answers 400 when the CSeq method differs from the request method', () => {
    assert.equal(check('INVITE', { CSeq: '1 BYE' })?.reason, 'CSeq method does not match the request method');
  });

  it('answers 400 for Max-Forwards above 255 or not a number', () => {
    assert.equal(check('INVITE', { 'Max-Forwards': '256' })?.status, 400);
    assert.equal(check('INVITE', { 'Max-Forwards': 'ten' })?.status, 400);
  });

  it('accepts a request without Max-Forwards', () => {
    assert.equal(check('INVITE', { 'Max-Forwards': null }), undefined);
  });

  it('answers 483 for Max-Forwards 0 on anything but OPTIONS', () => {
    assert.deepEqual(check('INVITE', { 'Max-Forwards': '0' }), { status: 483, reason: 'Too Many Hops' });
    assert.equal(check('OPTIONS', { 'Max-Forwards': '0' }), undefined);
  });

  it('answers 420 listing each unknown Require tag once (RFC 3261 §8.2.2.3)', () => {
    assert.deepEqual(
      check('INVITE', { Require: 'foo, replaces, foo' }, { supportedExtensions: ['replaces'] }),
      {
        status: 420,
        reason: 'Bad Extension',
        headers: [['Unsupported', 'foo']],
      },
    );
  });

  it('ignores Require on ACK and CANCEL', () => {
    assert.equal(check('ACK', { Require: 'foo' }), undefined);
    assert.equal(check('CANCEL', { Require: 'foo' }), undefined);
  });

  it('ignores Proxy-Require (a UAS does not look at it)', () => {
    assert.equal(check('INVITE', { 'Proxy-Require': 'foo' }), undefined);
  });

  it('answers 400 for a Via branch that is only the magic cookie', () => {
    assert.equal(check('INVITE', { Via: 'SIP/2.0/UDP h;branch=z9hG4bK' })?.status, 400);
  });

  it('accepts a wildcard Contact only on REGISTER', () => {
    assert.equal(check('REGISTER', { Contact: '*', Expires: '0' }), undefined);
    assert.equal(check('INVITE', { Contact: '*' })?.status, 400);
  });

  it('answers 400 for a Date that is not GMT', () => {
    assert.equal(check('INVITE', { Date: 'Fri, 01 Jan 2010 16:00:00 EST' })?.status, 400);
    assert.equal(check('INVITE', { Date: 'Sat, 13 Nov 2010 23:29:00 GMT' }), undefined);
  });
});
