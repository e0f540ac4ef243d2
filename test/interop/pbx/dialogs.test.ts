/**
 * In-dialog signalling through the B2BUA on real SIP: hang-up from the callee's side,
 * hold and resume by re-INVITE, a request for a dialog that does not exist, and a BYE that
 * overtakes the ACK. Caller: extension 201 (digest-authenticated SIPp UAC); callee: the
 * registered SIPp phone of 202.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registeredPhone } from '../../support/phones.js';
import { stopAllProcesses } from '../../support/processes.js';
import { rawSipClient } from '../../support/raw-sip.js';
import {
  ladder,
  received,
  type SippMessage,
  type SippScenarioName,
  sent,
  startSipp,
} from '../../support/sipp.js';
import { startTwinline, type TwinlineProcess } from '../../support/twinline.js';
import { waitFor } from '../../support/wait.js';

let server: TwinlineProcess;

before(async () => {
  server = await startTwinline({
    configYaml: `
system:
  timeZone: Europe/London
users:
  - { extension: '201', name: Alice, password: alice-secret }
  - { extension: '202', name: Bob, password: bob-secret, voicemail: { enabled: false } }
`,
  });
});
after(async () => {
  await server?.stop();
  await stopAllProcesses();
});

function aliceCalls202(scenario: SippScenarioName, keys: Record<string, string | number> = {}) {
  return startSipp({
    scenario,
    remote: server.address,
    service: '202',
    auth: { user: '201', pass: 'alice-secret' },
    keys: { from_user: '201', ...keys },
    timeoutMs: 15_000,
    name: `caller-201-${scenario}`,
  });
}

function requests(messages: readonly SippMessage[], method: string): SippMessage[] {
  return received(messages).filter((m) => m.kind === 'request' && m.method === method);
}

/** What the caller received after its 407 (ignoring 100 Trying), as "status method" / "METHOD". */
function callerSaw(messages: readonly SippMessage[]): string[] {
  return received(messages)
    .filter((m) => m.status !== 100)
    .map((m) => (m.kind === 'request' ? m.method : `${m.status} ${m.method}`));
}

/** The server's 'call ended' log line for the call whose caller used `callId`. */
async function callEnded(callId: string): Promise<{ outcome: string }> {
  return waitFor(
    () => {
      for (const line of server.process.stdout.split('\n')) {
        if (!line.includes('"call ended"') || !line.includes(callId)) continue;
        return JSON.parse(line) as { outcome: string };
      }
      return undefined;
    },
    { timeoutMs: 3000, what: `the server to log the end of call ${callId}` },
  );
}

describe('in-dialog requests through the B2BUA', () => {
  it('the callee hangs up: its BYE ends the caller’s leg with a BYE', async () => {
    const bob = await registeredPhone(server, '202', 'bob-secret', 'uas-answer-then-bye', {
      keys: { ring_ms: 100, hold_ms: 300 },
    });
    const alice = await aliceCalls202('uac-invite-auth-wait-bye');
    const [a, b] = await Promise.all([alice.result(), bob.sipp.result()]);
    assert.equal(a.outcome, 'ok', a.errors);
    assert.equal(b.outcome, 'ok', b.errors);
    assert.deepEqual(ladder(b.messages), ['< INVITE', '> 100', '> 180', '> 200', '< ACK', '> BYE', '< 200']);
    assert.deepEqual(callerSaw(a.messages), ['407 INVITE', '180 INVITE', '200 INVITE', 'BYE']);
    const calleeBye = sent(b.messages).find((m) => m.method === 'BYE' && m.kind === 'request')!;
    const callerBye = requests(a.messages, 'BYE')[0]!;
    const relayed = callerBye.timeMs - calleeBye.timeMs;
    assert.ok(relayed >= 0 && relayed < 300, `caller’s BYE ${relayed.toFixed(0)} ms after the callee’s`);
  });

  it('hold and resume: the caller’s re-INVITEs (a=sendonly, then a=sendrecv) reach the callee, and its answers (a=recvonly, a=sendrecv) come back', async () => {
    const bob = await registeredPhone(server, '202', 'bob-secret', 'uas-answer-hold-resume', {
      keys: { ring_ms: 100 },
    });
    const alice = await aliceCalls202('uac-invite-auth-hold-resume', { hold_ms: 200 });
    const [a, b] = await Promise.all([alice.result(), bob.sipp.result()]);
    assert.equal(a.outcome, 'ok', a.errors);
    assert.equal(b.outcome, 'ok', b.errors);
    assert.deepEqual(ladder(b.messages), [
      '< INVITE',
      '> 100',
      '> 180',
      '> 200',
      '< ACK',
      '< INVITE',
      '> 200',
      '< ACK',
      '< INVITE',
      '> 200',
      '< ACK',
      '< BYE',
      '> 200',
    ]);
    const [, hold, resume] = requests(b.messages, 'INVITE');
    assert.match(hold!.body, /^a=sendonly\r?$/m, 'hold offer relayed');
    assert.match(resume!.body, /^a=sendrecv\r?$/m, 'resume offer relayed');
    const answers = received(a.messages).filter((m) => m.status === 200 && m.method === 'INVITE');
    assert.equal(answers.length, 3, 'the call’s 200, then one per re-INVITE');
    assert.match(answers[1]!.body, /^a=recvonly\r?$/m, 'the callee’s hold answer relayed');
    assert.match(answers[2]!.body, /^a=sendrecv\r?$/m, 'the callee’s resume answer relayed');
  });

  it('a request for a dialog that does not exist gets 481', async () => {
    const client = await rawSipClient({ address: '127.0.0.1', port: server.port });
    try {
      client.send(
        [
          `BYE sip:twinline@127.0.0.1:${server.port} SIP/2.0`,
          `Via: SIP/2.0/UDP 127.0.0.1:${client.port};branch=z9hG4bK-nodialog-1;rport`,
          'Max-Forwards: 70',
          `From: <sip:201@twinline>;tag=caller-tag-1`,
          'To: <sip:202@twinline>;tag=no-such-tag',
          'Call-ID: no-such-dialog-1@127.0.0.1',
          'CSeq: 2 BYE',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
      );
      const res = await client.next(3000);
      assert.equal(res.status, 481);
    } finally {
      client.close();
    }
  });

  it('a BYE that arrives before the ACK gets 200 and ends the callee’s leg', async () => {
    const bob = await registeredPhone(server, '202', 'bob-secret', 'uas-answer', { keys: { ring_ms: 100 } });
    const alice = await aliceCalls202('uac-invite-auth-bye-before-ack');
    const [a, b] = await Promise.all([alice.result(), bob.sipp.result()]);
    assert.equal(a.outcome, 'ok', a.errors);
    assert.equal(b.outcome, 'ok', b.errors);
    assert.deepEqual(callerSaw(a.messages), ['407 INVITE', '180 INVITE', '200 INVITE', '200 BYE']);
    assert.equal(
      sent(a.messages).filter((m) => m.method === 'ACK').length,
      1,
      'the only ACK the caller sent was for the 407',
    );
    assert.deepEqual(ladder(b.messages), ['< INVITE', '> 100', '> 180', '> 200', '< ACK', '< BYE', '> 200']);
    const callId = sent(a.messages)[0]!.header('call-id')!;
    // The call is over on the server too, as an answered call (not torn down for a missing ACK).
    assert.match((await callEnded(callId)).outcome, /^answered /);
  });
});
