/**
 * When the desk phone cannot ring, the mobile needs no head start (DD-1): fallback
 * twinning for an unregistered or unreachable desk (FB-1, FB-3 through OPTIONS qualify),
 * twin when logged out (TWLO-1); and a twinned hunt group member whose legs are all
 * switched at the group's No Answer Time. Virtual time throughout.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { answerAfter, assertAllCleared, createPbxHarness, rel, ring } from '../../support/pbx-harness.js';

const CARRIER = '10.0.0.100';

function directory(mobility: string, user = '', extra = ''): string {
  return `
system: { timeZone: UTC, qualify: { intervalSeconds: 30, failureThreshold: 2 } }
users:
  - extension: '201'
    name: Alice
    password: alice-secret
    licence: mobile-worker
    noAnswerTime: 15
    voicemail: { enabled: false }
    ${user}
    mobility: { mobilityFeatures: true, twinnedMobileNumber: '907700900201', mobileDialDelay: 2, ${mobility} }
  - { extension: '202', name: Bob, password: bob-secret }
  - { extension: '205', name: Eve, password: eve-secret, voicemail: { enabled: false } }
${extra}
trunks:
  - { name: carrier, kind: carrier, host: ${CARRIER}, port: 5060 }
`;
}

describe('no desk to give a head start to (DD-1)', () => {
  it('FB-1 DD-1 with no registration at all, the mobile is called at once, not after the dial delay', async () => {
    const h = createPbxHarness({ directory: directory('fallbackTwinning: true') });
    const bob = h.phone('202', '10.0.0.12');
    const carrier = h.endpoint('carrier', CARRIER);
    carrier.expects('INVITE').then(ring, answerAfter(1000));
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('201');
    await h.run(2000);

    assert.deepEqual(rel(carrier.times('INVITE'), t0), [0]);
    assert.equal(call.final, 200);
    call.hangUp();
    await assertAllCleared(h);
  });

  it('FB-3 a registered desk that stops answering OPTIONS is unreachable after two failed probes (30 s + 3 s, 60 s + 3 s); the next call goes to the mobile at once and never to the desk', async () => {
    const h = createPbxHarness({ directory: directory('fallbackTwinning: true') });
    const bob = h.phone('202', '10.0.0.12');
    const carrier = h.endpoint('carrier', CARRIER);
    // The desk registered from 10.0.0.11 and has gone away since.
    h.bind('201', { protocol: 'UDP', address: '10.0.0.11', port: 5060 });
    const tTrack = h.clock.now();
    h.qualifier.track(h.registrar.bindingsOf('201')[0]!);
    await h.run(65_999);
    assert.equal(h.qualifier.isReachable('201'), true, 'one failed probe is not enough');
    await h.run(1);
    assert.equal(h.qualifier.isReachable('201'), false);
    // Each probe is one OPTIONS transaction (retransmitted on Timer E): its first send.
    const firstSends = new Map<string, number>();
    for (const r of h.sentBy('OPTIONS').filter((x) => x.to.address === '10.0.0.11')) {
      const id = r.message.headers.get('call-id') ?? '';
      if (!firstSends.has(id)) firstSends.set(id, r.at - tTrack);
    }
    assert.deepEqual([...firstSends.values()], [30_000, 63_000]);

    carrier.expects('INVITE').then(ring, answerAfter(1000));
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('201');
    await h.run(2000);
    assert.deepEqual(rel(carrier.times('INVITE'), t0), [0]);
    assert.deepEqual(
      h.sentBy('INVITE').filter((r) => r.to.address === '10.0.0.11'),
      [],
      'nothing is sent to the dead desk',
    );
    call.hangUp();
    h.qualifier.stop(); // qualify probes run for as long as the binding lives
    await assertAllCleared(h);
  });

  it('TWLO-1 DD-1 a logged-out user with twinWhenLoggedOut: only the mobile rings, at once', async () => {
    const h = createPbxHarness({
      directory: directory('mobileTwinning: true, twinWhenLoggedOut: true', 'loggedOut: true'),
    });
    const desk = h.phone('201', '10.0.0.11');
    const bob = h.phone('202', '10.0.0.12');
    const carrier = h.endpoint('carrier', CARRIER);
    carrier.expects('INVITE').then(ring);
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('201');
    await h.run(15_000);

    assert.deepEqual(rel(carrier.times('INVITE'), t0), [0]);
    assert.deepEqual(rel(carrier.times('CANCEL'), t0), [15_000]);
    assert.deepEqual(desk.received, []);
    assert.equal(call.final, 480);
    await assertAllCleared(h);
  });
});

describe('a twinned hunt group member (MT-7 huntGroupCallsEligible)', () => {
  it('MT-7 sequential: the member’s desk and mobile (after its dial delay) ring, and both are cancelled exactly at the group No Answer Time when the next member is offered', async () => {
    const h = createPbxHarness({
      directory: directory(
        'mobileTwinning: true, huntGroupCallsEligible: true, mobileAnswerGuard: 0',
        '',
        `huntGroups:
  - { name: sales, extension: '600', members: ['201', '205'], ringMode: sequential, noAnswerTime: 6, voicemail: { enabled: false } }`,
      ),
    });
    const desk = h.phone('201', '10.0.0.11');
    const eve = h.phone('205', '10.0.0.35');
    const bob = h.phone('202', '10.0.0.12');
    const carrier = h.endpoint('carrier', CARRIER);
    desk.expects('INVITE').then(ring);
    carrier.expects('INVITE').then(ring);
    eve.expects('INVITE').then(ring, answerAfter(1000));
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('600');
    await h.run(8000);

    assert.deepEqual(rel(desk.times('INVITE'), t0), [0]);
    assert.deepEqual(rel(carrier.times('INVITE'), t0), [2000]);
    assert.deepEqual(rel(desk.times('CANCEL'), t0), [6000]);
    assert.deepEqual(rel(carrier.times('CANCEL'), t0), [6000]);
    assert.deepEqual(rel(eve.times('INVITE'), t0), [6000]);
    assert.deepEqual(rel(bob.times('200 INVITE'), t0), [7000]);
    call.hangUp();
    await assertAllCleared(h);
  });
});
