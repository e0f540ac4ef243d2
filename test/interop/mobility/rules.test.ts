/**
 * Mobile twinning rules without an end-to-end test elsewhere, on real SIP: when mobile
 * twinning applies (MT-6 time profile, MT-7 eligibility), at most one mobile-side call
 * per user (MT-8), a call connected on the mobile makes the user busy (MT-10), the fixed
 * twinning caller ID (CLI-2) and the twinning mode switch (WPC-1). Desk phones are
 * registered SIPp processes, every mobile is a SIPp peer on the carrier trunk's port,
 * callers are digest-authenticated extensions. Short configured times: dial delay 1 s.
 *
 * A mobile leg that must not be placed is checked past the moment it would have started:
 * either its peer has a short SIPp timeout and ends with no messages, or the call that
 * would have placed it lasts beyond that moment and the peer, still running, logged only
 * the INVITEs expected.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { peerOn, registeredPhone } from '../../support/phones.js';
import { freeUdpPort } from '../../support/ports.js';
import { stopAllProcesses } from '../../support/processes.js';
import { ladder, type SippMessage, sent, startSipp } from '../../support/sipp.js';
import { answerOf, callArrivedAt, final, first, invites } from '../../support/sipp-assert.js';
import { adminSession, startTwinline, type TwinlineProcess } from '../../support/twinline.js';

let server: TwinlineProcess;
let carrierPort: number;

const ZONE = 'Europe/London';
const COMPLETED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';
/** Dial delay 1 s: the mobile INVITE this long after the desk's, within the tolerance. */
const DIAL_DELAY = { min: 950, max: 1300 };
/** How soon "at once" must be: an INVITE relayed through twinline on loopback. */
const AT_ONCE_MS = 300;
const FIXED_CLI = '441632960999';

/** The weekday (mon…sun) of an instant in the system time zone. */
function weekdayIn(zone: string, at: Date): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: zone, weekday: 'short' }).format(at).toLowerCase();
}
/**
 * A day that is neither today nor tomorrow in the system zone: a profile active only then
 * is inactive when the call is offered, even if the test runs across midnight.
 */
const offDay = weekdayIn(ZONE, new Date(Date.now() + 48 * 3600_000));

const password = (ext: string) => `secret-${ext}-pw`;
/** The mobile number of a user, as dialled (outside-line prefix 9), and as the carrier sees it. */
const mobileOf = (ext: string) => `907700900${ext}`;
const mobileUri = (ext: string) => `sip:07700900${ext}@127.0.0.1:${carrierPort}`;

/** A mobile-worker with mobile twinning, dial delay 1 s, no voicemail; `extra` YAML in the mobility block. */
function twinned(ext: string, name: string, extra = '', userExtra = ''): string {
  return `
  - extension: '${ext}'
    name: ${name}
    password: ${password(ext)}
    licence: mobile-worker
    noAnswerTime: 8
    voicemail: { enabled: false }${userExtra}
    mobility:
      mobilityFeatures: true
      mobileTwinning: true
      twinnedMobileNumber: '${mobileOf(ext)}'
      mobileDialDelay: 1${extra}`;
}

