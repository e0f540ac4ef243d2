/**
 * Two branches answering at once (STYLE 7: first accepted 2xx wins; ACK then BYE any late
 * 2xx): user 250 has two registered SIPp phones that both answer the instant the INVITE
 * arrives, so their 200s reach twinline within a millisecond of each other.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freeUdpPort } from '../../support/ports.js';
import { stopAllProcesses } from '../../support/processes.js';
import { ladder, received, type SippMessage, type SippRun, sent, startSipp } from '../../support/sipp.js';
import { startTwinline, type TwinlineProcess } from '../../support/twinline.js';

let server: TwinlineProcess;

before(async () => {
  server = await startTwinline({
    configYaml: `
system:
  timeZone: Europe/London
users:
  - { extension: '201', name: Alice, password: alice-secret }
  - { extension: '250', name: Gail, password: gail-secret, voicemail: { enabled: false } }
`,
  });
});
after(async () => {
  await server?.stop();
  await stopAllProcesses();
});

/** One more device of `extension`: registers from a fresh port, then plays `scenario` there. */
async function device(
  extension: string,
  password: string,
  scenario: 'uas-answer-immediately',
): Promise<SippRun> {
  const port = await freeUdpPort();
  const reg = await startSipp({
    scenario: 'uac-register-digest',
    remote: server.address,
    localPort: port,
    timeoutMs: 10_000,
    name: `register-${extension}-${port}`,
    keys: { user: extension, password, domain: 'twinline', expires: 600 },
  });
  const r = await reg.result();
  assert.equal(r.outcome, 'ok', r.errors);
  return startSipp({ scenario, localPort: port, timeoutMs: 15_000, name: `phone-${extension}-${port}` });
}

const requestsOf = (messages: readonly SippMessage[]) =>
  received(messages)
    .filter((m) => m.kind === 'request')
    .map((m) => m.method);

describe('glare: two branches answer within a millisecond', () => {
  it('exactly one phone is bridged; the other gets ACK then BYE; the caller sees one 200', async () => {
    const phones = [
      await device('250', 'gail-secret', 'uas-answer-immediately'),
      await device('250', 'gail-secret', 'uas-answer-immediately'),
    ];
    const caller = await startSipp({
      scenario: 'uac-invite-auth-bye',
      remote: server.address,
      service: '250',
      auth: { user: '201', pass: 'alice-secret' },
      keys: { from_user: '201', hold_ms: 500 },
      timeoutMs: 15_000,
      name: 'caller-201',
    });
    const c = await caller.result();
    const p = await Promise.all(phones.map((ph) => ph.result()));
    assert.equal(c.outcome, 'ok', c.errors);

    const answers = p.map((r) => sent(r.messages).find((m) => m.status === 200 && m.method === 'INVITE'));
    assert.ok(
      answers.every((a) => a !== undefined),
      `both phones answered: ${p.map((r) => ladder(r.messages).join(' ')).join(' | ')}`,
    );
    const apart = Math.abs(answers[0]!.timeMs - answers[1]!.timeMs);
    assert.ok(apart < 50, `the two 200s were sent ${apart.toFixed(1)} ms apart`);

    const oks = received(c.messages).filter((m) => m.status === 200 && m.method === 'INVITE');
    assert.equal(oks.length, 1, 'the caller saw one 200 for its INVITE');

    // The bridged phone is hung up by the caller's BYE (sent after hold_ms); the loser is
    // hung up by twinline at once, before the caller ever hangs up.
    const callerBye = sent(c.messages).find((m) => m.kind === 'request' && m.method === 'BYE')!;
    const byeAt = p.map((r) => received(r.messages).find((m) => m.method === 'BYE' && m.kind === 'request'));
    assert.ok(
      byeAt.every((b) => b !== undefined),
      'both phones got a BYE',
    );
    const losers = p.filter((_, i) => byeAt[i]!.timeMs < callerBye.timeMs);
    assert.equal(losers.length, 1, 'exactly one phone was hung up before the caller hung up');
    const winner = p.find((_, i) => byeAt[i]!.timeMs >= callerBye.timeMs)!;
    const loser = losers[0]!;

    assert.deepEqual(requestsOf(winner.messages), ['INVITE', 'ACK', 'BYE']);
    const loserSaw = requestsOf(loser.messages).filter((m) => m !== 'CANCEL');
    assert.deepEqual(
      loserSaw,
      ['INVITE', 'ACK', 'BYE'],
      'the loser: its 200 ACKed, then BYE (in that order)',
    );
    const winnerOk = sent(winner.messages).find((m) => m.status === 200 && m.method === 'INVITE')!;
    assert.equal(
      oks[0]!.body.replace(/\r/g, ''),
      winnerOk.body.replace(/\r/g, ''),
      'the caller got the winner’s SDP',
    );
  });
});
