/**
 * Proves the interop harness against real processes on 127.0.0.1: SIPp talking to SIPp through
 * each fixture pair, baresip driven over ctrl_tcp, and the process plumbing (stop by PID,
 * SIGKILL escalation, bounded waits).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startBaresip } from '../support/baresip.js';
import { freePortPair, freeRtpPortPair, freeTcpPort, freeUdpPort, isListening } from '../support/ports.js';
import { spawnProcess, stopAllProcesses, trackedProcesses } from '../support/processes.js';
import { ladder, parseSippMessageLog, received, type SippTransport, startSipp } from '../support/sipp.js';
import { WaitTimeoutError, waitFor, waitForEvent } from '../support/wait.js';

after(stopAllProcesses);

const T = 10_000;

describe('SIPp against SIPp', () => {
  for (const transport of ['u1', 't1'] as const satisfies readonly SippTransport[]) {
    it(`uac-invite-bye completes against uas-answer over ${transport === 'u1' ? 'UDP' : 'TCP'}`, async () => {
      const bob = await startSipp({ scenario: 'uas-answer', transport, timeoutMs: T, keys: { ring_ms: 50 } });
      const alice = await startSipp({
        scenario: 'uac-invite-bye',
        remote: bob.address,
        transport,
        timeoutMs: T,
        service: 'bob',
        keys: { from_user: 'alice', hold_ms: 50 },
      });
      const [a, b] = await Promise.all([alice.result(), bob.result()]);
      assert.equal(a.outcome, 'ok', a.errors);
      assert.equal(b.outcome, 'ok', b.errors);
      assert.equal(a.stats.successfulCalls, 1);
      assert.equal(b.stats.successfulCalls, 1);

      assert.deepEqual(ladder(b.messages), [
        '< INVITE',
        '> 100',
        '> 180',
        '> 200',
        '< ACK',
        '< BYE',
        '> 200',
      ]);
      const invite = received(b.messages)[0]!;
      assert.equal(invite.requestUri, `sip:bob@${bob.address}`);
      assert.match(invite.header('From') ?? '', /^<sip:alice@/);
      assert.equal(invite.header('cseq'), '1 INVITE');
      assert.equal(invite.transport, transport === 'u1' ? 'UDP' : 'TCP');
      assert.match(invite.body, /^v=0\r?\nm?/);
      assert.deepEqual(
        received(a.messages).map((m) => `${m.status} ${m.method}`),
        ['100 INVITE', '180 INVITE', '200 INVITE', '200 BYE'],
      );
      const ringing = received(a.messages)[1]!;
      const ok = received(a.messages)[2]!;
      assert.ok(ok.timeMs - ringing.timeMs >= 45, 'the 200 follows the 180 by ring_ms');
    });
  }

  it('uac-invite-cancel against uas-never-answer ends with 487, ACKed', async () => {
    const bob = await startSipp({ scenario: 'uas-never-answer', timeoutMs: T });
    const alice = await startSipp({ scenario: 'uac-invite-cancel', remote: bob.address, timeoutMs: T });
    const [a, b] = await Promise.all([alice.result(), bob.result()]);
    assert.equal(a.outcome, 'ok', a.errors);
    assert.equal(b.outcome, 'ok', b.errors);
    assert.deepEqual(
      received(a.messages).map((m) => `${m.status} ${m.method}`),
      ['100 INVITE', '180 INVITE', '200 CANCEL', '487 INVITE'],
    );
    assert.deepEqual(
      received(b.messages).map((m) => `${m.method} ${m.header('CSeq')}`),
      ['INVITE 1 INVITE', 'CANCEL 1 CANCEL', 'ACK 1 ACK'],
    );
    const [invite, cancel, ack] = received(b.messages);
    assert.equal(cancel?.header('via'), invite?.header('via'), 'CANCEL carries the INVITE branch');
    assert.equal(ack?.header('via'), invite?.header('via'), 'ACK of a 487 is in the INVITE transaction');
  });

  it('uac-invite-rejected sees 486 from uas-busy and 403 with cause 21 from uas-reject-403-cause21', async () => {
    for (const [scenario, status] of [
      ['uas-busy', 486],
      ['uas-reject-403-cause21', 403],
    ] as const) {
      const bob = await startSipp({ scenario, timeoutMs: T });
      const alice = await startSipp({ scenario: 'uac-invite-rejected', remote: bob.address, timeoutMs: T });
      const [a, b] = await Promise.all([alice.result(), bob.result()]);
      assert.equal(a.outcome, 'ok', a.errors);
      assert.equal(b.outcome, 'ok', b.errors);
      const final = received(a.messages).at(-1)!;
      assert.equal(final.status, status);
      if (status === 403) assert.equal(final.header('Reason'), 'Q.850;cause=21;text="Call Rejected"');
      assert.deepEqual(ladder(received(b.messages)), ['< INVITE', '< ACK']);
    }
  });

  it('uac-options gets 200 from uas-options-responder; uac-register-digest passes uas-registrar-digest', async () => {
    const responder = await startSipp({ scenario: 'uas-options-responder', timeoutMs: T });
    const prober = await startSipp({ scenario: 'uac-options', remote: responder.address, timeoutMs: T });
    const [p, r] = await Promise.all([prober.result(), responder.result()]);
    assert.equal(p.outcome, 'ok', p.errors);
    assert.equal(r.outcome, 'ok', r.errors);

    const auth = { user: 'alice', pass: 's3cret' };
    const registrar = await startSipp({ scenario: 'uas-registrar-digest', auth, timeoutMs: T });
    const phone = await startSipp({
      scenario: 'uac-register-digest',
      remote: registrar.address,
      auth,
      timeoutMs: T,
    });
    const [ph, reg] = await Promise.all([phone.result(), registrar.result()]);
    assert.equal(ph.outcome, 'ok', ph.errors);
    assert.deepEqual(
      received(ph.messages).map((m) => m.status),
      [401, 200],
    );
    const authorization = received(reg.messages)[1]?.header('Authorization') ?? '';
    assert.match(authorization, /username="alice"/);
    assert.match(authorization, /uri="sip:127\.0\.0\.1"/);
  });

  it('uas-silent records every INVITE retransmission with its arrival time', async () => {
    const bob = await startSipp({ scenario: 'uas-silent', timeoutMs: T, keys: { silent_ms: 1800 } });
    const alice = await startSipp({ scenario: 'uac-invite-bye', remote: bob.address, timeoutMs: T });
    const b = await bob.result();
    await alice.stop();
    assert.equal(b.outcome, 'ok', b.errors);
    const invites = received(b.messages).filter((m) => m.method === 'INVITE');
    assert.equal(invites.length, 3, ladder(b.messages).join(' '));
    const first = invites[0]!.timeMs;
    const offsets = invites.map((m) => m.timeMs - first);
    // RFC 3261 §17.1.1.2: Timer A starts at T1 (500 ms) and doubles: 0, 500, 1500 ms.
    for (const [i, expected] of [0, 500, 1500].entries()) {
      assert.ok(Math.abs((offsets[i] ?? Number.NaN) - expected) < 150, `INVITE ${i} at ${offsets[i]} ms`);
    }
    assert.equal(sentCount(b.messages), 0, 'the silent UAS sends nothing');
  });
});

function sentCount(messages: ReturnType<typeof parseSippMessageLog>): number {
  return messages.filter((m) => m.direction === 'sent').length;
}

describe('baresip', () => {
  it('answers control commands and calls a SIPp UAS through to CALL_ESTABLISHED and back', async () => {
    const bob = await startSipp({ scenario: 'uas-answer', timeoutMs: T, keys: { ring_ms: 100 } });
    const alice = await startBaresip({ user: 'alice', answerMode: 'manual' });
    try {
      const calls = await alice.command('listcalls');
      assert.equal(calls.ok, true);
      const reg = await alice.command('reginfo');
      assert.equal(reg.ok, true);
      assert.match(reg.data, /alice/);

      await alice.dial(`sip:test@${bob.address}`);
      const ringing = await alice.waitForEvent('CALL_RINGING', { timeoutMs: 5000 });
      assert.match(ringing.peeruri ?? '', /sip:test@127\.0\.0\.1/);
      await alice.waitForEvent('CALL_ESTABLISHED', { timeoutMs: 5000 });
      await alice.hangup();
      await alice.waitForEvent('CALL_CLOSED', { timeoutMs: 5000 });

      const b = await bob.result();
      assert.equal(b.outcome, 'ok', b.errors);
      assert.deepEqual(ladder(received(b.messages)), ['< INVITE', '< ACK', '< BYE']);
      assert.match(received(b.messages)[0]!.header('User-Agent') ?? '', /baresip/);
    } finally {
      await alice.stop();
    }
    assert.equal(alice.process.running, false);
  });
});

describe('baresip, called and registering', () => {
  it('rings on an incoming INVITE, answers on accept, and closes on the caller BYE', async () => {
    const bob = await startBaresip({ user: 'bob', answerMode: 'manual' });
    try {
      const alice = await startSipp({
        scenario: 'uac-invite-bye',
        remote: `127.0.0.1:${bob.sipPort}`,
        service: 'bob',
        timeoutMs: T,
        keys: { from_user: 'alice', hold_ms: 100 },
      });
      const incoming = await bob.waitForEvent('CALL_INCOMING', { timeoutMs: 5000 });
      assert.match(incoming.peeruri ?? '', /sip:alice@127\.0\.0\.1/);
      await bob.accept();
      await bob.waitForEvent('CALL_ESTABLISHED', { timeoutMs: 5000 });
      await bob.waitForEvent('CALL_CLOSED', { timeoutMs: 5000 });
      const a = await alice.result();
      assert.equal(a.outcome, 'ok', a.errors);
      // baresip sends no 100 Trying of its own.
      assert.deepEqual(
        received(a.messages).map((m) => m.status),
        [180, 200, 200],
      );
    } finally {
      await bob.stop();
    }
  });

  it('registers with digest against a SIPp registrar (REGISTER_OK) and stops quickly after', async () => {
    const registrar = await startSipp({
      scenario: 'uas-registrar-digest',
      auth: { user: 'carol', pass: 'pw' },
      timeoutMs: T,
    });
    const carol = await startBaresip({ user: 'carol', password: 'pw', registrar: registrar.address });
    try {
      await carol.waitForEvent('REGISTER_OK', { timeoutMs: 5000 });
      const r = await registrar.result();
      assert.equal(r.outcome, 'ok', r.errors);
      assert.deepEqual(ladder(r.messages), ['< REGISTER', '> 401', '< REGISTER', '> 200']);
    } finally {
      const started = Date.now();
      await carol.stop();
      assert.ok(Date.now() - started < 2000, 'stop does not wait for the un-REGISTER to time out');
    }
  });
});

describe('harness plumbing', () => {
  it('reports a SIPp that saw no call as a timeout, with its statistics', async () => {
    const idle = await startSipp({ scenario: 'uas-answer', timeoutMs: 1000, traceStat: true });
    const r = await idle.result();
    assert.equal(r.outcome, 'timeout');
    assert.equal(r.exitCode, 97);
    assert.equal(r.stats.totalCallsCreated, 0);
    assert.equal(r.messages.length, 0);
    assert.ok(r.stats.periodic.length >= 1, 'the -trace_stat CSV was read');
    assert.ok('SuccessfulCall(C)' in (r.stats.periodic.at(-1) ?? {}));
  });

  it('hands out distinct free ports; a pair keeps port + 1 free', async () => {
    const ports = [await freeUdpPort(), await freeTcpPort(), await freePortPair(), await freeUdpPort()];
    assert.equal(new Set(ports).size, ports.length);
    const pair = await freePortPair();
    assert.ok(!ports.includes(pair) && !ports.includes(pair + 1));
    assert.equal(isListening(pair, 'udp'), false);
    const rtp = await freeRtpPortPair();
    assert.equal(rtp % 2, 0);
  });

  it('stops a process by PID, escalating to SIGKILL when SIGTERM is ignored', async () => {
    const stubborn = spawnProcess({
      name: 'stubborn',
      command: 'sh',
      args: ['-c', 'trap "" TERM; echo ready; exec sleep 30'],
      stopTimeoutMs: 300,
    });
    await stubborn.waitForOutput('ready', { timeoutMs: 2000 });
    assert.ok(trackedProcesses.has(stubborn));
    const info = await stubborn.stop();
    assert.equal(info.signal, 'SIGKILL');
    assert.ok(!trackedProcesses.has(stubborn));
  });

  it('bounded waits fail with what was awaited and the process output', async () => {
    const quiet = spawnProcess({ name: 'quiet', command: 'sh', args: ['-c', 'echo hello; exec sleep 30'] });
    await assert.rejects(
      quiet.waitForOutput('never printed', { timeoutMs: 200 }),
      (err: unknown) =>
        err instanceof WaitTimeoutError &&
        /quiet to print never printed/.test(err.message) &&
        /hello/.test(err.message),
    );
    await quiet.stop();
    await assert.rejects(
      waitFor(() => false, { timeoutMs: 50, what: 'the impossible' }),
      /the impossible/,
    );
    await assert.rejects(
      waitForEvent(quiet, 'never', { timeoutMs: 50, what: 'an event that never comes' }),
      WaitTimeoutError,
    );
  });

  it('parses a SIPp message log, several TCP messages in one block included', () => {
    const log = [
      '----------------------------------------------- 2026-01-02 03:04:05.250000',
      'TCP message received [200] bytes :',
      '',
      'SIP/2.0 100 Trying\r',
      'v: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK1\r',
      'CSeq: 1 INVITE\r',
      'l: 0\r',
      '\r',
      'SIP/2.0 180 Ringing\r',
      'Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK1\r',
      'CSeq: 1 INVITE\r',
      'Subject: folded\r',
      ' line\r',
      'Content-Length: 4\r',
      '\r',
      'abcd',
      '',
    ].join('\n');
    const messages = parseSippMessageLog(log);
    assert.deepEqual(
      messages.map((m) => m.firstLine),
      ['SIP/2.0 100 Trying', 'SIP/2.0 180 Ringing'],
    );
    assert.equal(messages[0]?.header('Via'), 'SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK1');
    assert.equal(messages[1]?.header('subject'), 'folded line');
    assert.equal(messages[1]?.body, 'abcd');
    assert.equal(messages[1]?.method, 'INVITE');
    assert.equal(messages[0]?.timeMs, new Date(2026, 0, 2, 3, 4, 5, 250).getTime());
  });
});
