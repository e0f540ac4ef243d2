import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createResponse } from '../../../../src/sip/response.js';
import { ALICE, lonelyUas, request } from './helpers.js';

describe('server transaction matching (RFC 3261 §17.2.3)', () => {
  it('§17.2.3: same magic-cookie branch and sent-by is the same transaction', () => {
    const u = lonelyUas();
    u.inject(request('OPTIONS', { branch: 'z9hG4bKm1' }));
    u.inject(request('OPTIONS', { branch: 'z9hG4bKm1' }));
    assert.equal(u.requests.length, 1);
  });

  it('§17.2.3: the same branch from another sent-by is another transaction', () => {
    const u = lonelyUas();
    u.inject(request('OPTIONS', { branch: 'z9hG4bKm1' }));
    u.inject(request('OPTIONS', { branch: 'z9hG4bKm1', host: '10.0.0.3' }), {
      ...ALICE,
      address: '10.0.0.3',
    });
    assert.equal(u.requests.length, 2);
  });

  it('§17.2.3: the same branch with another method is another transaction (ACK and CANCEL aside)', () => {
    const u = lonelyUas();
    u.inject(request('OPTIONS', { branch: 'z9hG4bKm1' }));
    u.inject(request('INFO', { branch: 'z9hG4bKm1' }));
    assert.equal(u.requests.length, 2);
  });

  it('§17.2.3: an ACK with the INVITE branch matches the INVITE transaction', () => {
    const u = lonelyUas();
    u.onRequest((tx) => tx.respond(createResponse(tx.request, 480, undefined, 'b1')));
    u.inject(request('INVITE', { branch: 'z9hG4bKm1' }));
    u.inject(request('ACK', { branch: 'z9hG4bKm1', toTag: 'b1' }));
    assert.equal(u.requests[0]!.state, 'Confirmed');
    assert.equal(u.acks.length, 0);
  });

  it('§17.2.3 RFC 2543 fallback: a retransmitted INVITE without the magic cookie matches on Request-URI, tags, Call-ID, CSeq and top Via', () => {
    const u = lonelyUas();
    const legacy = () => request('INVITE', { via: 'SIP/2.0/UDP 10.0.0.1:5060;branch=1234' });
    u.inject(legacy());
    u.inject(legacy());
    assert.equal(u.requests.length, 1);
    assert.deepEqual(u.net.times('100 INVITE'), [0, 0]);
  });

  it('§17.2.3 RFC 2543 fallback works with no branch at all', () => {
    const u = lonelyUas();
    const legacy = () => request('OPTIONS', { via: 'SIP/2.0/UDP 10.0.0.1:5060' });
    u.inject(legacy());
    u.inject(legacy());
    assert.equal(u.requests.length, 1);
  });

  it('§17.2.3 RFC 2543 fallback: another Call-ID, CSeq, From tag or Request-URI is another transaction', () => {
    const u = lonelyUas();
    const via = 'SIP/2.0/UDP 10.0.0.1:5060;branch=1234';
    u.inject(request('INVITE', { via }));
    u.inject(request('INVITE', { via, callId: 'other@10.0.0.1' }));
    u.inject(request('INVITE', { via, cseq: 2 }));
    u.inject(request('INVITE', { via, fromTag: 'zz' }));
    u.inject(request('INVITE', { via, uri: 'sip:carol@example.com' }));
    assert.equal(u.requests.length, 5);
  });

  it('§17.2.3 RFC 2543 fallback: an ACK matches when its To tag is the one of the response sent; another To tag does not', () => {
    const u = lonelyUas();
    const via = 'SIP/2.0/UDP 10.0.0.1:5060;branch=1234';
    u.onRequest((tx) => tx.respond(createResponse(tx.request, 486, undefined, 'b1')));
    u.inject(request('INVITE', { via }));
    u.inject(request('ACK', { via, toTag: 'nope' }));
    assert.equal(u.requests[0]!.state, 'Completed');
    assert.equal(u.acks.length, 1);
    u.inject(request('ACK', { via, toTag: 'b1' }));
    assert.equal(u.requests[0]!.state, 'Confirmed');
    assert.equal(u.acks.length, 1);
  });

  it('§17.2.3 RFC 2543 fallback: the table still empties', () => {
    const u = lonelyUas();
    const via = 'SIP/2.0/UDP 10.0.0.1:5060;branch=1234';
    u.onRequest((tx) => tx.respond(createResponse(tx.request, 486, undefined, 'b1')));
    u.inject(request('INVITE', { via }));
    u.inject(request('ACK', { via, toTag: 'b1' }));
    u.clock.runAll();
    assert.deepEqual(u.layer.size, { client: 0, server: 0 });
  });
});
