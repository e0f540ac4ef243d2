/**
 * Short codes dialled from a SIPp extension: the feature changes the user's own settings
 * (stored, applied to the next call), twinline answers with a confirmation tone from its
 * own media and hangs up; a setting locked by user rights is refused (UR-1, BTN-2).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stopAllProcesses } from '../../support/processes.js';
import { received, startSipp } from '../../support/sipp.js';
import { adminSession, startTwinline, type TwinlineProcess } from '../../support/twinline.js';

let server: TwinlineProcess;

before(async () => {
  server = await startTwinline({
    configYaml: `
system:
  timeZone: Europe/London
users:
  - { extension: '201', name: Alice, password: alice-secret, licence: mobile-worker, voicemail: { enabled: false } }
  - { extension: '202', name: Bob, password: bob-secret }
  - { extension: '203', name: Carol, password: carol-secret, workingHoursUserRights: Locked, outOfHoursUserRights: Locked }
userRights:
  - { name: Locked, locked: { dnd: false } }
shortCodes:
  - { code: '*08', feature: dndOn }
  - { code: '*09', feature: dndOff }
  - { code: '*07*N#', feature: forwardSet, forwardType: unconditional }
  - { code: '*94*N#', feature: setMobileTwinningNumber }
`,
  });
});
after(async () => {
  await server?.stop();
  await stopAllProcesses();
});

function dial(
  from: string,
  password: string,
  code: string,
  scenario: 'uac-invite-auth-wait-bye' | 'uac-invite-auth-rejected',
) {
  return startSipp({
    scenario,
    remote: server.address,
    service: code,
    auth: { user: from, pass: password },
    keys: { from_user: from },
    timeoutMs: 10_000,
    name: `dial-${from}-${code.replace(/[*#%]/g, '_')}`,
  });
}

describe('short codes', () => {
  it('BTN-2 DND on: answered with a confirmation tone then BYE, the setting stored, and the next call to the user is busy', async () => {
    const run = await dial('201', 'alice-secret', '*08', 'uac-invite-auth-wait-bye');
    const r = await run.result();
    assert.equal(r.outcome, 'ok', r.errors);
    const ok = received(r.messages).find((m) => m.status === 200 && m.method === 'INVITE')!;
    assert.match(ok.body, /m=audio \d+ RTP\/AVP 0\r?\n/, 'twinline answers with its own media in PCMU');
    assert.ok(
      received(r.messages).some((m) => m.method === 'BYE'),
      'and hangs up after the tone',
    );

    const api = await adminSession(server);
    const alice = (await api.get('/api/users/201')) as { dnd: boolean };
    assert.equal(alice.dnd, true);

    const call = await dial('202', 'bob-secret', '201', 'uac-invite-auth-rejected');
    const c = await call.result();
    assert.equal(received(c.messages).at(-1)?.status, 486);
  });

  it('BTN-1 set mobile twinning number: the digits dialled in place of N become the twinned mobile number', async () => {
    // RFC 3261 §19.1.2: '#' is escaped in a SIP URI's user part, as phones send it.
    const run = await dial('201', 'alice-secret', '*94*907700900777%23', 'uac-invite-auth-wait-bye');
    assert.equal((await run.result()).outcome, 'ok');
    const api = await adminSession(server);
    const alice = (await api.get('/api/users/201')) as { mobility: { twinnedMobileNumber: string } };
    assert.equal(alice.mobility.twinnedMobileNumber, '907700900777');
  });

  it('UR-1 a setting locked by user rights is refused with 403 and left as it was', async () => {
    const run = await dial('203', 'carol-secret', '*08', 'uac-invite-auth-rejected');
    const r = await run.result();
    assert.equal(received(r.messages).at(-1)?.status, 403);
    const api = await adminSession(server);
    const carol = (await api.get('/api/users/203')) as { dnd: boolean };
    assert.equal(carol.dnd, false);
  });
});
