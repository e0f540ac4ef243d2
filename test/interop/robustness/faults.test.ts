/**
 * Faults around a running `twinline start`, every peer a real process on loopback: the
 * carrier trunk down (answering 503, or nothing listening at all), the server killed with
 * SIGKILL while phones register and restarted on the same data, a flood of TCP connections
 * from one address, and a callee that vanishes mid-call without a BYE.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { peerOn, registeredPhone } from '../../support/phones.js';
import { freeUdpPort } from '../../support/ports.js';
import { stopAllProcesses } from '../../support/processes.js';
import { received, type SippMessage, sent, startSipp } from '../../support/sipp.js';
import { runTwinline, startTwinline, type TwinlineProcess } from '../../support/twinline.js';
import { waitFor, waitForEvent, withTimeout } from '../../support/wait.js';

let server: TwinlineProcess;
let carrierPort: number;
const NO_ANSWER_S = 6;

before(async () => {
  carrierPort = await freeUdpPort();
  server = await startTwinline({
    configYaml: `
system:
  timeZone: Europe/London
  outsideLinePrefix: '9'
  callKeepAliveSeconds: 3
users:
  - { extension: '201', name: Alice, password: alice-secret }
  - { extension: '202', name: Bob, password: bob-secret }
  - extension: '203'
    name: Carol
    password: carol-secret
    licence: mobile-worker
    noAnswerTime: ${NO_ANSWER_S}
    voicemail: { enabled: false }
    mobility:
      mobilityFeatures: true
      mobileTwinning: true
      twinnedMobileNumber: '907700900203'
      mobileDialDelay: 1
      mobileAnswerGuard: 1
trunks:
  - { name: carrier, kind: carrier, host: 127.0.0.1, port: ${carrierPort}, ownNumber: '441632960000' }
`,
  });
});
after(async () => {
  await server?.stop();
  await stopAllProcesses();
});

/** 201 calls `service` and expects the call to fail after authenticating. */
function failingCallFrom201(service: string, timeoutMs: number) {
  return startSipp({
    scenario: 'uac-invite-auth-rejected',
    remote: server.address,
    service,
    auth: { user: '201', pass: 'alice-secret' },
    keys: { from_user: '201' },
    timeoutMs,
    name: `caller-201-${service}`,
  });
}

/** From the authenticated INVITE (CSeq 2) to the caller's final response, in ms. */
function timeToFinal(messages: readonly SippMessage[]): { status: number; ms: number } {
  const invite = sent(messages).find((m) => m.method === 'INVITE' && /^2 /.test(m.header('cseq') ?? ''));
  const final = received(messages).find(
    (m) => m.kind === 'response' && (m.status ?? 0) >= 300 && /^2 /.test(m.header('cseq') ?? ''),
  );
  assert.ok(invite && final, 'the authenticated INVITE and its final response are in the trace');
  return { status: final.status ?? 0, ms: final.timeMs - invite.timeMs };
}

