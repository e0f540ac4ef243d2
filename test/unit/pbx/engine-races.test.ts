/**
 * Races the engine must settle the same way every time, in virtual time: answers in the
 * very millisecond a timer ends, 2xx crossing a CANCEL, lost ACKs, hang-ups from either
 * side. Each ends with nothing left pending.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  answer,
  answerAfter,
  assertAllCleared,
  createPbxHarness,
  hangUpAfter,
  type PbxHarness,
  rel,
  ring,
  type SipUa,
} from '../../support/pbx-harness.js';

const COMPLETED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';
const CARRIER = '10.0.0.100';
const VOICEMAIL = '10.0.0.9';

function directory(guard = 3, extra = ''): string {
  return `
system:
  timeZone: UTC
  voicemailUri: 'sip:vm@${VOICEMAIL}:5060'
users:
  - extension: '201'
    name: Alice
    password: alice-secret
    licence: mobile-worker
    noAnswerTime: 15
    mobility:
      mobilityFeatures: true
      mobileTwinning: true
      twinnedMobileNumber: '907700900201'
      mobileDialDelay: 2
      mobileAnswerGuard: ${guard}
  - { extension: '202', name: Bob, password: bob-secret }
  - { extension: '203', name: Carol, password: carol-secret }
${extra}
trunks:
  - { name: carrier, kind: carrier, host: ${CARRIER}, port: 5060, ownNumber: '441632960000' }
`;
}

interface Rig {
  h: PbxHarness;
  desk: SipUa;
  bob: SipUa;
  carrier: SipUa;
  vm: SipUa;
}

function rig(guard = 3, extra = ''): Rig {
  const h = createPbxHarness({ directory: directory(guard, extra) });
  return {
    h,
    desk: h.phone('201', '10.0.0.11'),
    bob: h.phone('202', '10.0.0.12'),
    carrier: h.endpoint('carrier', CARRIER),
    vm: h.endpoint('voicemail', VOICEMAIL),
  };
}

describe('answers at the edge of a timer', () => {
  it('MT-5 a desk answering in the very millisecond the No Answer Time ends is too late: ACK then BYE, and the call goes to voicemail', async () => {
    const { h, desk, bob, carrier, vm } = rig();
    desk.expects('INVITE').then(ring, answerAfter(15_000));
    carrier.expects('INVITE').then(ring);
    vm.expects('INVITE').then(answer);
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('201');
    await h.run(15_001);

    assert.deepEqual(
      desk.ladder().map((l) => l.replace(/^\d+/, (t) => String(Number(t) - t0))),
      ['0 INVITE', '15000 CANCEL', '15000 ACK', '15000 BYE'],
    );
    assert.deepEqual(rel(vm.times('INVITE'), t0), [15_000]);
    assert.match(call.responses.at(-1)!.response.body.toString(), /o=voicemail /);
    call.hangUp();
    await assertAllCleared(h);
  });

  it('AG-1 a mobile answering one millisecond inside the guard is hung up', async () => {
    const { h, desk, bob, carrier } = rig(3);
    desk.expects('INVITE').then(ring);
    carrier.expects('INVITE').then(ring, answerAfter(2999));
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('201');
    await h.run(6000);

    assert.deepEqual(rel(carrier.times('BYE'), t0), [4999]);
    assert.deepEqual(desk.got('CANCEL'), []);
    call.cancel();
    await assertAllCleared(h);
  });
});

describe('2xx crossing', () => {
  it('MT-3 desk and mobile answer in the same millisecond (after the guard): one is bridged, the other gets ACK then BYE with "completed elsewhere"', async () => {
    const { h, desk, bob, carrier } = rig(3);
    desk.expects('INVITE').then(ring, answerAfter(6000));
    carrier.expects('INVITE').then(ring, answerAfter(4000));
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('201');
    await h.run(7000);

    const bridged = call.responses.at(-1)!.response.body.toString().includes('o=201 ') ? desk : carrier;
    const loser = bridged === desk ? carrier : desk;
    assert.equal(call.final, 200);
    assert.deepEqual(
      loser.labels().filter((l) => l === 'ACK' || l === 'BYE'),
      ['ACK', 'BYE'],
    );
    assert.deepEqual(rel(loser.times('BYE'), t0), [6000]);
    assert.equal(loser.requests('BYE')[0]!.headers.get('reason'), COMPLETED_ELSEWHERE);
    assert.deepEqual(bridged.got('BYE'), []);
    call.hangUp();
    await assertAllCleared(h);
  });

  it('RFC 3261 §9.1: the caller’s CANCEL and the desk’s 200 sent in the same millisecond, CANCEL first: the caller gets 487, the desk gets ACK then BYE', async () => {
    const { h, desk, bob } = rig();
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('201');
    h.at(t0 + 1000, () => call.cancel()); // set before the desk's answer timer: fires first
    desk.expects('INVITE').then(ring, answerAfter(1000));
    await h.run(1001);

    assert.equal(call.final, 487);
    assert.deepEqual(
      desk.ladder().map((l) => l.replace(/^\d+/, (t) => String(Number(t) - t0))),
      ['0 INVITE', '1000 CANCEL', '1000 ACK', '1000 BYE'],
    );
    await assertAllCleared(h);
  });

  it('RFC 3261 §9.1: the desk’s 200 and the caller’s CANCEL sent in the same millisecond, 200 first: the CANCEL has no effect, the caller is connected and hangs up', async () => {
    const { h, desk, bob } = rig();
    desk.expects('INVITE').then(ring, answerAfter(1000));
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('201');
    await h.run(0); // the desk's answer timer is set now: it fires before the CANCEL below
    h.at(t0 + 1000, () => call.cancel());
    await h.run(1001);

    assert.equal(call.final, 200);
    assert.deepEqual(rel(bob.times('200 CANCEL'), t0), [1000]);
    assert.deepEqual(desk.got('CANCEL'), []);
    call.hangUp();
    await h.run(1);
    assert.deepEqual(rel(desk.times('BYE'), t0), [1001]);
    await assertAllCleared(h);
  });

  it('RFC 3261 §13.2.2.4: a lost ACK to the desk is sent again for the 200 the desk retransmits 500 ms later', async () => {
    const { h, desk, bob } = rig();
    desk.expects('INVITE').then(ring, answerAfter(1000));
    h.net.drop(
      (r) => r.message.headers.get('cseq')?.endsWith('ACK') === true && r.to.address === '10.0.0.11',
      1,
    );
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('201');
    await h.run(2000);

    assert.deepEqual(rel(desk.times('ACK'), t0), [1500]);
    assert.equal(desk.incoming[0]!.state, 'confirmed');
    call.hangUp();
    await assertAllCleared(h);
  });
});

describe('hang-ups', () => {
  it('the desk hanging up ends the call: BYE to the caller in the same millisecond', async () => {
    const { h, desk, bob } = rig();
    desk.expects('INVITE').then(ring, answerAfter(1000), hangUpAfter(5000));
    const t0 = h.clock.now();
    bob.sends('INVITE').to('201');
    await h.run(6000);

    assert.deepEqual(rel(bob.times('BYE'), t0), [5000]);
    await assertAllCleared(h);
  });

  it('the mobile hanging up after a twinned answer ends the call: BYE to the caller', async () => {
    const { h, desk, bob, carrier } = rig(0);
    desk.expects('INVITE').then(ring);
    carrier.expects('INVITE').then(ring, answerAfter(1000), hangUpAfter(4000));
    const t0 = h.clock.now();
    bob.sends('INVITE').to('201');
    await h.run(7000);

    assert.deepEqual(rel(desk.times('CANCEL'), t0), [3000]);
    assert.deepEqual(rel(bob.times('BYE'), t0), [6000]);
    await assertAllCleared(h);
  });
});

describe('MT-8 one mobile-side call per user', () => {
  it('MT-8 a second call while the twin leg alerts rings the desk but never the mobile', async () => {
    const { h, desk, bob, carrier } = rig();
    const carol = h.phone('203', '10.0.0.13');
    desk.expects('INVITE').then(ring);
    desk.expects('INVITE').then(ring);
    carrier.expects('INVITE').then(ring);
    const t0 = h.clock.now();
    const first = bob.sends('INVITE').to('201');
    await h.run(3000);
    const second = carol.sends('INVITE').to('201');
    await h.run(5000);

    assert.deepEqual(rel(desk.times('INVITE'), t0), [0, 3000]);
    assert.deepEqual(rel(carrier.times('INVITE'), t0), [2000], 'only the first call reached the mobile');
    first.cancel();
    second.cancel();
    await assertAllCleared(h);
  });
});

describe('hunt groups', () => {
  const extra = `
  - { extension: '205', name: Eve, password: eve-secret }
huntGroups:
  - name: support
    extension: '700'
    members: ['201', '205']
    ringMode: collective
    noAnswerTime: 8
    voicemail: { enabled: false }
`;

  it('collective: every member rings at once and all are cancelled at exactly the group No Answer Time; a twinned member without huntGroupCallsEligible never rings the mobile', async () => {
    const { h, desk, bob, carrier } = rig(3, extra);
    const eve = h.phone('205', '10.0.0.35');
    desk.expects('INVITE').then(ring);
    eve.expects('INVITE').then(ring);
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('700');
    await h.run(8000);

    assert.deepEqual(rel(desk.times('INVITE'), t0), [0]);
    assert.deepEqual(rel(eve.times('INVITE'), t0), [0]);
    assert.deepEqual(rel(desk.times('CANCEL'), t0), [8000]);
    assert.deepEqual(rel(eve.times('CANCEL'), t0), [8000]);
    assert.deepEqual(rel(bob.times('480 INVITE'), t0), [8000]);
    assert.equal(call.final, 480);
    assert.deepEqual(carrier.received, []);
    await assertAllCleared(h);
  });

  it('collective: the first member to answer wins, the other is cancelled with "completed elsewhere"', async () => {
    const { h, desk, bob } = rig(3, extra);
    const eve = h.phone('205', '10.0.0.35');
    desk.expects('INVITE').then(ring);
    eve.expects('INVITE').then(ring, answerAfter(1500));
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('700');
    await h.run(2000);

    assert.deepEqual(rel(desk.times('CANCEL'), t0), [1500]);
    assert.equal(desk.requests('CANCEL')[0]!.headers.get('reason'), COMPLETED_ELSEWHERE);
    call.hangUp();
    await assertAllCleared(h);
  });
});
