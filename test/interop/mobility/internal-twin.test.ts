/**
 * Internal twinning on real SIP: a primary user (202) whose twinned handset is another
 * user's extension (203), both registered SIPp phones. The secondary rings with the
 * primary, at the same time; nobody can dial it directly; DND at the primary silences both.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registeredPhone } from '../../support/phones.js';
import { stopAllProcesses } from '../../support/processes.js';
import { ladder, received, type SippMessage, sent, startSipp } from '../../support/sipp.js';
import { startTwinline, type TwinlineProcess } from '../../support/twinline.js';

let server: TwinlineProcess;

const COMPLETED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';

before(async () => {
  server = await startTwinline({
    configYaml: `
system:
  timeZone: Europe/London
users:
  - { extension: '201', name: Alice, password: alice-secret }
  - extension: '202'
    name: Bob
    password: bob-secret
    licence: power-user
    noAnswerTime: 8
    voicemail: { enabled: false }
    mobility: { internalTwinning: true, twinnedHandset: '203' }
  - { extension: '203', name: Bob DECT, password: dect-secret }
  - extension: '204'
    name: Dora
    password: dora-secret
    licence: power-user
    dnd: true
    voicemail: { enabled: false }
    mobility: { internalTwinning: true, twinnedHandset: '205' }
  - { extension: '205', name: Dora DECT, password: dora-dect-secret }
  - extension: '206'
    name: Otto
    password: otto-secret
    licence: power-user
    loggedOut: true
    voicemail: { enabled: false }
    mobility: { internalTwinning: true, twinnedHandset: '207' }
  - { extension: '207', name: Otto DECT, password: otto-dect-secret }
`,
  });
});
after(async () => {
  await server?.stop();
  await stopAllProcesses();
});

function aliceCalls(extension: string, scenario: 'uac-invite-auth-bye' | 'uac-invite-auth-rejected') {
  return callFrom('201', 'alice-secret', extension, scenario);
}

function callFrom(
  from: string,
  password: string,
  extension: string,
  scenario: 'uac-invite-auth-bye' | 'uac-invite-auth-rejected',
) {
  return startSipp({
    scenario,
    remote: server.address,
    service: extension,
    auth: { user: from, pass: password },
    keys: { from_user: from, ...(scenario === 'uac-invite-auth-bye' ? { hold_ms: 100 } : {}) },
    timeoutMs: 15_000,
    name: `caller-${from}-to-${extension}`,
  });
}

function first(messages: readonly SippMessage[], method: string): SippMessage {
  const m = received(messages).find((x) => x.kind === 'request' && x.method === method);
  assert.ok(m, `expected a ${method}; got ${ladder(messages).join(', ') || 'nothing'}`);
  return m;
}

/** The final response the caller got to its authenticated INVITE. */
function finalStatus(caller: readonly SippMessage[]): number | undefined {
  return received(caller)
    .filter((m) => m.kind === 'response' && m.method === 'INVITE' && (m.status ?? 0) >= 200)
    .at(-1)?.status;
}

describe('internal twinning over SIP', () => {
  it('IT-1/IT-2 a call to the primary alerts the twinned handset at the same time; the handset answers and the primary is cancelled as completed elsewhere', async () => {
    const primary = await registeredPhone(server, '202', 'bob-secret', 'uas-never-answer');
    const handset = await registeredPhone(server, '203', 'dect-secret', 'uas-answer', {
      keys: { ring_ms: 500 },
    });
    const caller = await aliceCalls('202', 'uac-invite-auth-bye');
    const [c, p, h] = await Promise.all([caller.result(), primary.sipp.result(), handset.sipp.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(p.outcome, 'ok', p.errors);
    assert.equal(h.outcome, 'ok', h.errors);

    const apart = Math.abs(first(h.messages, 'INVITE').timeMs - first(p.messages, 'INVITE').timeMs);
    assert.ok(apart < 300, `primary and handset alerted ${apart.toFixed(0)} ms apart`);
    assert.deepEqual(ladder(h.messages), ['< INVITE', '> 100', '> 180', '> 200', '< ACK', '< BYE', '> 200']);
    assert.equal(first(p.messages, 'CANCEL').header('reason'), COMPLETED_ELSEWHERE);
    // The caller is connected to the handset's answer.
    const ok = received(c.messages).find((m) => m.status === 200 && m.method === 'INVITE')!;
    const handsetOk = sent(h.messages).find((m) => m.status === 200 && m.method === 'INVITE')!;
    assert.equal(ok.body.replace(/\r/g, ''), handsetOk.body.replace(/\r/g, ''));
  });

  it('IT-3 while twinned, the handset’s own number cannot be dialled: 404', async () => {
    const caller = await aliceCalls('203', 'uac-invite-auth-rejected');
    const c = await caller.result();
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(finalStatus(c.messages), 404);
  });

  it('IT-5 DND at the primary silences the twinned handset too: neither phone rings and the caller gets busy', async () => {
    const primary = await registeredPhone(server, '204', 'dora-secret', 'uas-answer', { timeoutMs: 3000 });
    const handset = await registeredPhone(server, '205', 'dora-dect-secret', 'uas-answer', {
      timeoutMs: 3000,
    });
    const caller = await aliceCalls('204', 'uac-invite-auth-rejected');
    const c = await caller.result();
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(finalStatus(c.messages), 486);
    const [p, h] = await Promise.all([primary.sipp.result(), handset.sipp.result()]);
    assert.deepEqual(ladder(p.messages), [], 'the primary on DND does not ring');
    assert.deepEqual(ladder(h.messages), [], 'nor does its twinned handset');
  });

  it('IT-3 calls the twinned handset makes are the primary’s: the called phone sees Bob (202), not Bob DECT (203)', async () => {
    const alice = await registeredPhone(server, '201', 'alice-secret', 'uas-answer', {
      keys: { ring_ms: 100 },
    });
    const caller = await callFrom('203', 'dect-secret', '201', 'uac-invite-auth-bye');
    const [c, a] = await Promise.all([caller.result(), alice.sipp.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(a.outcome, 'ok', a.errors);
    assert.match(first(a.messages, 'INVITE').header('from') ?? '', /^"Bob" <sip:202@twinline>/);
  });

  it('IT-5 logout at the primary silences the twinned handset too: neither phone rings', async () => {
    const primary = await registeredPhone(server, '206', 'otto-secret', 'uas-answer', { timeoutMs: 3000 });
    const handset = await registeredPhone(server, '207', 'otto-dect-secret', 'uas-answer', {
      timeoutMs: 3000,
    });
    const caller = await aliceCalls('206', 'uac-invite-auth-rejected');
    const c = await caller.result();
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(finalStatus(c.messages), 486, 'logged out without voicemail: busy (pbx.md)');
    const [p, h] = await Promise.all([primary.sipp.result(), handset.sipp.result()]);
    assert.deepEqual(ladder(p.messages), [], 'the logged-out primary does not ring');
    assert.deepEqual(ladder(h.messages), [], 'nor does its twinned handset');
  });
});
