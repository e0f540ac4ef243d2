import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseParams, parseVia, topVia, topViaText, vias } from '../../../src/sip/fields.js';
import { makeRequest } from '../../../src/sip/message.js';

describe('Via and parameter views (RFC 3261 §20.42, §25.1)', () => {
  it('parameters split at semicolons outside quoted strings, escapes kept', () => {
    const params = parseParams(';a=1; b ;c="x;y\\";z";d=');
    assert.deepEqual(
      [...params],
      [
        ['a', '1'],
        ['b', null],
        ['c', '"x;y\\";z"'],
        ['d', ''],
      ],
    );
  });

  it('the top via-parm is the first element of the first Via that has one, as vias() lists them', () => {
    const req = makeRequest('OPTIONS', 'sip:a@b', [
      ['Via', ' , '],
      ['v', 'SIP/2.0/UDP h1;branch=z9hG4bK1, SIP/2.0/UDP h2;branch=z9hG4bK2'],
    ]);
    assert.equal(topViaText(req), vias(req)[0]);
    assert.equal(topVia(req)?.host, 'h1');
  });

  it('parsing the same text twice gives equal results, and an edited text is parsed anew', () => {
    const a = parseVia('SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKx;rport');
    assert.deepEqual(parseVia('SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKx;rport'), a);
    const b = parseVia('SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKx;rport=4000;received=192.0.2.1');
    assert.equal(b?.params.get('rport'), '4000');
    assert.equal(a?.params.get('rport'), null);
    assert.equal(parseVia('not a via'), undefined);
  });
});
