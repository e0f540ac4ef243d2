import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createResponse } from '../../../../src/sip/response.js';
import { createTransactionLayer, type ServerTransaction } from '../../../../src/sip/transaction/index.js';
import { VirtualClock } from '../../../../src/util/clock.js';
import { LoopbackNetwork } from '../../../support/loopback.js';
import { ALICE, at, BOB, recorder, request, rig, VOID } from './helpers.js';

function lonelyUac(protocol: 'UDP' | 'TCP' = 'UDP') {
  const clock = new VirtualClock();
  const net = new LoopbackNetwork(clock);
  const a = net.transport(ALICE.address, ALICE.port, protocol);
  const layer = createTransactionLayer({ clock, onRequest: () => {} });
  return { clock, net, a, layer };
}

describe('client non-INVITE transaction (RFC 3261 §17.1.2)', () => {
  it('§17.1.2.2: over UDP Timer E doubles from T1 up to T2 = 4 s: sends at 0, 500, 1500, 3500, 7500, 11500 … 31500 (11 sends) and Timer F fires at 32000', () => {
    const { clock, net, a, layer } = lonelyUac();
    const rec = recorder(clock);
    layer.sendRequest(request('OPTIONS'), VOID, a, rec.user);
    clock.runAll();
    assert.deepEqual(
      net.times('OPTIONS'),
      [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500],
    );
    assert.deepEqual(rec.events, ['32000 timeout']);
    assert.deepEqual(layer.size, { client: 0, server: 0 });
  });

  it('§17.1.2.2: over TCP sends exactly once (no Timer E); Timer F still fires at 32000', () => {
    const { clock, net, a, layer } = lonelyUac('TCP');
    const rec = recorder(clock);
    layer.sendRequest(request('BYE'), at(VOID, 'TCP'), a, rec.user);
    clock.runAll();
    assert.deepEqual(net.times('BYE'), [0]);
    assert.deepEqual(rec.events, ['32000 timeout']);
  });

  it('§17.1.2.2: in Proceeding Timer E is reset to T2: a 100 at 700 ms moves retransmissions to every 4 s', () => {
    const r = rig();
    let serverTx: ServerTransaction | undefined;
    r.answer = (tx) => {
      serverTx = tx;
    };
    // The first request is lost: the UAS first sees the 500 ms retransmission.
    r.net.drop((rec) => rec.message.type === 'request' && rec.message.method === 'REGISTER', 1);
    const rec = recorder(r.clock);
    const tx = r.uac.sendRequest(request('REGISTER'), BOB, r.a, rec.user);
    r.clock.advance(700);
    serverTx!.respond(createResponse(serverTx!.request, 100));
    r.clock.advance(0);
    assert.equal(tx.state, 'Proceeding');
    r.clock.advance(10_000);
    // 0, 500 (Trying, E doubling), 1500 (E fired in Proceeding: next in T2), 5500, 9500.
    assert.deepEqual(r.net.times('REGISTER'), [0, 500, 1500, 5500, 9500]);
    // §17.1.2.2: each provisional in Proceeding goes up (the UAS resends its 100 on every retransmission).
    assert.deepEqual(rec.events, ['700 100', '1500 100', '5500 100', '9500 100']);
  });

  it('§17.1.2.2: a final response goes to the TU once; retransmitted responses are absorbed in Completed', () => {
    const r = rig();
    r.answer = (tx) => tx.respond(createResponse(tx.request, 200, undefined, 'b1'));
    // Drop the first 200 so the UAC retransmits and the UAS resends its 200.
    r.net.drop((rec) => rec.message.type === 'response', 1);
    const rec = recorder(r.clock);
    r.uac.sendRequest(request('OPTIONS'), BOB, r.a, rec.user);
    r.clock.advance(600);
    assert.deepEqual(rec.events, ['500 200']);
    assert.deepEqual(r.net.times('200 OPTIONS'), [0, 500]);
  });

  it('§17.1.2.2: Timer K = T4 = 5 s over UDP keeps Completed to absorb retransmissions, then the table is empty', () => {
    const r = rig();
    r.answer = (tx) => tx.respond(createResponse(tx.request, 200, undefined, 'b1'));
    const tx = r.uac.sendRequest(request('OPTIONS'), BOB, r.a, recorder(r.clock).user);
    r.clock.advance(4999);
    assert.equal(tx.state, 'Completed');
    r.clock.advance(1);
    assert.equal(tx.state, 'Terminated');
    assert.equal(r.uac.size.client, 0);
  });

  it('§17.1.2.2: Timer K is zero over TCP: Terminated on the final response', () => {
    const r = rig('TCP');
    r.answer = (tx) => tx.respond(createResponse(tx.request, 200, undefined, 'b1'));
    const rec = recorder(r.clock);
    const tx = r.uac.sendRequest(request('OPTIONS'), at(BOB, 'TCP'), r.a, rec.user);
    r.clock.advance(0);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(rec.events, ['0 200']);
    assert.deepEqual(r.net.times('OPTIONS'), [0]);
  });

  it('§17.1.3: a response with the right branch but another CSeq method matches nothing and goes to onStray', () => {
    const r = rig();
    r.answer = (tx) => {
      const wrong = createResponse(tx.request, 200, undefined, 'b1');
      wrong.headers.set('CSeq', '1 INFO');
      tx.respond(wrong);
    };
    const rec = recorder(r.clock);
    const tx = r.uac.sendRequest(request('OPTIONS'), BOB, r.a, rec.user);
    r.clock.advance(0);
    assert.deepEqual(rec.events, []);
    assert.equal(tx.state, 'Trying');
    assert.deepEqual(
      r.strays.map((s) => s.headers.get('cseq')),
      ['1 INFO'],
    );
  });

  it('§17.1.3: a response whose top Via branch differs matches nothing', () => {
    const r = rig();
    r.answer = (tx) => {
      const wrong = createResponse(tx.request, 200, undefined, 'b1');
      wrong.headers.set('Via', 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKother');
      tx.respond(wrong);
    };
    const rec = recorder(r.clock);
    r.uac.sendRequest(request('OPTIONS'), BOB, r.a, rec.user);
    r.clock.advance(0);
    assert.deepEqual(rec.events, []);
    assert.equal(r.strays.length, 1);
  });

  it('an ACK is refused: it never has a client transaction (§17.1.1.3)', () => {
    const { a, layer, clock } = lonelyUac();
    assert.throws(() => layer.sendRequest(request('ACK'), VOID, a, recorder(clock).user), TypeError);
  });
});
