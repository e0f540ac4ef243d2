import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toTagOf, vias } from '../../../../src/sip/fields.js';
import type { SipRequest } from '../../../../src/sip/message.js';
import { createResponse } from '../../../../src/sip/response.js';
import { BOB, lonelyUas, recorder, request, rig } from './helpers.js';

const BRANCH = 'z9hG4bKinv1';

describe('CANCEL, server side (RFC 3261 §9.2)', () => {
  it('§9.2: a CANCEL for a ringing INVITE gets 200, the INVITE gets 487 with the same To tag, and the TU hears onCancel', () => {
    const u = lonelyUas();
    u.inject(request('INVITE', { branch: BRANCH }));
    const tx = u.requests[0]!;
    tx.respond(createResponse(tx.request, 180, undefined, 'b1'));
    u.clock.advance(3000);
    u.inject(request('CANCEL', { branch: BRANCH }));
    assert.deepEqual(
      u.net.log.map((r) => `${r.at} ${r.message.type === 'response' ? r.message.status : ''}`),
      ['0 100', '0 180', '3000 200', '3000 487'],
    );
    assert.equal(toTagOf(u.net.sent('200 CANCEL')[0]!.message), 'b1');
    assert.equal(toTagOf(u.net.sent('487 INVITE')[0]!.message), 'b1');
    assert.deepEqual(u.events, ['3000 cancel']);
    assert.equal(tx.state, 'Completed');
    // The CANCEL is never handed to onRequest.
    assert.equal(u.requests.length, 1);
  });

  it('§9.2: before any tagged provisional, the 200 to CANCEL and the 487 share one fresh To tag', () => {
    const u = lonelyUas();
    u.inject(request('INVITE', { branch: BRANCH }));
    u.inject(request('CANCEL', { branch: BRANCH }));
    const tag200 = toTagOf(u.net.sent('200 CANCEL')[0]!.message);
    assert.ok(tag200);
    assert.equal(toTagOf(u.net.sent('487 INVITE')[0]!.message), tag200);
  });

  it('§9.2: a CANCEL after the final response gets 200 and changes nothing', () => {
    const u = lonelyUas();
    u.onRequest((tx) => tx.respond(createResponse(tx.request, 200, undefined, 'b1')));
    u.inject(request('INVITE', { branch: BRANCH }));
    u.inject(request('CANCEL', { branch: BRANCH }));
    assert.equal(u.net.sent('200 CANCEL').length, 1);
    assert.equal(u.net.sent('487 INVITE').length, 0);
    assert.deepEqual(u.events, []);
  });

  it('§9.2: a CANCEL matching no transaction gets 481', () => {
    const u = lonelyUas();
    u.inject(request('CANCEL', { branch: 'z9hG4bKnothing' }));
    assert.equal(u.net.sent('481 CANCEL').length, 1);
    assert.equal(u.requests.length, 0);
  });

  it('§17.2.2: a retransmitted CANCEL gets the 200 again without a second onCancel', () => {
    const u = lonelyUas();
    u.inject(request('INVITE', { branch: BRANCH }));
    u.inject(request('CANCEL', { branch: BRANCH }));
    u.clock.advance(500);
    u.inject(request('CANCEL', { branch: BRANCH }));
    assert.deepEqual(u.net.times('200 CANCEL'), [0, 500]);
    // The 487 at 500 ms is Timer G's retransmission, not a second cancellation.
    assert.deepEqual(u.net.times('487 INVITE'), [0, 500]);
    assert.deepEqual(u.events, ['0 cancel']);
  });

  it('§9.2 with the RFC 2543 fallback: a CANCEL without magic cookie finds the INVITE by Request-URI, tags, Call-ID, CSeq number and top Via', () => {
    const u = lonelyUas();
    const via = 'SIP/2.0/UDP 10.0.0.1:5060;branch=legacy1';
    u.inject(request('INVITE', { via }));
    u.inject(request('CANCEL', { via }));
    assert.equal(u.net.sent('200 CANCEL').length, 1);
    assert.equal(u.net.sent('487 INVITE').length, 1);
    assert.deepEqual(u.events, ['0 cancel']);
  });

  it('§9.2: the whole cancelled INVITE, with the ACK for 487, leaves an empty table', () => {
    const u = lonelyUas();
    u.inject(request('INVITE', { branch: BRANCH }));
    u.inject(request('CANCEL', { branch: BRANCH }));
    const tag = toTagOf(u.net.sent('487 INVITE')[0]!.message)!;
    u.inject(request('ACK', { branch: BRANCH, toTag: tag }));
    assert.equal(u.requests[0]!.state, 'Confirmed');
    u.clock.runAll();
    assert.deepEqual(u.layer.size, { client: 0, server: 0 });
  });
});