before(async () => {
  carrierPort = await freeUdpPort();
  server = await startTwinline({
    configYaml: `
system:
  timeZone: ${ZONE}
  outsideLinePrefix: '9'
users:
  - { extension: '201', name: Alice, password: ${password('201')} }
  - { extension: '202', name: Bob, password: ${password('202')} }
${twinned('210', 'Tess', '\n      twinningTimeProfile: Off day')}
${twinned('211', 'Tom', '\n      twinningTimeProfile: Always')}
${twinned('212', 'Clio')}
${twinned('220', 'Hana', '\n      huntGroupCallsEligible: true')}
${twinned('221', 'Hugo', '\n      huntGroupCallsEligible: false')}
${twinned('222', 'Faye', '\n      forwardedCallsEligible: true')}
${twinned('223', 'Finn', '\n      forwardedCallsEligible: false')}
  - { extension: '224', name: Fwd Faye, password: ${password('224')}, forwardUnconditional: { enabled: true, destination: '222' } }
  - { extension: '225', name: Fwd Finn, password: ${password('225')}, forwardUnconditional: { enabled: true, destination: '223' } }
${twinned('230', 'Max')}
${twinned('240', 'Bea', '', '\n    callWaiting: false')}
${twinned('241', 'Cal', '', '\n    callWaiting: true')}
${twinned('260', 'Wes', "\n      internalTwinning: true\n      twinnedHandset: '261'", '\n    twinningMode: mobile')}
  - { extension: '261', name: Wes DECT, password: ${password('261')} }
huntGroups:
  - { name: Twins, extension: '600', members: ['220', '221'], ringMode: collective, voicemail: { enabled: false } }
timeProfiles:
  - name: Off day
    entries: [{ kind: weekly, days: [${offDay}], start: '00:00', end: '24:00' }]
  - name: Always
    entries: [{ kind: weekly, days: [mon, tue, wed, thu, fri, sat, sun], start: '00:00', end: '24:00' }]
trunks:
  - { name: carrier, kind: carrier, host: 127.0.0.1, port: ${carrierPort}, ownNumber: '441632960000' }
shortCodes:
  - { code: '*95', feature: twinningModeInternal }
`,
  });
});
after(async () => {
  await server?.stop();
  await stopAllProcesses();
});

type CallerScenario =
  | 'uac-invite-auth-bye'
  | 'uac-invite-auth-rejected'
  | 'uac-invite-auth-cancel'
  | 'uac-invite-auth-wait-bye';

function call(
  from: '201' | '202' | '260',
  to: string,
  scenario: CallerScenario = 'uac-invite-auth-bye',
  keys: Record<string, string | number> = {},
) {
  return startSipp({
    scenario,
    remote: server.address,
    service: to,
    auth: { user: from, pass: password(from) },
    keys: { from_user: from, ...(scenario === 'uac-invite-auth-bye' ? { hold_ms: 100 } : {}), ...keys },
    timeoutMs: 20_000,
    name: `caller-${from}-to-${to.replace(/[*#]/g, '_')}`,
  });
}

function phone(
  ext: string,
  scenario: 'uas-answer' | 'uas-never-answer',
  options: { ringMs?: number; calls?: number; timeoutMs?: number } = {},
) {
  return registeredPhone(server, ext, password(ext), scenario, {
    keys: options.ringMs === undefined ? undefined : { ring_ms: options.ringMs },
    calls: options.calls,
    timeoutMs: options.timeoutMs,
  });
}

function assertDialDelay(desk: SippMessage, mobile: SippMessage): void {
  const delay = mobile.timeMs - desk.timeMs;
  assert.ok(
    delay >= DIAL_DELAY.min && delay < DIAL_DELAY.max,
    `mobile leg ${delay.toFixed(0)} ms after the desk (dial delay 1 s)`,
  );
}

const ANSWERED = ['< INVITE', '> 100', '> 180', '> 200', '< ACK', '< BYE', '> 200'];
const CANCELLED = ['< INVITE', '> 100', '> 180', '< CANCEL', '> 200', '> 487', '< ACK'];

