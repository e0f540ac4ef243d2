/** `twinline start` as a real process answers SIPp's OPTIONS over UDP and TCP (RFC 3261 §11). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stopAllProcesses } from '../../support/processes.js';
import { received, startSipp } from '../../support/sipp.js';
import { startTwinline, type TwinlineProcess } from '../../support/twinline.js';

let server: TwinlineProcess;
before(async () => {
  server = await startTwinline();
});
after(async () => {
  await server?.stop();
  await stopAllProcesses();
});

describe('twinline start', () => {
  for (const transport of ['u1', 't1'] as const) {
    it(`answers OPTIONS with 200 and its Allow list over ${transport === 'u1' ? 'UDP' : 'TCP'}`, async () => {
      const probe = await startSipp({
        scenario: 'uac-options',
        remote: server.address,
        transport,
        timeoutMs: 10_000,
      });
      const result = await probe.result();
      assert.equal(result.outcome, 'ok', result.errors);
      const ok = received(result.messages)[0]!;
      assert.equal(ok.status, 200);
      assert.match(ok.header('allow') ?? '', /INVITE.*OPTIONS.*REGISTER/);
    });
  }

  it('logs the demo users created on first start, with their passwords, once', () => {
    assert.match(server.process.stdout, /demo user created \(password shown once\)/);
  });
});
