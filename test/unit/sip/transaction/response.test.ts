import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toTagOf } from '../../../../src/sip/fields.js';
import { newBranch, newCallId, newTag } from '../../../../src/sip/ids.js';
import { makeRequest } from '../../../../src/sip/message.js';
import { createResponse, reasonPhrase } from '../../../../src/sip/response.js';

const invite = () =>
  makeRequest('INVITE', 'sip:bob@example.com', [
    ['Via', 'SIP/2.0/UDP p1.example.com;branch=z9hG4bK1, SIP/2.0/UDP p2.example.com;branch=z9hG4bK2'],
    ['v', 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK3;received=10.0.0.1'],
    ['Max-Forwards', '68'],
    ['From', '<sip:alice@example.com>;tag=a1'],
    ['To', '<sip:bob@example.com>'],
    ['Call-ID', 'c1@10.0.0.1'],
    ['CSeq', '9 INVITE'],
    ['Timestamp', '100.5 0.2'],
    ['Contact', '<sip:alice@10.0.0.1>'],
  ]);

describe('createResponse (RFC 3261 §8.2.6)', () => {
  it('§8.2.6.2: copies every Via in order, From, To, Call-ID and CSeq, and nothing else', () => {
    const res = createResponse(invite(), 486, undefined, 'b1');
    assert.deepEqual(
      res.headers.fields.map((f) => f.name),
      ['Via', 'Via', 'From', 'To', 'Call-ID', 'CSeq'],
    );
    assert.deepEqual(res.headers.getAll('via'), [
      'SIP/2.0/UDP p1.example.com;branch=z9hG4bK1, SIP/2.0/UDP p2.example.com;branch=z9hG4bK2',
      'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK3;received=10.0.0.1',
    ]);
    assert.equal(res.headers.get('to'), '<sip:bob@example.com>;tag=b1');
    assert.equal(res.headers.get('cseq'), '9 INVITE');
    assert.equal(res.reason, 'Busy Here');
  });

  it('§8.2.6.2: a status above 100 gets a fresh random To tag when none is given', () => {
    const tag = toTagOf(createResponse(invite(), 180));
    assert.match(tag ?? '', /^[0-9a-f]{16}$/);
  });

  it('§8.2.6.2: an existing To tag is kept as is', () => {
    const req = invite();
    req.headers.set('To', '<sip:bob@example.com>;tag=old');
    assert.equal(
      createResponse(req, 200, undefined, 'new').headers.get('to'),
      '<sip:bob@example.com>;tag=old',
    );
  });

  it('§8.2.6.1: 100 Trying has no To tag and copies Timestamp', () => {
    const res = createResponse(invite(), 100);
    assert.equal(toTagOf(res), undefined);
    assert.equal(res.headers.get('timestamp'), '100.5 0.2');
    assert.equal(createResponse(invite(), 180).headers.get('timestamp'), undefined);
  });

  it('§21: standard reason phrases, a custom one on request, a class phrase for unknown codes', () => {
    assert.equal(reasonPhrase(487), 'Request Terminated');
    assert.equal(reasonPhrase(481), 'Call/Transaction Does Not Exist');
    assert.equal(reasonPhrase(499), 'Client Error');
    assert.equal(createResponse(invite(), 480, 'Gone Fishing').reason, 'Gone Fishing');
  });
});

describe('identifiers (RFC 3261 §8.1.1)', () => {
  it('§8.1.1.7: branches carry the magic cookie and are unique', () => {
    const set = new Set(Array.from({ length: 1000 }, newBranch));
    assert.equal(set.size, 1000);
    for (const b of set) assert.ok(b.startsWith('z9hG4bK'));
  });

  it('§8.1.1.4 / §19.3: Call-IDs and tags are unique; a Call-ID may carry a host', () => {
    assert.notEqual(newTag(), newTag());
    assert.match(newCallId('pbx.example.com'), /^[0-9a-f]{32}@pbx\.example\.com$/);
  });
});