describe('CANCEL, client side (RFC 3261 §9.1)', () => {
  function ringingRig(ringAfter: number) {
    const r = rig();
    r.answer = (tx) => {
      tx.user = { onCancel: () => {} };
      r.clock.setTimer(ringAfter, () => tx.respond(createResponse(tx.request, 180, undefined, 'b1')));
    };
    return r;
  }

  it('§9.1: the CANCEL copies Request-URI, Call-ID, To, From, the CSeq number and the single top Via of the INVITE, plus its Route and a Reason', () => {
    const r = ringingRig(0);
    const invite = request('INVITE', {
      cseq: 42,
      uri: 'sip:bob@10.0.0.2;transport=udp',
      routes: ['<sip:edge.example.com;lr>'],
    });
    const tx = r.uac.sendInvite(invite, BOB, r.a, recorder(r.clock).user);
    r.clock.advance(0);
    tx.cancel({ reason: 'SIP;cause=200;text="Call completed elsewhere"' });
    const cancel = r.net.sent('CANCEL')[0]!.message as SipRequest;
    assert.equal(cancel.uri, 'sip:bob@10.0.0.2;transport=udp');
    assert.deepEqual(vias(cancel), [vias(invite)[0]]);
    assert.equal(cancel.headers.get('call-id'), invite.headers.get('call-id'));
    assert.equal(cancel.headers.get('from'), invite.headers.get('from'));
    assert.equal(cancel.headers.get('to'), invite.headers.get('to'));
    assert.equal(cancel.headers.get('cseq'), '42 CANCEL');
    assert.deepEqual(cancel.headers.getAll('route'), ['<sip:edge.example.com;lr>']);
    assert.equal(cancel.headers.get('reason'), 'SIP;cause=200;text="Call completed elsewhere"');
  });

  it('§9.1: cancel() before any provisional response waits for one, then sends the CANCEL at once', () => {
    const r = rig();
    // The UAS is slow: the INVITE's 100 is lost and nothing else comes until 180 at 2 s.
    r.net.drop((rec) => rec.message.type === 'response' && rec.message.status === 100);
    r.answer = (tx) =>
      r.clock.setTimer(2000, () => tx.respond(createResponse(tx.request, 180, undefined, 'b1')));
    const tx = r.uac.sendInvite(request('INVITE'), BOB, r.a, recorder(r.clock).user);
    tx.cancel();
    r.clock.advance(1999);
    assert.equal(r.net.sent('CANCEL').length, 0);
    r.clock.advance(1);
    assert.deepEqual(r.net.times('CANCEL'), [2000]);
  });

  it('§9.1: if a final response arrives before any provisional, no CANCEL is sent', () => {
    const r = rig();
    r.net.drop((rec) => rec.message.type === 'response' && rec.message.status === 100);
    r.answer = (tx) =>
      r.clock.setTimer(1000, () => tx.respond(createResponse(tx.request, 486, undefined, 'b1')));
    const rec = recorder(r.clock);
    const tx = r.uac.sendInvite(request('INVITE'), BOB, r.a, rec.user);
    tx.cancel();
    r.clock.runAll();
    assert.equal(r.net.sent('CANCEL').length, 0);
    assert.deepEqual(rec.events, ['1000 486']);
    assert.deepEqual(r.uac.size, { client: 0, server: 0 });
  });

  it('§9.1: a CANCEL after the final response is not sent', () => {
    const r = rig();
    r.answer = (tx) => tx.respond(createResponse(tx.request, 486, undefined, 'b1'));
    const tx = r.uac.sendInvite(request('INVITE'), BOB, r.a, recorder(r.clock).user);
    r.clock.advance(0);
    tx.cancel();
    assert.equal(r.net.sent('CANCEL').length, 0);
    assert.equal(tx.cancelTransaction, undefined);
  });

  it('§9.1 end to end: ring, CANCEL → 200 to CANCEL, 487 to the UAC TU, ACK for 487, UAS TU told, both tables empty', () => {
    const r = rig();
    const cancelled: number[] = [];
    r.answer = (tx) => {
      tx.user = { onCancel: () => cancelled.push(r.clock.now()) };
      tx.respond(createResponse(tx.request, 180, undefined, 'b1'));
    };
    const rec = recorder(r.clock);
    const cancelRec = recorder(r.clock);
    const tx = r.uac.sendInvite(request('INVITE'), BOB, r.a, rec.user);
    r.clock.advance(5000);
    tx.cancel({ user: cancelRec.user });
    r.clock.advance(0);
    assert.deepEqual(rec.events, ['0 100', '0 180', '5000 487']);
    assert.deepEqual(cancelRec.events, ['5000 200']);
    assert.deepEqual(cancelled, [5000]);
    assert.equal(r.net.sent('ACK').length, 1);
    assert.equal(r.requests[0]!.state, 'Confirmed');
    r.clock.runAll();
    assert.deepEqual(r.uac.size, { client: 0, server: 0 });
    assert.deepEqual(r.uas.size, { client: 0, server: 0 });
    assert.equal(r.clock.pendingCount, 0);
  });

  it('§9.1: with no final response 64·T1 after the CANCEL, the INVITE transaction gives up and tells the TU', () => {
    const r = rig();
    r.answer = (tx) => tx.respond(createResponse(tx.request, 180, undefined, 'b1'));
    // The UAS never answers the CANCEL (lost), so no 487 comes.
    r.net.drop((rec) => rec.message.type === 'request' && rec.message.method === 'CANCEL');
    const rec = recorder(r.clock);
    const tx = r.uac.sendInvite(request('INVITE'), BOB, r.a, rec.user);
    r.clock.advance(1000);
    tx.cancel();
    r.clock.advance(32_000);
    assert.deepEqual(rec.events, ['0 100', '0 180', '33000 timeout']);
    assert.equal(tx.state, 'Terminated');
    // The CANCEL itself was retransmitted on Timer E like any non-INVITE request.
    assert.deepEqual(r.net.times('CANCEL').slice(0, 4), [1000, 1500, 2500, 4500]);
  });
});
