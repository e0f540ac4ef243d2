/**
 * Call flows between a UAC and a UAS, each a transaction layer plus a dialog store,
 * joined by the loopback network and run in virtual time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Dialog,
  DialogStore,
  type Invite2xxRetransmitter,
  send2xxReliably,
} from '../../../src/sip/dialog.js';
import { cseqOf, topVia } from '../../../src/sip/fields.js';
import type { SipRequest, SipResponse } from '../../../src/sip/message.js';
import { createResponse } from '../../../src/sip/response.js';
import type { ClientTransactionUser } from '../../../src/sip/transaction/index.js';
import { BOB, type Rig, recorder, request, rig } from './transaction/helpers.js';

interface Phones {
  r: Rig;
  alice: DialogStore;
  bob: DialogStore;
  /** What bob's TU did, stamped with virtual time. */
  bobLog: string[];
  retransmitters: Invite2xxRetransmitter[];
  call(): { invite: SipRequest; aliceDialog: () => Dialog | undefined };
}

/** Alice calls; Bob rings at once and answers after `answerAfter` ms. */
function phones(answerAfter = 1000): Phones {
  const r = rig();
  const alice = new DialogStore();
  const bob = new DialogStore();
  const bobLog: string[] = [];
  const retransmitters: Invite2xxRetransmitter[] = [];
  const bobContact = '<sip:bob@10.0.0.2:5060>';

  r.answer = (tx) => {
    const req = tx.request;
    const route = bob.route(req);
    bobLog.push(`${r.clock.now()} ${req.method} ${route.kind}`);
    if (route.kind === 'reject') {
      tx.respond(createResponse(req, route.status));
      return;
    }
    if (route.kind === 'in-dialog') {
      tx.respond(createResponse(req, 200));
      return;
    }
    if (req.method !== 'INVITE' || tx.kind !== 'invite') return;
    const ringing = createResponse(req, 180, undefined, 'bobtag');
    ringing.headers.append('Contact', bobContact);
    tx.respond(ringing);
    bob.uasResponse(req, ringing);
    r.clock.setTimer(answerAfter, () => {
      const ok = createResponse(req, 200, undefined, 'bobtag');
      ok.headers.append('Contact', bobContact);
      const dialog = bob.uasResponse(req, ok)!;
      retransmitters.push(
        send2xxReliably(tx, ok, {
          clock: r.clock,
          timers: r.uas.timers,
          // RFC 3261 §13.3.1.4: no ACK: end the session with BYE.
          onTimeout: () => {
            bobLog.push(`${r.clock.now()} no ACK: BYE`);
            r.uas.sendRequest(dialog.createRequest('BYE'), r.a.local, r.b, recorder(r.clock).user);
            dialog.terminate();
          },
        }),
      );
    });
  };
  // Bob's layer hands the 2xx ACKs up here.
  r.onAck = (ack) => {
    const route = bob.route(ack);
    bobLog.push(`${r.clock.now()} ACK ${route.kind}`);
    if (route.kind === 'in-dialog') for (const t of retransmitters) t.acknowledge();
  };

  const ackFor = (res: SipResponse) => {
    const dialog = alice.forResponse(res);
    const cseq = cseqOf(res);
    if (!dialog || !cseq) return;
    // RFC 3261 §13.2.2.4: the UAC core ACKs every 2xx, the same ACK each time.
    r.uac.sendAck(dialog.createAck(cseq.seq), BOB, r.a);
  };
  r.onStray = (res) => {
    if (res.status >= 200 && res.status < 300 && cseqOf(res)?.method === 'INVITE') ackFor(res);
  };

  return {
    r,
    alice,
    bob,
    bobLog,
    retransmitters,
    call() {
      const invite = request('INVITE', { cseq: 1 });
      const user: ClientTransactionUser = {
        onResponse(res) {
          alice.uacResponse(invite, res);
          if (res.status >= 200 && res.status < 300) ackFor(res);
        },
        onTimeout() {},
        onTransportError() {},
      };
      r.uac.sendInvite(invite, BOB, r.a, user);
      return {
        invite,
        aliceDialog: () => alice.get({ callId: 'call-1@10.0.0.1', localTag: 'a1', remoteTag: 'bobtag' }),
      };
    },
  };
}

