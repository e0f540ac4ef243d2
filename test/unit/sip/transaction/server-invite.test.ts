import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toTagOf } from '../../../../src/sip/fields.js';
import { createResponse } from '../../../../src/sip/response.js';
import { lonelyUas, request } from './helpers.js';

const BRANCH = 'z9hG4bKinv1';
const ack = (toTag: string, branch = BRANCH) => request('ACK', { branch, toTag });

describe('server INVITE transaction (RFC 3261 §17.2.1)', () => {
  it('§17.2.1: sends 100 Trying at once, before the TU answers, copying Timestamp and without a To tag', () => {
    const u = lonelyUas();
    u.inject(request('INVITE', { branch: BRANCH, extra: [['Timestamp', '54.2']] }));
    const sent = u.net.sent('100 INVITE');
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.at, 0);
    assert.equal(sent[0]!.message.headers.get('timestamp'), '54.2');
    assert.equal(toTagOf(sent[0]!.message), undefined);
    assert.equal(u.requests.length, 1);
    assert.equal(u.requests[0]!.state, 'Proceeding');
  });

  it('§17.2.1: an INVITE retransmission is absorbed (the TU sees it once) and the last provisional is resent', () => {
    const u = lonelyUas();
    u.inject(request('INVITE', { branch: BRANCH }));
    u.clock.advance(200);
    u.requests[0]!.respond(createResponse(u.requests[0]!.request, 180, undefined, 'b1'));
    u.clock.advance(300);
    u.inject(request('INVITE', { branch: BRANCH }));
    assert.equal(u.requests.length, 1);
    assert.deepEqual(u.net.times('180 INVITE'), [200, 500]);
    assert.deepEqual(u.net.times('100 INVITE'), [0]);
  });

  it('§17.2.1: a 486 over UDP is retransmitted on Timer G (T1 doubling, capped at T2) until Timer H at 32000 ms tells the TU', () => {
    const u = lonelyUas();
    u.onRequest((tx) => tx.respond(createResponse(tx.request, 486, undefined, 'b1')));
    u.inject(request('INVITE', { branch: BRANCH }));
    u.clock.runAll();
    assert.deepEqual(
      u.net.times('486 INVITE'),
      [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500],
    );
    assert.deepEqual(u.events, ['32000 timeout']);
    assert.deepEqual(u.layer.size, { client: 0, server: 0 });
  });

  it('§17.2.1: over TCP the final response is sent once (no Timer G); Timer H still fires at 32000 ms', () => {
    const u = lonelyUas('TCP');
    u.onRequest((tx) => tx.respond(createResponse(tx.request, 486, undefined, 'b1')));
    u.inject(request('INVITE', { branch: BRANCH, protocol: 'TCP' }));
    u.clock.runAll();
    assert.deepEqual(u.net.times('486 INVITE'), [0]);
    assert.deepEqual(u.events, ['32000 timeout']);
  });

  it('§17.2.1: an INVITE retransmission in Completed gets the final response again', () => {
    const u = lonelyUas();
    u.onRequest((tx) => tx.respond(createResponse(tx.request, 486, undefined, 'b1')));
    u.inject(request('INVITE', { branch: BRANCH }));
    u.clock.advance(200);
    u.inject(request('INVITE', { branch: BRANCH }));
    assert.deepEqual(u.net.times('486 INVITE'), [0, 200]);
    assert.equal(u.requests.length, 1);
  });

  it('§17.2.1: the ACK (same branch) moves Completed to Confirmed, stops retransmissions and is not passed to the TU; Timer I = T4 = 5 s ends it', () => {
    const u = lonelyUas();
    u.onRequest((tx) => tx.respond(createResponse(tx.request, 486, undefined, 'b1')));
    u.inject(request('INVITE', { branch: BRANCH }));
    u.clock.advance(1000);
    u.inject(ack('b1'));
    const tx = u.requests[0]!;
    assert.equal(tx.state, 'Confirmed');
    u.inject(ack('b1'));
    assert.equal(tx.state, 'Confirmed');
    assert.deepEqual(u.acks, []);
    u.clock.advance(4999);
    assert.equal(tx.state, 'Confirmed');
    u.clock.advance(1);
    assert.equal(tx.state, 'Terminated');
    u.clock.runAll();
    assert.deepEqual(u.net.times('486 INVITE'), [0, 500]);
    assert.deepEqual(u.events, []);
    assert.deepEqual(u.layer.size, { client: 0, server: 0 });
  });

  it('§17.2.1: Timer I is zero over TCP: the ACK terminates the transaction at once', () => {
    const u = lonelyUas('TCP');
    u.onRequest((tx) => tx.respond(createResponse(tx.request, 404, undefined, 'b1')));
    u.inject(request('INVITE', { branch: BRANCH, protocol: 'TCP' }));
    u.inject(request('ACK', { branch: BRANCH, toTag: 'b1', protocol: 'TCP' }));
    assert.equal(u.requests[0]!.state, 'Terminated');
    assert.deepEqual(u.layer.size, { client: 0, server: 0 });
    assert.equal(u.clock.pendingCount, 0);
  });

  it('RFC 6026 §7.1: after a 2xx the transaction waits in Accepted for 64·T1, absorbing INVITE retransmissions, then leaves the table', () => {
    const u = lonelyUas();
    u.onRequest((tx) => tx.respond(createResponse(tx.request, 200, undefined, 'b1')));
    u.inject(request('INVITE', { branch: BRANCH }));
    const tx = u.requests[0]!;
    assert.equal(tx.state, 'Accepted');
    u.clock.advance(500);
    u.inject(request('INVITE', { branch: BRANCH }));
    assert.equal(u.requests.length, 1);
    // §13.3.1.4: the transaction itself never retransmits the 2xx.
    assert.deepEqual(u.net.times('200 INVITE'), [0]);
    u.clock.advance(31_499);
    assert.equal(tx.state, 'Accepted');
    u.clock.advance(1);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(u.layer.size, { client: 0, server: 0 });
  });

  it('§17.2.3 / RFC 6026 §8.7: the ACK for a 2xx (new branch) goes to the TU through onAck, during Accepted and after', () => {
    const u = lonelyUas();
    u.onRequest((tx) => tx.respond(createResponse(tx.request, 200, undefined, 'b1')));
    u.inject(request('INVITE', { branch: BRANCH }));
    u.inject(ack('b1', 'z9hG4bKack1'));
    u.clock.advance(40_000);
    u.inject(ack('b1', 'z9hG4bKack2'));
    assert.equal(u.acks.length, 2);
    assert.deepEqual(u.layer.size, { client: 0, server: 0 });
  });

  it('§17.2.1: the TU 2xx retransmissions pass through while Accepted; a later final response is refused', () => {
    const u = lonelyUas();
    u.inject(request('INVITE', { branch: BRANCH }));
    const tx = u.requests[0]!;
    const invite = tx.request;
    const ok = createResponse(invite, 200, undefined, 'b1');
    assert.equal(tx.respond(ok), true);
    assert.equal(tx.respond(ok), true);
    assert.equal(tx.respond(createResponse(invite, 486, undefined, 'b1')), false);
    assert.deepEqual(u.net.times('200 INVITE'), [0, 0]);
    assert.deepEqual(u.net.times('486 INVITE'), []);
  });

  it('§17.2.4: a transport error while sending the final response terminates the transaction and tells the TU', () => {
    const u = lonelyUas();
    let calls = 0;
    const send = u.b.send.bind(u.b);
    u.b.send = (m, to) => {
      if (++calls > 1) throw new Error('EPIPE');
      send(m, to);
    };
    u.onRequest((tx) => tx.respond(createResponse(tx.request, 486, undefined, 'b1')));
    u.inject(request('INVITE', { branch: BRANCH }));
    assert.deepEqual(u.events, ['0 transport-error EPIPE']);
    assert.deepEqual(u.layer.size, { client: 0, server: 0 });
    assert.equal(u.clock.pendingCount, 0);
  });

  it('§18.2.2: responses go to the received/rport destination stamped on the top Via', () => {
    const u = lonelyUas();
    const natted = { protocol: 'UDP' as const, address: '203.0.113.7', port: 40000 };
    u.inject(request('INVITE', { via: `SIP/2.0/UDP 192.168.1.10:5060;branch=${BRANCH};rport` }), natted);
    assert.deepEqual(u.net.sent('100 INVITE')[0]!.to, natted);
    assert.match(
      u.net.sent('100 INVITE')[0]!.message.headers.get('via') ?? '',
      /received=203\.0\.113\.7;?.*rport=40000|rport=40000.*received=203\.0\.113\.7/,
    );
  });
});
