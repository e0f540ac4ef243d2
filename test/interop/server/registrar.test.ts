/**
 * The registrar of a running `twinline start`, driven by real SIPp and baresip and by a
 * raw UDP client where every byte matters (RFC 3261 §10, RFC 8760 digest).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type DigestCredentials, digestResponse, formatAuthorization } from '../../../src/sip/digest.js';
import type { SipResponse } from '../../../src/sip/message.js';
import { startBaresip } from '../../support/baresip.js';
import { freeUdpPort } from '../../support/ports.js';
import { stopAllProcesses } from '../../support/processes.js';
import { rawSipClient } from '../../support/raw-sip.js';
import { received, startSipp } from '../../support/sipp.js';
import { runTwinline, startTwinline, type TwinlineProcess } from '../../support/twinline.js';

const DIRECTORY = `
system:
  timeZone: Europe/London
  qualify: { intervalSeconds: 5, failureThreshold: 1 }
users:
  - { extension: '201', name: Alice, password: alice-secret, licence: mobile-worker }
  - { extension: '202', name: Bob, password: bob-secret }
  - { extension: '203', name: Carol, password: carol-secret }
`;

let server: TwinlineProcess;
before(async () => {
  server = await startTwinline({ configYaml: DIRECTORY });
});
after(async () => {
  await server?.stop();
  await stopAllProcesses();
});

/** The JSON log lines of the server that carry `msg`. */
function logLines(msg: string): Record<string, unknown>[] {
  return server.process.stdout
    .split('\n')
    .filter((l) => l.includes(`"msg":"${msg}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function register(port: number, user: string, cseq: number, extra = '', serverPort = server.port): string {
  return [
    `REGISTER sip:127.0.0.1:${serverPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-raw-${user}-${cseq};rport`,
    'Max-Forwards: 70',
    `From: <sip:${user}@twinline>;tag=raw${cseq}`,
    `To: <sip:${user}@twinline>`,
    `Call-ID: raw-register-${user}@127.0.0.1`,
    `CSeq: ${cseq} REGISTER`,
    `Contact: <sip:${user}@127.0.0.1:${port}>`,
    'Expires: 600',
    extra,
    'Content-Length: 0',
    '',
    '',
  ]
    .filter((l, i, all) => l !== '' || i >= all.length - 2)
    .join('\r\n');
}

function authorization(
  challenge: SipResponse,
  user: string,
  password: string,
  nc: number,
  serverPort = server.port,
  algorithm: 'MD5' | 'SHA-256' = 'MD5',
): string {
  // This client answers the challenge of the one algorithm it is told to support (RFC 8760 §2.4).
  const header = challenge.headers
    .getAll('www-authenticate')
    .find((h) => h.includes(`algorithm=${algorithm}`))!;
  const c: DigestCredentials = {
    username: user,
    realm: /realm="([^"]+)"/.exec(header)![1]!,
    nonce: /nonce="([^"]+)"/.exec(header)![1]!,
    uri: `sip:127.0.0.1:${serverPort}`,
    algorithm,
    qop: 'auth',
    nc: nc.toString(16).padStart(8, '0'),
    cnonce: 'raw-cnonce',
    response: '',
  };
  c.response = digestResponse(c, password, 'REGISTER');
  return `Authorization: ${formatAuthorization(c)}`;
}

describe('registrar over real SIP (RFC 3261 §10.3, RFC 8760)', () => {
  it('SIPp with the right password gets 401 then 200 listing its binding', async () => {
    const phone = await startSipp({
      scenario: 'uac-register-digest',
      remote: server.address,
      timeoutMs: 10_000,
      keys: { user: '201', password: 'alice-secret', domain: 'twinline', expires: 300 },
    });
    const result = await phone.result();
    assert.equal(result.outcome, 'ok', result.errors);
    const [challenge, ok] = received(result.messages);
    assert.equal(challenge?.status, 401);
    // The default offers MD5 alone, which SIPp needs: it reads only the first challenge.
    assert.deepEqual(
      challenge?.headerValues('www-authenticate').map((h) => /algorithm=([\w-]+)/.exec(h)?.[1]),
      ['MD5'],
    );
    assert.equal(ok?.status, 200);
    assert.match(
      ok?.header('contact') ?? '',
      new RegExp(`sip:201@127\\.0\\.0\\.1:${phone.port}.*;expires=300`),
    );
  });

  it('SIPp with a wrong password is challenged again and never bound', async () => {
    const phone = await startSipp({
      scenario: 'uac-register-digest',
      remote: server.address,
      timeoutMs: 10_000,
      keys: { user: '202', password: 'not-bobs', domain: 'twinline' },
    });
    const result = await phone.result();
    assert.equal(result.outcome, 'failed');
    const statuses = received(result.messages).map((m) => m.status);
    assert.ok(statuses.length >= 2, 'challenged, then refused');
    assert.ok(
      statuses.every((s) => s === 401),
      `only 401s, got ${statuses.join(', ')}`,
    );
    assert.equal(
      logLines('registered').some((l) => l.user === '202'),
      false,
    );
  });

  it('refuses a replayed nonce-count and accepts the next count', async () => {
    const client = await rawSipClient({ address: '127.0.0.1', port: server.port });
    try {
      client.send(register(client.port, '203', 1));
      const challenge = await client.next();
      assert.equal(challenge.status, 401);
      const auth1 = authorization(challenge, '203', 'carol-secret', 1);
      client.send(register(client.port, '203', 2, auth1));
      assert.equal((await client.next()).status, 200);
      client.send(register(client.port, '203', 3, auth1));
      assert.equal((await client.next()).status, 401, 'the same nonce-count again is a replay');
      client.send(register(client.port, '203', 4, authorization(challenge, '203', 'carol-secret', 2)));
      assert.equal((await client.next()).status, 200);
    } finally {
      client.close();
    }
  });

  it('FB-3 a SIPp contact that stops answering OPTIONS turns unreachable, and reachable when it answers again', async () => {
    const port = await freeUdpPort();
    const phone = await startSipp({
      scenario: 'uac-register-digest',
      remote: server.address,
      localPort: port,
      timeoutMs: 10_000,
      keys: { user: '201', password: 'alice-secret', domain: 'twinline', expires: 600 },
    });
    assert.equal((await phone.result()).outcome, 'ok');
    const reach = (value: boolean) => () =>
      logLines('extension reachability changed').filter((l) => l.user === '201' && l.reachable === value)
        .length;
    const unreachableBefore = reach(false)();
    const reachableBefore = reach(true)();

    // Nobody answers on the contact's port now: the next probe fails (threshold 1).
    await server.process.waitForOutput(
      new RegExp(`("user":"201","reachable":false[\\s\\S]*){${unreachableBefore + 1}}`),
      { timeoutMs: 15_000, what: 'extension 201 to turn unreachable' },
    );
    // A peer answering OPTIONS on that port brings it back.
    const responder = await startSipp({
      scenario: 'uas-options-responder',
      localPort: port,
      calls: 0,
      timeoutMs: 20_000,
    });
    await server.process.waitForOutput(
      new RegExp(`("user":"201","reachable":true[\\s\\S]*){${reachableBefore + 1}}`),
      { timeoutMs: 15_000, what: 'extension 201 to turn reachable again' },
    );
    const answered = responder.messages().filter((m) => m.direction === 'received' && m.method === 'OPTIONS');
    assert.ok(answered.length >= 1);
    assert.equal(answered[0]?.requestUri, `sip:201@127.0.0.1:${port};transport=UDP`);
    await responder.stop();
  });

  it('baresip registers with its password and its contact is qualified reachable', async () => {
    const phone = await startBaresip({
      user: '202',
      password: 'bob-secret',
      registrar: server.address,
      domain: 'twinline',
    });
    try {
      await phone.waitForEvent('REGISTER_OK', { timeoutMs: 10_000 });
      await server.process.waitForOutput(/"user":"202","contact":"[^"]+","ok":true,"msg":"qualify probe"/, {
        timeoutMs: 15_000,
        what: 'a successful qualify probe of baresip',
      });
    } finally {
      await phone.stop();
    }
  });

  it('CFG-4 a digest setting imported into the running server applies to the next REGISTER', async () => {
    const changed = DIRECTORY.replace(
      'timeZone: Europe/London',
      'timeZone: Europe/London\n  digestAlgorithms: [SHA-256, MD5]',
    );
    const file = path.join(server.dataDir, 'sha256-first.yaml');
    writeFileSync(file, changed);
    const before = logLines('configuration changed').length;
    const imported = runTwinline(['config', 'import', file, '--data', server.dataDir]);
    assert.equal(imported.status, 0, imported.stderr);
    await server.process.waitForOutput(
      new RegExp(`("msg":"configuration changed"[\\s\\S]*){${before + 1}}`),
      {
        timeoutMs: 10_000,
        what: 'the server to apply the imported directory',
      },
    );
    const client = await rawSipClient({ address: '127.0.0.1', port: server.port });
    try {
      client.send(register(client.port, '203', 20));
      const challenge = await client.next();
      assert.deepEqual(
        challenge.headers.getAll('www-authenticate').map((h) => /algorithm=([\w-]+)/.exec(h)?.[1]),
        ['SHA-256', 'MD5'],
      );
      client.send(
        register(
          client.port,
          '203',
          21,
          authorization(challenge, '203', 'carol-secret', 1, server.port, 'SHA-256'),
        ),
      );
      assert.equal((await client.next()).status, 200);
    } finally {
      client.close();
    }
  });

  it('keeps bindings across a restart of the server', async () => {
    await server.process.stop();
    const restarted = await startTwinline({ dataDir: server.dataDir });
    try {
      const client = await rawSipClient({ address: '127.0.0.1', port: restarted.port });
      try {
        // A REGISTER without Contact is a query (RFC 3261 §10.2.3).
        const query = (cseq: number, extra = '') =>
          register(client.port, '203', cseq, extra, restarted.port).replace(
            /Contact: [^\r]*\r\nExpires: 600\r\n/,
            '',
          );
        client.send(query(10));
        const challenge = await client.next();
        client.send(query(11, authorization(challenge, '203', 'carol-secret', 1, restarted.port)));
        const ok = await client.next();
        assert.equal(ok.status, 200);
        assert.match(ok.headers.getAll('contact').join(','), /sip:203@127\.0\.0\.1:\d+>;expires=\d+/);
      } finally {
        client.close();
      }
    } finally {
      await restarted.stop();
    }
  });
});