describe('mobility rules over SIP: mobile twinning', () => {
  it(`MT-6 a twinningTimeProfile that is inactive now (a weekly entry for ${offDay} only): the desk rings, no mobile leg is placed`, async () => {
    // The desk answers at 2 s, a second after the mobile leg would have started.
    const desk = await phone('210', 'uas-answer', { ringMs: 2000 });
    const mobile = await peerOn(carrierPort, 'uas-answer', { name: 'mobile-210-unused', timeoutMs: 3000 });
    const caller = await call('201', '210');
    const [c, d] = await Promise.all([caller.result(), desk.sipp.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(d.outcome, 'ok', d.errors);
    assert.deepEqual(ladder(d.messages), ANSWERED);
    assert.equal(final(c.messages).body.replace(/\r/g, ''), answerOf(d.messages));
    const m = await mobile.result();
    assert.deepEqual(ladder(m.messages), [], 'the carrier saw nothing');
  });

  it('MT-6 a twinningTimeProfile active now (every day 00:00–24:00): the mobile leg is placed after the dial delay', async () => {
    const desk = await phone('211', 'uas-never-answer');
    const mobile = await peerOn(carrierPort, 'uas-answer', { keys: { ring_ms: 300 }, name: 'mobile-211' });
    const caller = await call('201', '211');
    const [c, d, m] = await Promise.all([caller.result(), desk.sipp.result(), mobile.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(d.outcome, 'ok', d.errors);
    assert.equal(m.outcome, 'ok', m.errors);
    const mobileInvite = first(m.messages, 'INVITE');
    assert.equal(mobileInvite.requestUri, mobileUri('211'));
    assertDialDelay(first(d.messages, 'INVITE'), mobileInvite);
    assert.deepEqual(ladder(m.messages), ANSWERED);
    assert.equal(first(d.messages, 'CANCEL').header('reason'), COMPLETED_ELSEWHERE);
    assert.equal(final(c.messages).body.replace(/\r/g, ''), answerOf(m.messages));
  });

  it('MT-7 a collective hunt group call twins to the mobile of the member with huntGroupCallsEligible on, not of the member with it off', async () => {
    const hana = await phone('220', 'uas-never-answer');
    const hugo = await phone('221', 'uas-never-answer');
    // Hana's mobile answers 1.5 s after its leg starts: both mobile legs (1 s) would be
    // placed and alerting long before then, and the carrier, still in its one call, logs any.
    const mobile = await peerOn(carrierPort, 'uas-answer', { keys: { ring_ms: 1500 }, name: 'mobile-hunt' });
    const caller = await call('201', '600');
    const [c, a, b, m] = await Promise.all([
      caller.result(),
      hana.sipp.result(),
      hugo.sipp.result(),
      mobile.result(),
    ]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(a.outcome, 'ok', a.errors);
    assert.equal(b.outcome, 'ok', b.errors);
    assert.equal(m.outcome, 'ok', m.errors);
    const deskApart = Math.abs(first(a.messages, 'INVITE').timeMs - first(b.messages, 'INVITE').timeMs);
    assert.ok(deskApart < AT_ONCE_MS, `both members' desks rang together (${deskApart.toFixed(0)} ms apart)`);
    assert.deepEqual(
      invites(m.messages).map((x) => x.requestUri),
      [mobileUri('220')],
      'one mobile leg, to Hana’s mobile only',
    );
    assertDialDelay(first(a.messages, 'INVITE'), first(m.messages, 'INVITE'));
    assert.deepEqual(ladder(m.messages), ANSWERED);
    assert.deepEqual(ladder(a.messages), CANCELLED);
    assert.deepEqual(ladder(b.messages), CANCELLED);
    assert.equal(first(a.messages, 'CANCEL').header('reason'), COMPLETED_ELSEWHERE);
    assert.equal(first(b.messages, 'CANCEL').header('reason'), COMPLETED_ELSEWHERE);
    assert.equal(final(c.messages).body.replace(/\r/g, ''), answerOf(m.messages));
  });

  it('MT-7 a call forwarded (unconditional) to a user with forwardedCallsEligible on twins to that user’s mobile', async () => {
    const desk = await phone('222', 'uas-never-answer');
    const mobile = await peerOn(carrierPort, 'uas-answer', { keys: { ring_ms: 300 }, name: 'mobile-222' });
    const caller = await call('201', '224');
    const [c, d, m] = await Promise.all([caller.result(), desk.sipp.result(), mobile.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(d.outcome, 'ok', d.errors);
    assert.equal(m.outcome, 'ok', m.errors);
    assert.match(
      first(d.messages, 'INVITE').header('from') ?? '',
      /<sip:201@twinline>/,
      'the desk shows the caller',
    );
    const mobileInvite = first(m.messages, 'INVITE');
    assert.equal(mobileInvite.requestUri, mobileUri('222'));
    assertDialDelay(first(d.messages, 'INVITE'), mobileInvite);
    assert.deepEqual(ladder(m.messages), ANSWERED);
    assert.equal(first(d.messages, 'CANCEL').header('reason'), COMPLETED_ELSEWHERE);
  });

  it('MT-7 a call forwarded (unconditional) to a user with forwardedCallsEligible off rings only the desk', async () => {
    const desk = await phone('223', 'uas-answer', { ringMs: 2000 });
    const mobile = await peerOn(carrierPort, 'uas-answer', { name: 'mobile-223-unused', timeoutMs: 3000 });
    const caller = await call('201', '225');
    const [c, d] = await Promise.all([caller.result(), desk.sipp.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(d.outcome, 'ok', d.errors);
    assert.deepEqual(ladder(d.messages), ANSWERED);
    assert.match(first(d.messages, 'INVITE').header('from') ?? '', /<sip:201@twinline>/);
    const m = await mobile.result();
    assert.deepEqual(ladder(m.messages), [], 'the carrier saw nothing (the call lasted 2 s, dial delay 1 s)');
  });

  it('MT-8 while a first call is alerting the user’s mobile, a second call rings the desk but places no mobile leg', async () => {
    const desk = await phone('230', 'uas-never-answer', { calls: 2 });
    const mobile = await peerOn(carrierPort, 'uas-never-answer', { calls: 2, name: 'mobile-230' });
    // The first caller gives up 3 s after ringback, the second 2 s after: the second call's
    // mobile leg would start 1 s after it arrived, while the first call's is still alerting.
    const caller1 = await call('201', '230', 'uac-invite-auth-cancel', { cancel_after_ms: 3000 });
    const firstMobile = await mobile.waitForMessage(
      (x) => x.direction === 'received' && x.method === 'INVITE',
      {
        timeoutMs: 5000,
        what: 'the first call’s mobile leg',
      },
    );
    const caller2 = await call('202', '230', 'uac-invite-auth-cancel', { cancel_after_ms: 2000 });
    const [c1, c2, d] = await Promise.all([caller1.result(), caller2.result(), desk.sipp.result()]);
    assert.equal(c1.outcome, 'ok', c1.errors);
    assert.equal(c2.outcome, 'ok', c2.errors);
    assert.equal(d.outcome, 'ok', d.errors);
    const second = callArrivedAt(c2.messages);
    assert.ok(second > firstMobile.timeMs, 'the second call arrived while the first rang the mobile');
    const deskInvites = invites(d.messages);
    assert.equal(deskInvites.length, 2, 'the desk rang for both calls');
    assert.ok(deskInvites[1]!.timeMs - second < AT_ONCE_MS, 'the desk rang at once for the second call');
    // Both callers have gone: every moment a second mobile leg could have started is past.
    const m = await mobile.stop();
    assert.deepEqual(
      invites(m.messages).map((x) => x.requestUri),
      [mobileUri('230')],
      `one mobile leg only; the carrier saw ${ladder(m.messages).join(', ')}`,
    );
    assert.equal(final(c2.messages).status, 487);
  });

  it('MT-10 while a call is connected on the mobile the user is busy: a second call (call waiting off, no voicemail) gets 486 and nothing rings', async () => {
    const desk = await phone('240', 'uas-never-answer', { calls: 2 });
    const mobile = await peerOn(carrierPort, 'uas-answer', { keys: { ring_ms: 200 }, name: 'mobile-240' });
    const caller1 = await call('201', '240', 'uac-invite-auth-bye', { hold_ms: 3000 });
    await caller1.waitForMessage(
      (x) => x.direction === 'received' && x.status === 200 && x.method === 'INVITE',
      {
        timeoutMs: 5000,
        what: 'the first call to be answered on the mobile',
      },
    );
    const caller2 = await call('202', '240', 'uac-invite-auth-rejected');
    const c2 = await caller2.result();
    assert.equal(c2.outcome, 'ok', c2.errors);
    assert.equal(final(c2.messages).status, 486);
    const [c1, m] = await Promise.all([caller1.result(), mobile.result()]);
    assert.equal(c1.outcome, 'ok', c1.errors);
    assert.equal(m.outcome, 'ok', m.errors);
    assert.ok(
      callArrivedAt(c2.messages) < first(m.messages, 'BYE').timeMs,
      'the second call came while the first was connected on the mobile',
    );
    assert.deepEqual(ladder(m.messages), ANSWERED, 'the mobile saw only the first call');
    const d = await desk.sipp.stop();
    assert.deepEqual(ladder(d.messages), CANCELLED, 'the desk rang for the first call only');
  });

  it('MT-10 / MT-8 with call waiting on, a second call while the first is connected on the mobile rings the desk (call waiting) and not the mobile', async () => {
    const desk = await phone('241', 'uas-never-answer', { calls: 2 });
    const mobile = await peerOn(carrierPort, 'uas-answer', { keys: { ring_ms: 200 }, name: 'mobile-241' });
    const caller1 = await call('201', '241', 'uac-invite-auth-bye', { hold_ms: 4000 });
    await caller1.waitForMessage(
      (x) => x.direction === 'received' && x.status === 200 && x.method === 'INVITE',
      {
        timeoutMs: 5000,
        what: 'the first call to be answered on the mobile',
      },
    );
    // The second caller gives up after 2 s of ringback: past its would-be mobile leg (1 s).
    const caller2 = await call('202', '241', 'uac-invite-auth-cancel', { cancel_after_ms: 2000 });
    const c2 = await caller2.result();
    assert.equal(c2.outcome, 'ok', c2.errors);
    assert.equal(final(c2.messages).status, 487);
    const [c1, m, d] = await Promise.all([caller1.result(), mobile.result(), desk.sipp.result()]);
    assert.equal(c1.outcome, 'ok', c1.errors);
    assert.equal(m.outcome, 'ok', m.errors);
    assert.equal(d.outcome, 'ok', d.errors);
    assert.ok(
      first(m.messages, 'BYE').timeMs > sent(c2.messages).at(-1)!.timeMs,
      'the first call stayed connected on the mobile throughout the second',
    );
    assert.deepEqual(ladder(m.messages), ANSWERED, 'the mobile saw only the first call');
    const deskInvites = invites(d.messages);
    assert.equal(deskInvites.length, 2, 'the desk rang for the second call too');
    assert.ok(deskInvites[1]!.timeMs - callArrivedAt(c2.messages) < AT_ONCE_MS);
    assert.match(deskInvites[1]!.header('from') ?? '', /<sip:202@twinline>/);
  });

  it('CLI-2 sendOriginalPartyInfo off with callingPartyInfoForTwinning set: the mobile leg presents that number (From, P-Asserted-Identity), not the caller; the desk still shows the caller', async () => {
    const api = await adminSession(server);
    const set = async (patch: Record<string, unknown>) => {
      const r = await api.send('PATCH', '/api/system', patch);
      assert.equal(r.status, 200, JSON.stringify(r.body));
    };
    await set({ sendOriginalPartyInfo: false, callingPartyInfoForTwinning: FIXED_CLI });
    try {
      const desk = await phone('212', 'uas-never-answer');
      const mobile = await peerOn(carrierPort, 'uas-answer', { keys: { ring_ms: 300 }, name: 'mobile-212' });
      const caller = await call('201', '212');
      const [c, d, m] = await Promise.all([caller.result(), desk.sipp.result(), mobile.result()]);
      assert.equal(c.outcome, 'ok', c.errors);
      assert.equal(d.outcome, 'ok', d.errors);
      assert.equal(m.outcome, 'ok', m.errors);
      const invite = first(m.messages, 'INVITE');
      assert.equal(invite.requestUri, mobileUri('212'));
      assert.match(invite.header('from') ?? '', new RegExp(`<sip:${FIXED_CLI}@`));
      assert.match(invite.header('p-asserted-identity') ?? '', new RegExp(`<sip:${FIXED_CLI}@`));
      for (const h of ['from', 'p-asserted-identity']) {
        assert.doesNotMatch(invite.header(h) ?? '', /201|Alice/, `${h} does not name the caller`);
      }
      assert.match(first(d.messages, 'INVITE').header('from') ?? '', /<sip:201@twinline>/);
    } finally {
      await set({ sendOriginalPartyInfo: true, callingPartyInfoForTwinning: '' });
    }
  });

  it('WPC-1 switching the twinning mode to internal (short code) makes the next call ring the internal twin instead of the mobile; back to mobile (admin API) the mobile rings again and the handset does not', async () => {
    // Mobile mode: the mobile rings after the dial delay, the handset is a normal extension.
    {
      const desk = await phone('260', 'uas-never-answer');
      const handset = await phone('261', 'uas-answer', { timeoutMs: 3000 });
      const mobile = await peerOn(carrierPort, 'uas-answer', { keys: { ring_ms: 1000 }, name: 'mobile-260' });
      const caller = await call('201', '260');
      const [c, d, m] = await Promise.all([caller.result(), desk.sipp.result(), mobile.result()]);
      assert.equal(c.outcome, 'ok', c.errors);
      assert.equal(first(m.messages, 'INVITE').requestUri, mobileUri('260'));
      assertDialDelay(first(d.messages, 'INVITE'), first(m.messages, 'INVITE'));
      assert.deepEqual(
        ladder((await handset.sipp.result()).messages),
        [],
        'mobile mode: the handset does not ring',
      );
    }
    // *95: twinning mode internal, answered with a confirmation tone.
    const code = await call('260', '*95', 'uac-invite-auth-wait-bye');
    assert.equal((await code.result()).outcome, 'ok');
    const api = await adminSession(server);
    assert.equal(((await api.get('/api/users/260')) as { twinningMode?: string }).twinningMode, 'internal');
    {
      const desk = await phone('260', 'uas-never-answer');
      // The handset answers at 1.5 s: past the moment a mobile leg would have started.
      const handset = await phone('261', 'uas-answer', { ringMs: 1500 });
      const mobile = await peerOn(carrierPort, 'uas-answer', { name: 'mobile-260-unused', timeoutMs: 3000 });
      const caller = await call('201', '260');
      const [c, d, h] = await Promise.all([caller.result(), desk.sipp.result(), handset.sipp.result()]);
      assert.equal(c.outcome, 'ok', c.errors);
      assert.equal(h.outcome, 'ok', h.errors);
      const apart = Math.abs(first(h.messages, 'INVITE').timeMs - first(d.messages, 'INVITE').timeMs);
      assert.ok(apart < AT_ONCE_MS, `the handset rang with the desk (${apart.toFixed(0)} ms apart)`);
      assert.deepEqual(ladder(h.messages), ANSWERED);
      assert.equal(final(c.messages).body.replace(/\r/g, ''), answerOf(h.messages));
      assert.deepEqual(
        ladder((await mobile.result()).messages),
        [],
        'internal mode: the mobile does not ring',
      );
    }
    // Back to mobile through the admin API.
    const r = await api.send('PATCH', '/api/users/260', { twinningMode: 'mobile' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    {
      const desk = await phone('260', 'uas-never-answer');
      const handset = await phone('261', 'uas-answer', { timeoutMs: 3000 });
      const mobile = await peerOn(carrierPort, 'uas-answer', {
        keys: { ring_ms: 1000 },
        name: 'mobile-260-again',
      });
      const caller = await call('201', '260');
      const [c, d, m] = await Promise.all([caller.result(), desk.sipp.result(), mobile.result()]);
      assert.equal(c.outcome, 'ok', c.errors);
      assert.equal(m.outcome, 'ok', m.errors);
      assert.equal(first(m.messages, 'INVITE').requestUri, mobileUri('260'));
      assertDialDelay(first(d.messages, 'INVITE'), first(m.messages, 'INVITE'));
      assert.deepEqual(
        ladder((await handset.sipp.result()).messages),
        [],
        'mobile mode again: the handset does not ring',
      );
    }
  });
});
