/**
 * Hunt groups on real SIP: members are registered SIPp phones, the caller is the carrier
 * trunk calling the group's DDI. Each ring mode decides who rings first.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type DeskPhone, registeredPhone } from '../../support/phones.js';
import { freeUdpPort } from '../../support/ports.js';
import { stopAllProcesses } from '../../support/processes.js';
import { received, type SippScenarioName, startSipp } from '../../support/sipp.js';
import { startTwinline, type TwinlineProcess } from '../../support/twinline.js';

let server: TwinlineProcess;
let carrierPort: number;

before(async () => {
  carrierPort = await freeUdpPort();
  server = await startTwinline({
    configYaml: `
system:
  timeZone: Europe/London
users:
  - { extension: '301', name: Ann, password: ann-secret-1 }
  - { extension: '302', name: Ben, password: ben-secret-2 }
  - { extension: '303', name: Cat, password: cat-secret-3, dnd: true }
huntGroups:
  - { name: Sales, extension: '600', members: ['301', '302'], ringMode: collective, voicemail: { enabled: false } }
  - { name: Support, extension: '601', members: ['301', '302'], ringMode: sequential, voicemail: { enabled: false } }
  - { name: Desk, extension: '602', members: ['301', '302'], ringMode: rotary, voicemail: { enabled: false } }
  - { name: Queue, extension: '603', members: ['301', '302'], ringMode: longestWaiting, voicemail: { enabled: false } }
  - { name: Night, extension: '604', members: ['303', '302'], ringMode: sequential, voicemail: { enabled: false } }
trunks:
  - { name: carrier, kind: carrier, host: 127.0.0.1, port: ${carrierPort} }
incomingRoutes:
  - { trunk: carrier, ddi: '600', destination: Sales }
  - { trunk: carrier, ddi: '601', destination: Support }
  - { trunk: carrier, ddi: '602', destination: Desk }
  - { trunk: carrier, ddi: '603', destination: Queue }
  - { trunk: carrier, ddi: '604', destination: Night }
`,
  });
});
after(async () => {
  await server?.stop();
  await stopAllProcesses();
});

const PASSWORDS: Record<string, string> = {
  '301': 'ann-secret-1',
  '302': 'ben-secret-2',
  '303': 'cat-secret-3',
};

function phone(
  ext: string,
  scenario: SippScenarioName,
  keys?: Record<string, string | number>,
): Promise<DeskPhone> {
  return registeredPhone(server, ext, PASSWORDS[ext]!, scenario, { keys, timeoutMs: 8000 });
}

async function callGroup(ddi: string) {
  const carrier = await startSipp({
    scenario: 'uac-invite-bye',
    remote: server.address,
    localPort: carrierPort,
    service: ddi,
    keys: { from_user: '01632960001', hold_ms: 50 },
    timeoutMs: 15_000,
    name: `carrier-${ddi}`,
  });
  return carrier.result();
}

/** When each phone saw its INVITE (epoch ms), or undefined when it never rang. */
function invitedAt(p: Awaited<ReturnType<DeskPhone['sipp']['result']>>): number | undefined {
  return received(p.messages).find((m) => m.method === 'INVITE')?.timeMs;
}

describe('hunt groups', () => {
  it('collective: every member rings at once; the first to answer takes the call, the other is cancelled as completed elsewhere', async () => {
    const ann = await phone('301', 'uas-answer', { ring_ms: 300 });
    const ben = await phone('302', 'uas-never-answer');
    const c = await callGroup('600');
    const [a, b] = await Promise.all([ann.sipp.result(), ben.sipp.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(a.outcome, 'ok', a.errors);
    assert.equal(b.outcome, 'ok', b.errors);
    assert.ok(Math.abs(invitedAt(a)! - invitedAt(b)!) < 200, 'both rang together');
    const cancel = received(b.messages).find((m) => m.method === 'CANCEL')!;
    assert.equal(cancel.header('reason'), 'SIP;cause=200;text="Call completed elsewhere"');
  });

  it('sequential: the first member is busy, so the second rings next and answers', async () => {
    const ann = await phone('301', 'uas-busy');
    const ben = await phone('302', 'uas-answer', { ring_ms: 100 });
    const c = await callGroup('601');
    const [a, b] = await Promise.all([ann.sipp.result(), ben.sipp.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(a.outcome, 'ok', a.errors);
    assert.equal(b.outcome, 'ok', b.errors);
    assert.ok(invitedAt(b)! > invitedAt(a)!, 'Ben rang after Ann refused');
  });

  it('sequential: a member on DND is skipped without ringing', async () => {
    const cat = await phone('303', 'uas-answer');
    const ben = await phone('302', 'uas-answer', { ring_ms: 100 });
    const c = await callGroup('604');
    const b = await ben.sipp.result();
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(b.outcome, 'ok', b.errors);
    const catResult = await cat.sipp.stop();
    assert.equal(invitedAt(catResult), undefined, 'Cat (DND) never rang');
  });

  it('rotary: each call starts after the member the previous call started with', async () => {
    const starts: string[] = [];
    for (let i = 0; i < 2; i++) {
      const ann = await phone('301', 'uas-answer', { ring_ms: 400 });
      const ben = await phone('302', 'uas-answer', { ring_ms: 400 });
      const c = await callGroup('602');
      assert.equal(c.outcome, 'ok', c.errors);
      const [a, b] = await Promise.all([ann.sipp.stop(), ben.sipp.stop()]);
      starts.push(
        invitedAt(a) !== undefined && (invitedAt(b) === undefined || invitedAt(a)! < invitedAt(b)!)
          ? '301'
          : '302',
      );
    }
    assert.deepEqual(starts, ['301', '302']);
  });

  it('longest waiting: the member whose last answered call ended longest ago rings first', async () => {
    // Call 1: Ann is busy, Ben answers: Ben has just had a call.
    {
      const ann = await phone('301', 'uas-busy');
      const ben = await phone('302', 'uas-answer', { ring_ms: 100 });
      assert.equal((await callGroup('603')).outcome, 'ok');
      await Promise.all([ann.sipp.stop(), ben.sipp.stop()]);
    }
    const firstRung: string[] = [];
    for (let i = 0; i < 2; i++) {
      const ann = await phone('301', 'uas-answer', { ring_ms: 300 });
      const ben = await phone('302', 'uas-answer', { ring_ms: 300 });
      assert.equal((await callGroup('603')).outcome, 'ok');
      const [a, b] = await Promise.all([ann.sipp.stop(), ben.sipp.stop()]);
      const annAt = invitedAt(a);
      const benAt = invitedAt(b);
      firstRung.push(annAt !== undefined && (benAt === undefined || annAt < benAt) ? '301' : '302');
    }
    // Call 2 starts with Ann (idle longest), who answers; so call 3 starts with Ben.
    assert.deepEqual(firstRung, ['301', '302']);
  });
});
