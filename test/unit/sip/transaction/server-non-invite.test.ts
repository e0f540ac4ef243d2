import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createResponse } from '../../../../src/sip/response.js';
import { lonelyUas, request } from './helpers.js';

const BRANCH = 'z9hG4bKnit1';
const options = () => request('OPTIONS', { branch: BRANCH });

describe('server non-INVITE transaction (RFC 3261 §17.2.2)', () => {
  it('§17.2.2: a retransmission in Trying is absorbed: no response yet, the TU sees the request once', () => {
    const u = lonelyUas();
    u.inject(options());
    u.clock.advance(500);
    u.inject(options());
    assert.equal(u.requests.length, 1);
    assert.equal(u.requests[0]!.state, 'Trying');
    assert.equal(u.net.log.length, 0);
  });

  it('§17.2.2: a retransmission in Proceeding gets the last provisional response again', () => {
    const u = lonelyUas();
    u.inject(options());
    const tx = u.requests[0]!;
    tx.respond(createResponse(tx.request, 100));
    assert.equal(tx.state, 'Proceeding');
    u.clock.advance(500);
    u.inject(options());
    assert.deepEqual(u.net.times('100 OPTIONS'), [0, 500]);
  });

  it('§17.2.2: a retransmission in Completed gets the final response again, and the TU still saw one request', () => {
    const u = lonelyUas();
    u.onRequest((tx) => tx.respond(createResponse(tx.request, 200, undefined, 'b1')));
    u.inject(options());
    u.clock.advance(500);
    u.inject(options());
    u.clock.advance(1000);
    u.inject(options());
    assert.deepEqual(u.net.times('200 OPTIONS'), [0, 500, 1500]);
    assert.equal(u.requests.length, 1);
  });

  it('§17.2.2: a second final response from the TU is discarded', () => {
    const u = lonelyUas();
    u.inject(options());
    const tx = u.requests[0]!;
    const req = tx.request;
    assert.equal(tx.respond(createResponse(req, 200, undefined, 'b1')), true);
    assert.equal(tx.respond(createResponse(req, 500, undefined, 'b1')), false);
    assert.deepEqual(u.net.times('200 OPTIONS'), [0]);
    assert.deepEqual(u.net.times('500 OPTIONS'), []);
  });

  it('§17.2.2: the server never retransmits on its own; Timer J = 64·T1 = 32 s over UDP, then the table is empty', () => {
    const u = lonelyUas();
    u.onRequest((tx) => tx.respond(createResponse(tx.request, 200, undefined, 'b1')));
    u.inject(options());
    const tx = u.requests[0]!;
    u.clock.advance(31_999);
    assert.equal(tx.state, 'Completed');
    u.clock.advance(1);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(u.net.times('200 OPTIONS'), [0]);
    assert.deepEqual(u.layer.size, { client: 0, server: 0 });
  });

  it('§17.2.2: Timer J is zero over TCP: Terminated as soon as the final response is sent', () => {
    const u = lonelyUas('TCP');
    u.onRequest((tx) => tx.respond(createResponse(tx.request, 200, undefined, 'b1')));
    u.inject(request('OPTIONS', { branch: BRANCH, protocol: 'TCP' }));
    assert.equal(u.requests[0]!.state, 'Terminated');
    assert.deepEqual(u.layer.size, { client: 0, server: 0 });
    assert.equal(u.clock.pendingCount, 0);
  });

  it('§17.2.2: Timer J scales with T1 (T1 = 200 ms → 12.8 s)', () => {
    const u = lonelyUas('UDP', { t1: 200 });
    u.onRequest((tx) => tx.respond(createResponse(tx.request, 200, undefined, 'b1')));
    u.inject(options());
    u.clock.advance(12_799);
    assert.equal(u.requests[0]!.state, 'Completed');
    u.clock.advance(1);
    assert.equal(u.requests[0]!.state, 'Terminated');
  });

  it('§8.2.2 / §21.4.1: a request without a CSeq is answered 400 statelessly and never reaches the TU', () => {
    const u = lonelyUas();
    const bad = options();
    bad.headers.remove('CSeq');
    u.inject(bad);
    assert.equal(u.requests.length, 0);
    assert.deepEqual(
      u.net.log.map((r) => (r.message.type === 'response' ? r.message.status : 0)),
      [400],
    );
    assert.deepEqual(u.layer.size, { client: 0, server: 0 });
  });

  it('§18.2.1: a request without a Via is dropped silently', () => {
    const u = lonelyUas();
    const bad = options();
    bad.headers.remove('Via');
    u.inject(bad);
    assert.equal(u.requests.length, 0);
    assert.equal(u.net.log.length, 0);
  });
});
