/**
 * twinline's SIP stack against real SIPp peers on 127.0.0.1: a UAS built from the stack
 * takes SIPp calls over UDP and TCP, answers a SIPp CANCEL, and a UAC built from the stack
 * retransmits to a silent SIPp on the RFC 3261 §17.1.1.2 schedule.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { newCallId, newTag } from '../../src/sip/ids.js';
import { makeRequest } from '../../src/sip/message.js';
import { createTransactionLayer } from '../../src/sip/transaction/index.js';
import { startTransports } from '../../src/sip/transport/index.js';
import { systemClock } from '../../src/util/clock.js';
import { stopAllProcesses } from '../support/processes.js';
import { ladder, received, startSipp } from '../support/sipp.js';
import { startTestUas, type TestUas } from '../support/test-uas.js';

after(stopAllProcesses);
const uases: TestUas[] = [];
after(async () => {
  await Promise.all(uases.map((u) => u.stop()));
});

describe('SIPp UAC against a UAS built on the twinline stack', () => {
  for (const transport of ['u1', 't1'] as const) {
    const name = transport === 'u1' ? 'UDP' : 'TCP';
    it(`completes INVITE/100/180/200/ACK/BYE over ${name}`, async () => {
      const uas = await startTestUas({ ringMs: 50 });
      uases.push(uas);
      const caller = await startSipp({
        scenario: 'uac-invite-bye',
        remote: `127.0.0.1:${uas.sip.port}`,
        transport,
        timeoutMs: 10_000,
        service: 'uas',
        keys: { hold_ms: 50 },
      });
      const result = await caller.result();
      assert.equal(result.outcome, 'ok', result.errors);
      assert.deepEqual(ladder(result.messages), [
        '> INVITE',
        '< 100',
        '< 180',
        '< 200',
        '> ACK',
        '> BYE',
        '< 200',
      ]);
      assert.equal(await uas.finished, 'bye');
      assert.deepEqual(uas.seen, ['INVITE', 'ACK', 'BYE']);
      const ok = received(result.messages).find((m) => m.status === 200 && m.method === 'INVITE')!;
      assert.match(ok.header('to') ?? '', /;tag=/);
      assert.equal(ok.header('content-type'), 'application/sdp');
    });
  }

  it('answers a SIPp CANCEL with 200 and the INVITE with 487', async () => {
    const uas = await startTestUas();
    uases.push(uas);
    const caller = await startSipp({
      scenario: 'uac-invite-cancel',
      remote: `127.0.0.1:${uas.sip.port}`,
      timeoutMs: 10_000,
      service: 'uas',
    });
    const result = await caller.result();
    assert.equal(result.outcome, 'ok', result.errors);
    assert.deepEqual(
      received(result.messages).map((m) => `${m.status} ${m.method}`),
      ['100 INVITE', '180 INVITE', '200 CANCEL', '487 INVITE'],
    );
    assert.equal(await uas.finished, 'cancel');
    // RFC 3261 §17.2.1: the ACK for the 487 is absorbed by the transaction.
    assert.deepEqual(uas.seen, ['INVITE']);
  });
});

describe('UDP retransmissions from the twinline stack to a silent SIPp peer', () => {
  it('follow Timer A (T1 doubling) until Timer B = 64·T1 (RFC 3261 §17.1.1.2)', async () => {
    const T1 = 100;
    const silent = await startSipp({ scenario: 'uas-silent', timeoutMs: 15_000, keys: { silent_ms: 9000 } });
    const sip = await startTransports({
      address: '127.0.0.1',
      port: 0,
      events: { onMessage: (inbound, t) => layer.handleInbound(inbound, t) },
    });
    const layer = createTransactionLayer({ clock: systemClock, timers: { t1: T1 }, onRequest: () => {} });
    try {
      const startedAt = Date.now();
      const timedOut = new Promise<number>((resolve, reject) => {
        const invite = makeRequest('INVITE', `sip:silent@${silent.address}`, [
          ['Max-Forwards', '70'],
          ['From', `<sip:stack@127.0.0.1:${sip.port}>;tag=${newTag()}`],
          ['To', `<sip:silent@${silent.address}>`],
          ['Call-ID', newCallId('127.0.0.1')],
          ['CSeq', '1 INVITE'],
          ['Contact', `<sip:stack@127.0.0.1:${sip.port}>`],
        ]);
        layer.sendInvite(invite, { protocol: 'UDP', address: '127.0.0.1', port: silent.port }, sip.udp, {
          onResponse: () => reject(new Error('a silent peer answered')),
          onTimeout: () => resolve(Date.now() - startedAt),
          onTransportError: (err) => reject(err),
        });
      });
      const elapsed = await timedOut;
      // Timer B fires at 64·T1 = 6.4 s.
      assert.ok(elapsed >= 64 * T1 - 5 && elapsed < 64 * T1 + 400, `Timer B after ${elapsed} ms`);
      const invites = silent.messages().filter((m) => m.direction === 'received' && m.method === 'INVITE');
      // Sent at 0, T1, 3T1, 7T1, 15T1, 31T1, 63T1: seven transmissions.
      assert.equal(invites.length, 7);
      const offsets = invites.map((m) => m.timeMs - invites[0]!.timeMs);
      const expected = [0, 1, 3, 7, 15, 31, 63].map((k) => k * T1);
      offsets.forEach((o, i) => {
        assert.ok(
          Math.abs(o - expected[i]!) <= 60,
          `transmission ${i} at ${o.toFixed(0)} ms, expected ${expected[i]} ms`,
        );
      });
      assert.equal(
        new Set(invites.map((m) => m.header('via'))).size,
        1,
        'retransmissions are byte-identical in Via',
      );
    } finally {
      layer.close();
      await sip.close();
      await silent.stop();
    }
  });
});