describe('dialog call flows over the loopback network', () => {
  it('§12/§13: INVITE, 180 (early dialog), 200 (confirmed), ACK with a new branch stops the 2xx, BYE ends both dialogs, and everything empties', () => {
    const p = phones();
    const { invite, aliceDialog } = p.call();
    p.r.clock.advance(500);
    assert.equal(aliceDialog()?.state, 'Early');
    p.r.clock.advance(500);
    const d = aliceDialog()!;
    assert.equal(d.state, 'Confirmed');
    assert.equal(d.remoteTarget, 'sip:bob@10.0.0.2:5060');
    const [ack] = p.r.net.sent('ACK');
    assert.ok(ack);
    assert.notEqual(topVia(ack.message)?.branch, topVia(invite)?.branch);
    assert.equal(ack.message.headers.get('cseq'), '1 ACK');
    p.r.clock.advance(4000);
    // The ACK stopped the 2xx retransmissions: one 200 only.
    assert.deepEqual(p.r.net.times('200 INVITE'), [1000]);

    const bye = d.createRequest('BYE');
    assert.equal(bye.uri, 'sip:bob@10.0.0.2:5060');
    const rec = recorder(p.r.clock);
    p.r.uac.sendRequest(bye, BOB, p.r.a, rec.user);
    d.terminate();
    p.r.clock.advance(0);
    assert.deepEqual(rec.events, ['5000 200']);
    assert.deepEqual(p.bobLog, ['0 INVITE out-of-dialog', '1000 ACK in-dialog', '5000 BYE in-dialog']);
    assert.equal(p.alice.size, 0);
    assert.equal(p.bob.size, 0);
    p.r.clock.runAll();
    assert.deepEqual(p.r.uac.size, { client: 0, server: 0 });
    assert.deepEqual(p.r.uas.size, { client: 0, server: 0 });
    assert.equal(p.r.clock.pendingCount, 0);
  });

  it('§13.2.2.4 / §13.3.1.4: a lost ACK makes the UAS retransmit the 2xx; the UAC gets it as a stray and resends the same ACK', () => {
    const p = phones();
    p.r.net.drop((rec) => rec.message.type === 'request' && rec.message.method === 'ACK', 1);
    p.call();
    p.r.clock.advance(5000);
    assert.deepEqual(p.r.net.times('200 INVITE'), [1000, 1500]);
    const acks = p.r.net.sent('ACK');
    assert.deepEqual(
      acks.map((a) => a.at),
      [1000, 1500],
    );
    assert.equal(topVia(acks[0]!.message)?.branch, topVia(acks[1]!.message)?.branch);
    assert.equal(p.retransmitters[0]!.state, 'Acknowledged');
  });

  it('§13.3.1.4: with no ACK at all the UAS gives up 64·T1 after the 2xx and sends BYE', () => {
    const p = phones();
    p.r.net.drop((rec) => rec.message.type === 'request' && rec.message.method === 'ACK');
    p.call();
    p.r.clock.advance(40_000);
    assert.deepEqual(
      p.r.net.times('200 INVITE'),
      [1000, 1500, 2500, 4500, 8500, 12500, 16500, 20500, 24500, 28500, 32500],
    );
    assert.ok(p.bobLog.includes('33000 no ACK: BYE'));
    assert.equal(p.r.net.times('BYE')[0], 33000);
    assert.equal(p.bob.size, 0);
  });

  it('§12.2.2: a BYE for a dialog that does not exist is answered 481 through the layers', () => {
    const p = phones();
    const rec = recorder(p.r.clock);
    p.r.uac.sendRequest(request('BYE', { toTag: 'ghost', cseq: 2 }), BOB, p.r.a, rec.user);
    p.r.clock.advance(0);
    assert.deepEqual(rec.events, ['0 481']);
    assert.equal(rec.responses[0]!.reason, 'Call/Transaction Does Not Exist');
  });

  it('§12.2.2: an in-dialog request with a lower CSeq than the last one gets 500', () => {
    const p = phones();
    const { aliceDialog } = p.call();
    p.r.clock.advance(1000);
    const d = aliceDialog()!;
    const info = d.createRequest('INFO');
    const rec = recorder(p.r.clock);
    p.r.uac.sendRequest(info, BOB, p.r.a, rec.user);
    p.r.clock.advance(0);
    const stale = d.createRequest('INFO');
    stale.headers.set('CSeq', `${cseqOf(info)!.seq - 1} INFO`);
    p.r.uac.sendRequest(stale, BOB, p.r.a, rec.user);
    p.r.clock.advance(0);
    assert.deepEqual(rec.events, ['1000 200', '1000 500']);
  });
});
