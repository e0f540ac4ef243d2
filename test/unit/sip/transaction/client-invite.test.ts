import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { topVia, vias } from '../../../../src/sip/fields.js';
import { createResponse } from '../../../../src/sip/response.js';
import { createTransactionLayer } from '../../../../src/sip/transaction/index.js';
import { VirtualClock } from '../../../../src/util/clock.js';
import { LoopbackNetwork } from '../../../support/loopback.js';
import { ALICE, at, BOB, recorder, request, rig, VOID } from './helpers.js';

function lonelyUac(protocol: 'UDP' | 'TCP' = 'UDP', t1?: number) {
  const clock = new VirtualClock();
  const net = new LoopbackNetwork(clock);
  const a = net.transport(ALICE.address, ALICE.port, protocol);
  const strays: string[] = [];
  const layer = createTransactionLayer({
    clock,
    timers: t1 === undefined ? undefined : { t1 },
    onRequest: () => {},
    onStray: (res) => strays.push(String(res.status)),
  });
  a.onMessage((inbound, t) => layer.handleInbound(inbound, t));
  return { clock, net, a, layer, strays };
}

describe('client INVITE transaction (RFC 3261 §17.1.1)', () => {
  it('§17.1.1.2: over UDP retransmits at 0, 500, 1500, 3500, 7500, 15500, 31500 ms and times out at 32000 ms (Timer B = 64·T1)', () => {
    const { clock, net, a, layer } = lonelyUac();
    const rec = recorder(clock);
    const tx = layer.sendRequest(request('INVITE'), at(VOID, 'UDP'), a, rec.user);
    clock.runAll();
    assert.deepEqual(net.times('INVITE'), [0, 500, 1500, 3500, 7500, 15500, 31500]);
    assert.deepEqual(rec.events, ['32000 timeout']);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(layer.size, { client: 0, server: 0 });
  });

  it('§17.1.1.2: Timer A doubles from a configured T1 without a cap (T1 = 100 ms → B at 6400 ms)', () => {
    const { clock, net, a, layer } = lonelyUac('UDP', 100);
    const rec = recorder(clock);
    layer.sendRequest(request('INVITE'), VOID, a, rec.user);
    clock.runAll();
    assert.deepEqual(net.times('INVITE'), [0, 100, 300, 700, 1500, 3100, 6300]);
    assert.deepEqual(rec.events, ['6400 timeout']);
  });

  it('§17.1.1.2: over TCP sends exactly once (no Timer A) and still times out with Timer B at 32000 ms', () => {
    const { clock, net, a, layer } = lonelyUac('TCP');
    const rec = recorder(clock);
    layer.sendRequest(request('INVITE'), at(VOID, 'TCP'), a, rec.user);
    clock.runAll();
    assert.deepEqual(net.times('INVITE'), [0]);
    assert.deepEqual(rec.events, ['32000 timeout']);
  });

  it('§17.1.1.2: a provisional response stops retransmissions and Timer B (Proceeding has no timeout)', () => {
    const r = rig();
    r.answer = (tx) =>
      r.clock.setTimer(2000, () => tx.respond(createResponse(tx.request, 180, undefined, 'b1')));
    const rec = recorder(r.clock);
    const tx = r.uac.sendRequest(request('INVITE'), BOB, r.a, rec.user);
    r.clock.advance(100_000);
    // 100 Trying arrives at once and stops Timer A.
    assert.deepEqual(r.net.times('INVITE'), [0]);
    assert.deepEqual(rec.events, ['0 100', '2000 180']);
    assert.equal(tx.state, 'Proceeding');
  });

  it('§17.1.1.2: a 2xx goes to the TU and terminates the transaction at once; the transaction does not ACK it', () => {
    const r = rig();
    r.answer = (tx) => tx.respond(createResponse(tx.request, 200, undefined, 'b1'));
    const rec = recorder(r.clock);
    const tx = r.uac.sendRequest(request('INVITE'), BOB, r.a, rec.user);
    r.clock.advance(0);
    assert.deepEqual(rec.events, ['0 100', '0 200']);
    assert.equal(tx.state, 'Terminated');
    assert.equal(r.net.sent('ACK').length, 0);
    assert.equal(r.uac.size.client, 0);
  });

  it('§17.1.1.2: a retransmitted 2xx matches no transaction and goes to onStray', () => {
    const r = rig();
    r.answer = (tx) => {
      const ok = createResponse(tx.request, 200, undefined, 'b1');
      tx.respond(ok);
      r.clock.setTimer(500, () => tx.respond(ok));
    };
    const rec = recorder(r.clock);
    r.uac.sendRequest(request('INVITE'), BOB, r.a, rec.user);
    r.clock.advance(1000);
    assert.deepEqual(rec.events, ['0 100', '0 200']);
    assert.deepEqual(
      r.strays.map((s) => s.status),
      [200],
    );
  });

  it('§17.1.1.3: a 486 is ACKed inside the transaction with the same branch, the response To tag, CSeq n ACK and the INVITE Route', () => {
    const r = rig();
    r.answer = (tx) => tx.respond(createResponse(tx.request, 486, undefined, 'bobtag'));
    const rec = recorder(r.clock);
    const invite = request('INVITE', {
      cseq: 7,
      uri: 'sip:bob@10.0.0.2',
      routes: ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>'],
    });
    const tx = r.uac.sendRequest(invite, BOB, r.a, rec.user);
    r.clock.advance(0);
    const [ackRecord] = r.net.sent('ACK');
    assert.ok(ackRecord);
    const ack = ackRecord.message;
    assert.equal(ack.type, 'request');
    if (ack.type !== 'request') return;
    assert.equal(ack.uri, 'sip:bob@10.0.0.2');
    assert.deepEqual(vias(ack), [vias(invite)[0]]);
    assert.equal(topVia(ack)?.branch, tx.branch);
    assert.equal(ack.headers.get('to'), '<sip:bob@example.com>;tag=bobtag');
    assert.equal(ack.headers.get('from'), invite.headers.get('from'));
    assert.equal(ack.headers.get('call-id'), invite.headers.get('call-id'));
    assert.equal(ack.headers.get('cseq'), '7 ACK');
    assert.deepEqual(ack.headers.getAll('route'), ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
    assert.equal(ack.headers.get('max-forwards'), '70');
    assert.deepEqual(rec.events, ['0 100', '0 486']);
    assert.equal(tx.state, 'Completed');
  });

  it('§17.1.1.2: a retransmitted final response in Completed is ACKed again but not passed to the TU', () => {
    const r = rig();
    // The first ACK is lost, so the UAS retransmits 486 on Timer G (500 ms).
    r.net.drop((rec) => rec.message.type === 'request' && rec.message.method === 'ACK', 1);
    r.answer = (tx) => tx.respond(createResponse(tx.request, 486, undefined, 'b1'));
    const rec = recorder(r.clock);
    r.uac.sendRequest(request('INVITE'), BOB, r.a, rec.user);
    r.clock.advance(1000);
    assert.deepEqual(r.net.times('486 INVITE'), [0, 500]);
    assert.deepEqual(r.net.times('ACK'), [0, 500]);
    assert.deepEqual(rec.events, ['0 100', '0 486']);
  });

  it('§17.1.1.2: Timer D keeps Completed for 32 s over UDP, then the transaction leaves the table', () => {
    const r = rig();
    r.answer = (tx) => tx.respond(createResponse(tx.request, 603, undefined, 'b1'));
    const tx = r.uac.sendRequest(request('INVITE'), BOB, r.a, recorder(r.clock).user);
    r.clock.advance(31_999);
    assert.equal(tx.state, 'Completed');
    r.clock.advance(1);
    assert.equal(tx.state, 'Terminated');
    assert.equal(r.uac.size.client, 0);
  });

  it('§17.1.1.2: Timer D is zero over TCP: Terminated as soon as the non-2xx is ACKed, one INVITE, one ACK', () => {
    const r = rig('TCP');
    r.answer = (tx) => tx.respond(createResponse(tx.request, 603, undefined, 'b1'));
    const tx = r.uac.sendRequest(request('INVITE'), at(BOB, 'TCP'), r.a, recorder(r.clock).user);
    r.clock.advance(0);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(r.net.times('INVITE'), [0]);
    assert.deepEqual(r.net.times('ACK'), [0]);
    assert.deepEqual(r.uac.size, { client: 0, server: 0 });
  });

  it('§17.1.1.2: a transport error terminates the transaction and is reported to the TU (the TU answers 503)', () => {
    const clock = new VirtualClock();
    const layer = createTransactionLayer({ clock, onRequest: () => {} });
    const broken = {
      protocol: 'UDP' as const,
      reliable: false,
      local: ALICE,
      send() {
        throw new Error('EHOSTUNREACH');
      },
    };
    const rec = recorder(clock);
    const tx = layer.sendRequest(request('INVITE'), BOB, broken, rec.user);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(rec.events, ['0 transport-error EHOSTUNREACH']);
    assert.equal(clock.pendingCount, 0);
    assert.equal(layer.size.client, 0);
  });

  it('§17.1.4: reportTransportError fails the transactions sending to that destination', () => {
    const { clock, a, layer } = lonelyUac();
    const rec = recorder(clock);
    layer.sendRequest(request('INVITE'), VOID, a, rec.user);
    clock.advance(600);
    layer.reportTransportError(VOID, new Error('ICMP port unreachable'));
    assert.deepEqual(rec.events, ['600 transport-error ICMP port unreachable']);
    assert.equal(layer.size.client, 0);
    assert.equal(clock.pendingCount, 0);
  });

  it('§8.1.1.7: the layer adds a top Via with a magic-cookie branch and rport when the request has none', () => {
    const { clock, net, a, layer } = lonelyUac();
    const tx = layer.sendRequest(request('INVITE'), VOID, a, recorder(clock).user);
    const via = topVia(net.log[0]!.message);
    assert.equal(via?.host, '10.0.0.1');
    assert.equal(via?.port, 5060);
    assert.equal(via?.transport, 'UDP');
    assert.match(via?.branch ?? '', /^z9hG4bK[0-9a-f]{24}$/);
    assert.equal(via?.branch, tx.branch);
    assert.ok(via?.params.has('rport'));
  });
});