describe('carrier trunk down', () => {
  for (const variant of ['answers 503', 'has nothing listening'] as const) {
    it(`twinned user, carrier ${variant}: the desk keeps ringing until the No Answer Time, then the call fails`, async (t) => {
      const desk = await registeredPhone(server, '203', 'carol-secret', 'uas-never-answer');
      const carrier =
        variant === 'answers 503' ? await peerOn(carrierPort, 'uas-503', { name: 'carrier-503' }) : undefined;
      const caller = await failingCallFrom201('203', 15_000);
      const [c, d] = await Promise.all([caller.result(), desk.sipp.result()]);
      assert.equal(c.outcome, 'ok', c.errors);
      assert.equal(d.outcome, 'ok', d.errors);
      const deskInvite = received(d.messages).find((m) => m.method === 'INVITE')!;
      const deskCancel = received(d.messages).find((m) => m.method === 'CANCEL')!;
      const rang = deskCancel.timeMs - deskInvite.timeMs;
      // MT-5: the no-answer timer, not the mobile leg's failure, ends the desk's ringing.
      assert.ok(
        rang >= NO_ANSWER_S * 1000 - 100 && rang < NO_ANSWER_S * 1000 + 1000,
        `desk rang ${rang.toFixed(0)} ms (No Answer Time ${NO_ANSWER_S} s)`,
      );
      const final = timeToFinal(c.messages);
      t.diagnostic(
        `desk rang ${rang.toFixed(0)} ms; the caller got ${final.status} after ${final.ms.toFixed(0)} ms`,
      );
      assert.ok(
        final.ms < NO_ANSWER_S * 1000 + 1500,
        `caller's ${final.status} after ${final.ms.toFixed(0)} ms`,
      );
      if (carrier) {
        const k = await carrier.result();
        assert.equal(k.outcome, 'ok', k.errors);
        const mobileInvite = received(k.messages).find((m) => m.method === 'INVITE')!;
        const delay = mobileInvite.timeMs - deskInvite.timeMs;
        assert.ok(
          delay >= 900 && delay < 1500,
          `mobile leg ${delay.toFixed(0)} ms after the desk (dial delay 1 s)`,
        );
      }
    });
  }

  it('call to a number on the trunk, carrier answers 503: the caller gets 503 at once', async () => {
    const carrier = await peerOn(carrierPort, 'uas-503', { name: 'carrier-503-direct' });
    const caller = await failingCallFrom201('901632960999', 10_000);
    const [c, k] = await Promise.all([caller.result(), carrier.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(k.outcome, 'ok', k.errors);
    const final = timeToFinal(c.messages);
    assert.equal(final.status, 503);
    assert.ok(final.ms < 1000, `503 after ${final.ms.toFixed(0)} ms`);
  });

  it('call to a number on the trunk, nothing listening on the carrier port: the caller gets a failure within 5 s', async () => {
    const caller = await failingCallFrom201('901632960998', 10_000);
    try {
      const invite = await caller.waitForMessage(
        (m) => m.direction === 'sent' && m.method === 'INVITE' && /^2 /.test(m.header('cseq') ?? ''),
        { timeoutMs: 5_000, what: 'the authenticated INVITE to the trunk number' },
      );
      const final = await caller.waitForMessage(
        (m) => m.direction === 'received' && (m.status ?? 0) >= 300 && /^2 /.test(m.header('cseq') ?? ''),
        { timeoutMs: 5_000, what: 'a final failure while the trunk does not answer' },
      );
      const ms = final.timeMs - invite.timeMs;
      assert.ok((final.status ?? 0) >= 500, `${final.status} after ${ms.toFixed(0)} ms`);
    } finally {
      await caller.stop();
    }
  });
});

describe('TCP connection flood from one address', () => {
  it('200 connections from 127.0.0.1: at most 64 are kept, other peers are still served, all close at the end', async () => {
    const sockets: net.Socket[] = [];
    let closed = 0;
    const events = new (await import('node:events')).EventEmitter();
    try {
      await Promise.all(
        Array.from({ length: 200 }, async () => {
          const socket = net.connect({ host: '127.0.0.1', port: server.port });
          sockets.push(socket);
          socket.on('error', () => undefined);
          socket.once('close', () => {
            closed += 1;
            events.emit('closed');
          });
          // A connection over the cap is accepted by the kernel, then closed by the server.
          await withTimeout(
            new Promise<void>((resolve) => {
              socket.once('connect', () => resolve());
              socket.once('close', () => resolve());
            }),
            { timeoutMs: 10_000, what: 'a flood connection to be accepted' },
          );
        }),
      );
      await waitFor(() => closed >= 200 - 64 || undefined, {
        timeoutMs: 10_000,
        what: 'the server to close the connections over its per-source cap',
        wakeOn: [events, 'closed'],
        detail: () => `${closed} closed of 200`,
      });
      // While the flood holds its 64, a UDP peer and a TCP peer from another address are served.
      const options = await startSipp({ scenario: 'uac-options', remote: server.address, timeoutMs: 10_000 });
      const o = await options.result();
      assert.equal(o.outcome, 'ok', o.errors);
      const other = net.connect({ host: '127.0.0.1', port: server.port, localAddress: '127.0.0.2' });
      other.on('error', () => undefined);
      try {
        await waitForEvent(other, 'connect', { timeoutMs: 5_000, what: 'a TCP connection from 127.0.0.2' });
        const answered = waitForEvent<[Buffer]>(other, 'data', {
          timeoutMs: 5_000,
          what: 'OPTIONS over TCP from 127.0.0.2',
        });
        other.write(
          [
            `OPTIONS sip:127.0.0.1:${server.port} SIP/2.0`,
            `Via: SIP/2.0/TCP 127.0.0.2:${other.localPort};branch=z9hG4bK-flood-other`,
            'Max-Forwards: 70',
            'From: <sip:other@127.0.0.2>;tag=o',
            `To: <sip:127.0.0.1:${server.port}>`,
            'Call-ID: flood-other@127.0.0.2',
            'CSeq: 1 OPTIONS',
            'Content-Length: 0',
            '',
            '',
          ].join('\r\n'),
        );
        const [reply] = await answered;
        assert.match(reply.toString('latin1'), /^SIP\/2\.0 200 /);
      } finally {
        other.destroy();
      }
      const open = sockets.filter((s) => !s.destroyed).length;
      assert.ok(open <= 64, `${open} connections from 127.0.0.1 still open (cap 64)`);
      assert.ok(open >= 60, `${open} kept: the cap, not a lower bound, limits the flood`);
    } finally {
      for (const s of sockets) s.destroy();
    }
    await waitFor(() => closed === 200 || undefined, {
      timeoutMs: 5_000,
      what: 'every flood socket to close',
      wakeOn: [events, 'closed'],
      detail: () => `${closed} closed of 200`,
    });
  });
});

describe('a peer vanishes mid-call', () => {
  it('the callee’s process is killed after the call is connected (no BYE): the caller is hung up within 10 s', async () => {
    const bob = await registeredPhone(server, '202', 'bob-secret', 'uas-answer', {
      keys: { ring_ms: 100 },
      timeoutMs: 30_000,
    });
    const caller = await startSipp({
      scenario: 'uac-invite-auth-wait-bye',
      remote: server.address,
      service: '202',
      auth: { user: '201', pass: 'alice-secret' },
      keys: { from_user: '201' },
      timeoutMs: 15_000,
      name: 'caller-201-waits-for-bye',
      // The caller answers the call keep-alive OPTIONS (callKeepAliveSeconds: 3) with 200.
      extraArgs: ['-aa'],
    });
    await bob.sipp.waitForMessage((m) => m.direction === 'received' && m.method === 'ACK', {
      timeoutMs: 10_000,
      what: 'the callee to see the ACK of its 200',
    });
    bob.sipp.process.kill('SIGKILL');
    await bob.sipp.process.waitForExit({ timeoutMs: 5_000 });
    try {
      await caller.waitForMessage((m) => m.direction === 'received' && m.method === 'BYE', {
        timeoutMs: 10_000,
        what: 'a BYE to the caller after its callee vanished',
      });
    } finally {
      await caller.stop();
    }
  });
});

describe('kill -9 while phones register', () => {
  const USERS = 50;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'twinline-kill9-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const ext = (i: number) => String(300 + i);
  const pass = (i: number) => `pw-${300 + i}`;

  it('restarted on the same data: the directory and every registration committed before the kill are there, and it serves', async () => {
    const users = Array.from(
      { length: USERS },
      (_, i) => `  - { extension: '${ext(i)}', name: 'User ${ext(i)}', password: ${pass(i)} }`,
    ).join('\n');
    const first = await startTwinline({
      dataDir,
      configYaml: `system:\n  timeZone: Europe/London\nusers:\n${users}\n`,
    });
    const adminPassword = firstStartPassword(first);

    // Phones register one after another (a modest rate); the kill lands while a batch is in flight.
    const register = (i: number) =>
      startSipp({
        scenario: 'uac-register-digest',
        remote: first.address,
        timeoutMs: 10_000,
        name: `register-${ext(i)}`,
        keys: { user: ext(i), password: pass(i), domain: 'twinline', expires: 600 },
      });
    const committed: string[] = [];
    for (let i = 0; i < 25; i++) {
      const r = await (await register(i)).result();
      assert.equal(r.outcome, 'ok', `${ext(i)} registers: ${r.errors}`);
      committed.push(ext(i));
    }
    const inFlight = await Promise.all(Array.from({ length: 5 }, (_, k) => register(25 + k)));
    await inFlight[0]!.waitForMessage((m) => m.direction === 'sent' && m.method === 'REGISTER', {
      timeoutMs: 5_000,
      what: 'the in-flight batch to start registering',
    });
    first.process.kill('SIGKILL');
    const exit = await first.process.waitForExit({ timeoutMs: 5_000 });
    assert.equal(exit.signal, 'SIGKILL');
    await Promise.all(inFlight.map((r) => r.stop()));

    const again = await startTwinline({ dataDir });
    try {
      // All config is there.
      const exported = runTwinline(['config', 'export', '--data', dataDir]);
      assert.equal(exported.status, 0, exported.stderr);
      for (let i = 0; i < USERS; i++)
        assert.match(exported.stdout, new RegExp(`extension: ['"]?${ext(i)}['"]?`));

      // The registrations committed before the kill are there.
      const registrations = (await adminGet(again, adminPassword, '/api/registrations')) as { aor: string }[];
      const aors = new Set(registrations.map((r) => r.aor.replace(/^sips?:/, '').replace(/@.*$/, '')));
      const missing = committed.filter((e) => !aors.has(e));
      assert.deepEqual(missing, [], `registrations after the restart: ${[...aors].sort().join(' ')}`);

      // It serves again: OPTIONS, then a call between two of the users.
      const options = await startSipp({ scenario: 'uac-options', remote: again.address, timeoutMs: 10_000 });
      assert.equal((await options.result()).outcome, 'ok');
      const callee = await registeredPhone(again, ext(1), pass(1), 'uas-answer', { keys: { ring_ms: 50 } });
      const caller = await startSipp({
        scenario: 'uac-invite-auth-bye',
        remote: again.address,
        service: ext(1),
        auth: { user: ext(0), pass: pass(0) },
        keys: { from_user: ext(0), hold_ms: 100 },
        timeoutMs: 15_000,
        name: 'caller-after-restart',
      });
      const [a, b] = await Promise.all([caller.result(), callee.sipp.result()]);
      assert.equal(a.outcome, 'ok', a.errors);
      assert.equal(b.outcome, 'ok', b.errors);
    } finally {
      await again.stop();
    }
  });
});

function firstStartPassword(server: TwinlineProcess): string {
  const line = server.process.stdout
    .split('\n')
    .find((l) => l.includes('"account":"admin"') && l.includes('"password"'));
  if (!line) throw new Error('the server log holds no first-start admin password');
  return (JSON.parse(line) as { password: string }).password;
}

/** Signs in with a password printed by an earlier process on the same data, then GETs. */
async function adminGet(server: TwinlineProcess, password: string, url: string): Promise<unknown> {
  const base = `http://127.0.0.1:${server.httpPort}`;
  const session = await fetch(`${base}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ account: 'admin', password }),
    signal: AbortSignal.timeout(5000),
  });
  assert.equal(session.status, 200, await session.clone().text());
  const cookie = (session.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const res = await fetch(`${base}${url}`, { headers: { cookie }, signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200);
  return res.json();
}
