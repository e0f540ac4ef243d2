import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toTagOf } from '../../../../src/sip/fields.js';
import { makeRequest } from '../../../../src/sip/message.js';
import { createResponse } from '../../../../src/sip/response.js';
import { BOB, recorder, request, rig } from './helpers.js';

describe('transaction layer flows over the loopback network', () => {
  it('§13.2.2.4 / §17.2.3: INVITE → 200 → ACK for the 2xx (own branch) reaches the UAS TU through onAck', () => {
    const r = rig();
    r.answer = (tx) => tx.respond(createResponse(tx.request, 200, undefined, 'b1'));
    const rec = recorder(r.clock);
    r.uac.sendInvite(request('INVITE', { cseq: 3 }), BOB, r.a, rec.user);
    r.clock.advance(0);
    const ok = rec.responses.at(-1)!;
    assert.equal(ok.status, 200);
    const ack = makeRequest('ACK', 'sip:bob@10.0.0.2', [
      ['Max-Forwards', '70'],
      ['From', ok.headers.get('from')!],
      ['To', ok.headers.get('to')!],
      ['Call-ID', ok.headers.get('call-id')!],
      ['CSeq', '3 ACK'],
    ]);
    assert.equal(r.uac.sendAck(ack, BOB, r.a), undefined);
    r.clock.advance(0);
    assert.equal(r.acks.length, 1);
    assert.equal(toTagOf(r.acks[0]!), 'b1');
  });

  it('RFC 6026 §7.1: when the 200 is lost the UAC retransmits the INVITE; the UAS absorbs it and its TU sees one INVITE', () => {
    const r = rig();
    r.net.drop((rec) => rec.message.type === 'response');
    r.answer = (tx) => tx.respond(createResponse(tx.request, 200, undefined, 'b1'));
    r.uac.sendInvite(request('INVITE'), BOB, r.a, recorder(r.clock).user);
    r.clock.advance(4000);
    assert.deepEqual(r.net.times('INVITE'), [0, 500, 1500, 3500]);
    assert.equal(r.requests.length, 1);
  });

  it('the tables are empty after a batch of mixed flows has run out (no transaction leaks)', () => {
    const r = rig();
    let n = 0;
    r.answer = (tx) => {
      const status = [200, 486, 180, 404][n++ % 4]!;
      tx.respond(createResponse(tx.request, status, undefined, `t${n}`));
      if (status === 180)
        r.clock.setTimer(1000, () => tx.respond(createResponse(tx.request, 200, undefined, `t${n}`)));
    };
    for (let i = 0; i < 8; i++) {
      r.uac.sendRequest(request('INVITE', { callId: `c${i}` }), BOB, r.a, recorder(r.clock).user);
      r.uac.sendRequest(request('OPTIONS', { callId: `o${i}` }), BOB, r.a, recorder(r.clock).user);
    }
    r.clock.advance(100);
    assert.ok(r.uac.size.client > 0);
    assert.ok(r.uas.size.server > 0);
    r.clock.runAll();
    assert.deepEqual(r.uac.size, { client: 0, server: 0 });
    assert.deepEqual(r.uas.size, { client: 0, server: 0 });
    assert.equal(r.clock.pendingCount, 0);
  });

  it('close() ends every transaction without calling any TU, and is idempotent', () => {
    const r = rig();
    const rec = recorder(r.clock);
    r.uac.sendRequest(request('INVITE'), BOB, r.a, rec.user);
    r.uac.sendRequest(request('OPTIONS', { callId: 'x' }), BOB, r.a, rec.user);
    r.clock.advance(0);
    r.uac.close();
    r.uas.close();
    r.uac.close();
    assert.deepEqual(r.uac.size, { client: 0, server: 0 });
    assert.deepEqual(r.uas.size, { client: 0, server: 0 });
    assert.equal(r.clock.pendingCount, 0);
    assert.deepEqual(rec.events, ['0 100']);
  });

  it('a request with a Via but no branch gets a branch added, keeping the rest of the Via', () => {
    const r = rig();
    const req = request('OPTIONS', { via: 'SIP/2.0/UDP 10.0.0.1:5060;rport' });
    const tx = r.uac.sendRequest(req, BOB, r.a, recorder(r.clock).user);
    assert.equal(req.headers.get('via'), `SIP/2.0/UDP 10.0.0.1:5060;rport;branch=${tx.branch}`);
  });

  it('over TCP a full INVITE/486/ACK and OPTIONS/200 exchange sends each message once and leaves no timers', () => {
    const r = rig('TCP');
    r.answer = (tx) =>
      tx.respond(createResponse(tx.request, tx.request.method === 'INVITE' ? 486 : 200, undefined, 'b1'));
    r.uac.sendRequest(request('INVITE'), { ...BOB, protocol: 'TCP' }, r.a, recorder(r.clock).user);
    r.uac.sendRequest(
      request('OPTIONS', { callId: 'o' }),
      { ...BOB, protocol: 'TCP' },
      r.a,
      recorder(r.clock).user,
    );
    r.clock.advance(0);
    assert.deepEqual(r.net.ladder(), [
      '0 10.0.0.1->10.0.0.2 INVITE',
      '0 10.0.0.1->10.0.0.2 OPTIONS',
      '0 10.0.0.2->10.0.0.1 100 INVITE',
      '0 10.0.0.2->10.0.0.1 486 INVITE',
      '0 10.0.0.2->10.0.0.1 200 OPTIONS',
      '0 10.0.0.1->10.0.0.2 ACK',
    ]);
    // Timer H is still armed on the UAS INVITE until the ACK is delivered.
    r.clock.advance(0);
    assert.deepEqual(r.uac.size, { client: 0, server: 0 });
    assert.deepEqual(r.uas.size, { client: 0, server: 0 });
    assert.equal(r.clock.pendingCount, 0);
  });
});
