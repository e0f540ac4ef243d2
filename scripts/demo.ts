/**
 * `npm run demo`: starts twinline with SIPp peers on 127.0.0.1 and places three twinned
 * calls, so a newcomer can watch mobility happen: the log of each call, then the call
 * records (which leg rang, when, and how it ended). Everything it starts it stops.
 *
 *   1. the mobile answers after the dial delay: the desk phone is cancelled
 *   2. the mobile's voicemail answers at once: the answer guard hangs it up, the desk answers
 *   3. nobody answers: the call goes to voicemail after the No Answer Time
 */
import { peerOn, registeredPhone } from '../test/support/phones.js';
import { freeUdpPort } from '../test/support/ports.js';
import { stopAllProcesses } from '../test/support/processes.js';
import { startSipp } from '../test/support/sipp.js';
import { adminSession, startTwinline } from '../test/support/twinline.js';

interface CdrLeg {
  id: string;
  reason: string;
  target: string;
  placedAt?: number;
  answeredAt?: number;
  endedAt?: number;
  endReason?: string;
}
interface Cdr {
  from: string;
  to: string;
  startedAt: number;
  outcome: string;
  legs: CdrLeg[];
}

const say = (text: string) => process.stdout.write(`\n\x1b[1m▶ ${text}\x1b[0m\n`);

async function main(): Promise<void> {
  const carrierPort = await freeUdpPort();
  const voicemailPort = await freeUdpPort();
  say('starting twinline with a twinned user (desk 201, mobile 07700 900201 behind the carrier trunk)');
  const server = await startTwinline({
    logLevel: 'info',
    configYaml: `
system:
  timeZone: Europe/London
  voicemailUri: 'sip:voicemail@127.0.0.1:${voicemailPort}'
users:
  - extension: '201'
    name: Alice
    password: alice-demo-pw
    licence: mobile-worker
    noAnswerTime: 8
    mobility:
      mobilityFeatures: true
      mobileTwinning: true
      twinnedMobileNumber: '907700900201'
      mobileDialDelay: 2
      mobileAnswerGuard: 1
  - { extension: '202', name: Bob, password: bob-demo-pw }
trunks:
  - { name: carrier, kind: carrier, host: 127.0.0.1, port: ${carrierPort}, ownNumber: '441632960000' }
`,
  });
  server.process.on('line', (line: { text: string }) => {
    try {
      const entry = JSON.parse(line.text) as Record<string, unknown>;
      if (entry.msg === 'qualify probe') return;
      const { level: _l, time, name: _n, msg, ...rest } = entry;
      process.stdout.write(`  ${String(time).slice(11, 23)} ${msg} ${JSON.stringify(rest)}\n`);
    } catch {
      // not a log line
    }
  });

  const bobCalls = () =>
    startSipp({
      scenario: 'uac-invite-auth-bye',
      remote: server.address,
      service: '201',
      auth: { user: '202', pass: 'bob-demo-pw' },
      keys: { from_user: '202', hold_ms: 500 },
      timeoutMs: 20_000,
      name: 'demo-caller',
    });

  try {
    say('call 1: Bob calls Alice; her mobile answers 1.5 s after it starts ringing');
    {
      const desk = await registeredPhone(server, '201', 'alice-demo-pw', 'uas-never-answer');
      const mobile = await peerOn(carrierPort, 'uas-answer', {
        keys: { ring_ms: 1500 },
        name: 'demo-mobile',
      });
      await Promise.all([(await bobCalls()).result(), desk.sipp.result(), mobile.result()]);
    }
    say(
      'call 2: the mobile’s voicemail answers at once; the 1 s answer guard hangs it up and the desk answers',
    );
    {
      const desk = await registeredPhone(server, '201', 'alice-demo-pw', 'uas-answer', {
        keys: { ring_ms: 4000 },
      });
      const mobile = await peerOn(carrierPort, 'uas-answer-immediately', { name: 'demo-mobile-voicemail' });
      await Promise.all([(await bobCalls()).result(), desk.sipp.result(), mobile.result()]);
    }
    say('call 3: nobody answers; after the 8 s No Answer Time the call goes to voicemail');
    {
      const desk = await registeredPhone(server, '201', 'alice-demo-pw', 'uas-never-answer');
      const mobile = await peerOn(carrierPort, 'uas-never-answer', { name: 'demo-mobile-silent' });
      const voicemail = await peerOn(voicemailPort, 'uas-answer', {
        keys: { ring_ms: 10 },
        name: 'demo-voicemail',
      });
      await Promise.all([
        (await bobCalls()).result(),
        desk.sipp.result(),
        mobile.result(),
        voicemail.result(),
      ]);
    }

    say('call records (GET /api/cdrs): each leg, when it rang relative to the call, and how it ended');
    const api = await adminSession(server);
    const cdrs = ((await api.get('/api/cdrs?limit=3')) as Cdr[]).reverse();
    for (const cdr of cdrs) {
      process.stdout.write(`\n  ${cdr.from} → ${cdr.to}: ${cdr.outcome}\n`);
      for (const l of cdr.legs) {
        const t = (ms?: number) =>
          ms === undefined ? '   -  ' : `${((ms - cdr.startedAt) / 1000).toFixed(2).padStart(5)}s`;
        process.stdout.write(
          `    ${l.id.padEnd(4)} ${l.reason.padEnd(11)} ${l.target.padEnd(28)} rang ${t(l.placedAt)}  answered ${t(l.answeredAt)}  ended ${t(l.endedAt)}  ${l.endReason ?? ''}\n`,
        );
      }
    }
    say(`done. The admin page and API were at http://127.0.0.1:${server.httpPort}/ during the demo.`);
  } finally {
    await server.stop();
    await stopAllProcesses();
  }
}

main().catch(async (err) => {
  process.stderr.write(`demo failed: ${(err as Error).stack ?? String(err)}\n`);
  await stopAllProcesses();
  process.exitCode = 1;
});
