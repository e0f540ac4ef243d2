/**
 * MS Teams forking on real SIP: a user with an MS Teams URI rings their desk phone at once
 * and, after msTeamsCoverageDelay (1 s here), the Teams Direct Routing trunk — a SIPp SBC
 * on its own port that answers like Teams does with the user on two clients: one INVITE,
 * two early dialogs (two 180s with different To tags), then one client answers or the call
 * is cancelled (test/fixtures/sipp/uas-teams-two-clients.xml).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { peerOn, registeredPhone } from '../../support/phones.js';
import { freeUdpPort } from '../../support/ports.js';
import { stopAllProcesses } from '../../support/processes.js';
import { ladder, received, type SippMessage, sent, startSipp } from '../../support/sipp.js';
import { startTwinline, type TwinlineProcess } from '../../support/twinline.js';

let server: TwinlineProcess;
let teamsPort: number;
let carrierPort: number;

const COMPLETED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';

before(async () => {
  teamsPort = await freeUdpPort();
  carrierPort = await freeUdpPort();
  server = await startTwinline({
    configYaml: `
system:
  timeZone: Europe/London
  outsideLinePrefix: '9'
users:
  - { extension: '201', name: Alice, password: alice-secret }
  - extension: '204'
    name: Carol
    password: carol-secret
    licence: uc-user
    noAnswerTime: 8
    voicemail: { enabled: false }
    mobility:
      msTeamsUri: '441632960204'
      msTeamsCoverageDelay: 1
trunks:
  - { name: carrier, kind: carrier, host: 127.0.0.1, port: ${carrierPort}, ownNumber: '441632960000' }
  - { name: teams, kind: msTeams, host: 127.0.0.1, port: ${teamsPort} }
`,
  });
});
after(async () => {
  await server?.stop();
  await stopAllProcesses();
});

function aliceCalls204() {
  return startSipp({
    scenario: 'uac-invite-auth-bye',
    remote: server.address,
    service: '204',
    auth: { user: '201', pass: 'alice-secret' },
    keys: { from_user: '201', hold_ms: 200 },
    timeoutMs: 20_000,
    name: 'caller-201',
  });
}

function first(messages: readonly SippMessage[], method: string): SippMessage {
  const m = received(messages).find((x) => x.kind === 'request' && x.method === method);
  assert.ok(m, `expected a ${method}; got ${ladder(messages).join(', ') || 'nothing'}`);
  return m;
}

const tagOf = (header: string | undefined) => /;\s*tag=([^;>\s]+)/i.exec(header ?? '')?.[1];

describe('MS Teams forking over SIP', () => {
  it('TEAMS-1 the Teams trunk is alerted 1 s (msTeamsCoverageDelay) after the desk; TEAMS-2 its Request-URI is sip:+<digits>@host:port', async () => {
    const desk = await registeredPhone(server, '204', 'carol-secret', 'uas-never-answer');
    const teams = await peerOn(teamsPort, 'uas-teams-two-clients', {
      keys: { answer_ms: 500 },
      name: 'teams',
    });
    const caller = await aliceCalls204();
    const [c, d, t] = await Promise.all([caller.result(), desk.sipp.result(), teams.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(d.outcome, 'ok', d.errors);
    assert.equal(t.outcome, 'ok', t.errors);
    const deskInvite = first(d.messages, 'INVITE');
    const teamsInvite = first(t.messages, 'INVITE');
    const delay = teamsInvite.timeMs - deskInvite.timeMs;
    assert.ok(delay >= 950 && delay < 1300, `Teams leg ${delay.toFixed(0)} ms after the desk (delay 1 s)`);
    assert.equal(teamsInvite.requestUri, `sip:+441632960204@127.0.0.1:${teamsPort}`);
    // CLI-1 on a leg that leaves the system: the original caller, and the user it was for.
    assert.match(teamsInvite.header('from') ?? '', /<sip:201@twinline>/);
    assert.match(teamsInvite.header('diversion') ?? '', /^<sip:204@twinline>/);
  });

  it('TEAMS-1 two Teams clients ring (two early dialogs); the one that answers is connected to the caller and gets the ACK on its own tag; the desk is cancelled as completed elsewhere', async () => {
    const desk = await registeredPhone(server, '204', 'carol-secret', 'uas-never-answer');
    const teams = await peerOn(teamsPort, 'uas-teams-two-clients', {
      keys: { answer_ms: 500 },
      name: 'teams',
    });
    const caller = await aliceCalls204();
    const [c, d, t] = await Promise.all([caller.result(), desk.sipp.result(), teams.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(d.outcome, 'ok', d.errors);
    assert.equal(t.outcome, 'ok', t.errors);

    const teamsSent = sent(t.messages);
    const ringing = teamsSent.filter((m) => m.status === 180).map((m) => tagOf(m.header('to')));
    assert.equal(new Set(ringing).size, 2, 'two early dialogs');
    const answerTag = tagOf(teamsSent.find((m) => m.status === 200 && m.method === 'INVITE')?.header('to'));
    assert.ok(answerTag, 'client B answered');
    assert.deepEqual(ladder(t.messages), [
      '< INVITE',
      '> 100',
      '> 180',
      '> 180',
      '> 200',
      '< ACK',
      '< BYE',
      '> 200',
    ]);
    assert.equal(
      tagOf(first(t.messages, 'ACK').header('to')),
      answerTag,
      'ACK on the answering client’s dialog',
    );
    assert.equal(
      tagOf(first(t.messages, 'BYE').header('to')),
      answerTag,
      'BYE on the answering client’s dialog',
    );

    // The caller is connected to the Teams client's answer.
    const ok = received(c.messages).filter((m) => m.status === 200 && m.method === 'INVITE');
    assert.equal(ok.length, 1);
    assert.match(ok[0]!.body, /^o=teams /m, 'the caller got the Teams client’s SDP answer');

    assert.equal(first(d.messages, 'CANCEL').header('reason'), COMPLETED_ELSEWHERE);
  });

  it('TEAMS-1 the desk answers first: the ringing Teams leg (both clients) is cancelled with Reason cause=200', async () => {
    const desk = await registeredPhone(server, '204', 'carol-secret', 'uas-answer', {
      keys: { ring_ms: 1500 },
    });
    const teams = await peerOn(teamsPort, 'uas-teams-two-clients', {
      keys: { answer_ms: -1 },
      name: 'teams-cancel',
    });
    const caller = await aliceCalls204();
    const [c, d, t] = await Promise.all([caller.result(), desk.sipp.result(), teams.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(d.outcome, 'ok', d.errors);
    assert.equal(t.outcome, 'ok', t.errors);
    assert.deepEqual(ladder(t.messages), [
      '< INVITE',
      '> 100',
      '> 180',
      '> 180',
      '< CANCEL',
      '> 200',
      '> 487',
      '< ACK',
    ]);
    const cancel = first(t.messages, 'CANCEL');
    assert.equal(cancel.header('reason'), COMPLETED_ELSEWHERE);
    const deskOk = sent(d.messages).find((m) => m.status === 200 && m.method === 'INVITE')!;
    assert.ok(cancel.timeMs - deskOk.timeMs < 300, 'cancelled as soon as the desk answered');
  });
});
