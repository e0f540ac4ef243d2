/**
 * The call engine's timers in virtual time: the dial delay, the answer guard, the No
 * Answer Time, hunt group member switching, and the transaction timers under them, each
 * asserted to the millisecond on what every endpoint received. The whole engine runs
 * in-process (test/support/pbx-harness.ts): a 32-second Timer B takes no wall time.
 *
 * Every test ends the same way: once its calls are over and the protocol timers have had
 * 64·T1 to run out, nothing is left — no call, transaction, dialog or timer (a leak is a bug).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  answer,
  answerAfter,
  assertAllCleared,
  createPbxHarness,
  type PbxHarness,
  reject,
  rel,
  ring,
  type SipUa,
} from '../../support/pbx-harness.js';

const COMPLETED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';

const CARRIER = '10.0.0.100';
const VOICEMAIL = '10.0.0.9';

interface Alice {
  noAnswerTime?: number;
  dialDelay?: number;
  guard?: number;
  voicemail?: boolean;
}

/** Alice (201) twinned to her mobile through the carrier; Bob (202) and Carol (203) plain. */
function directory(alice: Alice = {}, extra = ''): string {
  return `
system:
  timeZone: UTC
  voicemailUri: 'sip:vm@${VOICEMAIL}:5060'
users:
  - extension: '201'
    name: Alice
    password: alice-secret
    licence: mobile-worker
    noAnswerTime: ${alice.noAnswerTime ?? 15}
    voicemail: { enabled: ${alice.voicemail ?? true} }
    mobility:
      mobilityFeatures: true
      mobileTwinning: true
      twinnedMobileNumber: '907700900201'
      mobileDialDelay: ${alice.dialDelay ?? 2}
      mobileAnswerGuard: ${alice.guard ?? 3}
  - { extension: '202', name: Bob, password: bob-secret }
  - { extension: '203', name: Carol, password: carol-secret, voicemail: { enabled: false } }
  - { extension: '204', name: Dave, password: dave-secret, noAnswerTime: 40 }
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

function rig(alice: Alice = {}, extra = ''): Rig {
  const h = createPbxHarness({ directory: directory(alice, extra) });
  return {
    h,
    desk: h.phone('201', '10.0.0.11'),
    bob: h.phone('202', '10.0.0.12'),
    carrier: h.endpoint('carrier', CARRIER),
    vm: h.endpoint('voicemail', VOICEMAIL),
  };
}

describe('mobile twinning timers (MT)', () => {
  it('MT-1 the desk INVITE goes at once and the carrier INVITE exactly mobileDialDelay later, to the mobile number without the outside-line prefix', async () => {
    const { h, desk, bob, carrier } = rig({ dialDelay: 2 });
    await h.run(1234); // an odd start, so "start + delay" is never just "delay"
    desk.expects('INVITE').then(ring, answerAfter(6000));
    carrier.expects('INVITE').then(ring);
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('201');
    await h.run(7000);

    assert.deepEqual(rel(desk.times('INVITE'), t0), [0]);
    assert.deepEqual(rel(carrier.times('INVITE'), t0), [2000]);
    assert.equal(carrier.requests('INVITE')[0]!.uri.startsWith('sip:07700900201@10.0.0.100'), true);
    assert.equal(call.final, 200);

    call.hangUp();
    await assertAllCleared(h);
  });

  it('MT-2 a desk answer inside the dial delay means no mobile INVITE is ever sent', async () => {
    const { h, desk, bob, carrier } = rig({ dialDelay: 2 });
    desk.expects('INVITE').then(ring, answerAfter(1999));
    const call = bob.sends('INVITE').to('201');
    await h.run(30_000);

    assert.equal(call.final, 200);
    assert.deepEqual(carrier.received, [], 'the carrier saw nothing');
    call.hangUp();
    await assertAllCleared(h);
    assert.deepEqual(carrier.received, [], 'not even later');
  });

  it('MT-2 a caller abandoning inside the dial delay means no mobile INVITE is ever sent', async () => {
    const { h, desk, bob, carrier } = rig({ dialDelay: 2 });
    desk.expects('INVITE').then(ring);
    const call = bob.sends('INVITE').to('201');
    await h.run(1000);
    call.cancel();
    await h.run(1);
    assert.equal(call.final, 487);
    await assertAllCleared(h);
    assert.deepEqual(carrier.received, []);
    assert.deepEqual(desk.labels(), ['INVITE', 'CANCEL', 'ACK']);
  });

  it('MT-5 no answer at exactly the No Answer Time: CANCEL to the desk and the mobile, and the voicemail INVITE with Diversion, in the same millisecond', async () => {
    const { h, desk, bob, carrier, vm } = rig({ noAnswerTime: 15, dialDelay: 2 });
    desk.expects('INVITE').then(ring);
    carrier.expects('INVITE').then(ring);
    vm.expects('INVITE').then(answer);
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('201');
    await h.run(14_999);
    assert.deepEqual(desk.got('CANCEL'), [], 'nothing is cancelled a millisecond early');
    assert.deepEqual(vm.received, []);
    await h.run(1);

    assert.deepEqual(rel(desk.times('CANCEL'), t0), [15_000]);
    assert.deepEqual(rel(carrier.times('CANCEL'), t0), [15_000]);
    assert.deepEqual(rel(vm.times('INVITE'), t0), [15_000]);
    assert.equal(
      vm.got('INVITE')[0]!.message.headers.get('diversion'),
      '<sip:201@twinline>;reason=no-answer;counter=1',
    );
    assert.equal(call.final, 200, 'the caller is connected to voicemail');

    call.hangUp();
    await assertAllCleared(h);
  });

  it('MT-5 no answer and no voicemail: CANCEL to every leg and 480 to the caller at exactly the No Answer Time', async () => {
    const { h, desk, bob, carrier } = rig({ noAnswerTime: 15, voicemail: false });
    desk.expects('INVITE').then(ring);
    carrier.expects('INVITE').then(ring);
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('201');
    await h.run(15_000);

    assert.deepEqual(rel(desk.times('CANCEL'), t0), [15_000]);
    assert.deepEqual(rel(carrier.times('CANCEL'), t0), [15_000]);
    assert.deepEqual(rel(bob.times('480 INVITE'), t0), [15_000]);
    assert.equal(call.final, 480);
    await assertAllCleared(h);
  });

  it('MT-3 the mobile answering after the guard wins: the desk gets CANCEL with Reason "Call completed elsewhere" in the same millisecond', async () => {
    const { h, desk, bob, carrier } = rig({ dialDelay: 2, guard: 3 });
    desk.expects('INVITE').then(ring);
    carrier.expects('INVITE').then(ring, answerAfter(3500));
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('201');
    await h.run(6000);

    assert.deepEqual(rel(desk.times('CANCEL'), t0), [5500]);
    assert.equal(desk.got('CANCEL')[0]!.message.headers.get('reason'), COMPLETED_ELSEWHERE);
    assert.deepEqual(rel(bob.times('200 INVITE'), t0), [5500]);
    assert.match(call.responses.at(-1)!.response.body.toString(), /o=carrier /, 'bridged to the mobile');
    assert.deepEqual(carrier.labels(), ['INVITE', 'ACK']);

    call.hangUp();
    await h.run(1);
    assert.deepEqual(carrier.labels(), ['INVITE', 'ACK', 'BYE']);
    await assertAllCleared(h);
  });

  it('MT-3 the caller abandoning cancels every leg without the "completed elsewhere" Reason (the phones log a missed call)', async () => {
    const { h, desk, bob, carrier } = rig({ dialDelay: 2 });
    desk.expects('INVITE').then(ring);
    carrier.expects('INVITE').then(ring);
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('201');
    await h.run(4000);
    call.cancel();
    await h.run(1);

    assert.deepEqual(rel(desk.times('CANCEL'), t0), [4000]);
    assert.deepEqual(rel(carrier.times('CANCEL'), t0), [4000]);
    assert.equal(desk.got('CANCEL')[0]!.message.headers.get('reason'), undefined);
    assert.equal(carrier.got('CANCEL')[0]!.message.headers.get('reason'), undefined);
    assert.equal(call.final, 487);
    await assertAllCleared(h);
  });
});

describe('answer guard (AG)', () => {
  it('AG-1 a mobile answering inside the guard gets ACK then BYE; the desk keeps ringing, then answers and is connected', async () => {
    const { h, desk, bob, carrier } = rig({ dialDelay: 2, guard: 3 });
    desk.expects('INVITE').then(ring, answerAfter(8000));
    carrier.expects('INVITE').then(ring, answerAfter(1000));
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('201');
    await h.run(9000);

    // The carrier leg starts at 2000 and answers at 3000, 1 s into its 3 s guard.
    assert.deepEqual(
      carrier.ladder().map((l) => l.replace(/^\d+/, (t) => String(Number(t) - t0))),
      ['2000 INVITE', '3000 ACK', '3000 BYE'],
    );
    assert.deepEqual(desk.got('CANCEL'), [], 'the desk kept ringing');
    assert.deepEqual(rel(bob.times('200 INVITE'), t0), [8000]);
    assert.match(call.responses.at(-1)!.response.body.toString(), /o=201 /, 'bridged to the desk');
    assert.equal(carrier.got('INVITE').length, 1, 'the guarded leg is not retried');

    call.hangUp();
    await assertAllCleared(h);
  });

  it('AG-2 an answer at exactly the guard is accepted (the guard is timed from the INVITE)', async () => {
    const { h, desk, bob, carrier } = rig({ dialDelay: 2, guard: 3 });
    desk.expects('INVITE').then(ring);
    carrier.expects('INVITE').then(ring, answerAfter(3000));
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('201');
    await h.run(6000);

    assert.deepEqual(rel(bob.times('200 INVITE'), t0), [5000]);
    assert.deepEqual(rel(desk.times('CANCEL'), t0), [5000]);
    call.hangUp();
    await assertAllCleared(h);
  });
});

describe('forking', () => {
  it('two 2xx in the same virtual millisecond: one phone is bridged, the other gets ACK then BYE', async () => {
    const h = createPbxHarness({ directory: directory() });
    const bob = h.phone('202', '10.0.0.12');
    const desk1 = h.phone('203', '10.0.0.31');
    const desk2 = h.phone('203', '10.0.0.32');
    desk1.expects('INVITE').then(ring, answerAfter(4000));
    desk2.expects('INVITE').then(ring, answerAfter(4000));
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('203');
    await h.run(5000);

    assert.deepEqual(rel(desk1.times('INVITE'), t0), [0]);
    assert.deepEqual(rel(desk2.times('INVITE'), t0), [0]);
    const winner = call.responses.at(-1)!.response.body.toString().includes('o=203 1 1 IN IP4 10.0.0.31')
      ? desk1
      : desk2;
    const loser = winner === desk1 ? desk2 : desk1;
    assert.equal(call.final, 200);
    assert.deepEqual(
      winner.labels().filter((l) => !l.startsWith('2')),
      ['INVITE', 'ACK'],
    );
    const late = loser.labels().filter((l) => l === 'ACK' || l === 'BYE');
    assert.deepEqual(late, ['ACK', 'BYE'], 'the loser is ACKed, then hung up');
    assert.deepEqual(rel(loser.times('BYE'), t0), [4000]);
    assert.equal(loser.got('BYE')[0]!.message.headers.get('reason'), COMPLETED_ELSEWHERE);

    call.hangUp();
    await h.run(1);
    assert.deepEqual(rel(winner.times('BYE'), t0), [5000]);
    await assertAllCleared(h);
  });
});

describe('hunt groups', () => {
  const group = `
huntGroups:
  - name: sales
    extension: '600'
    members: ['203', '205']
    ringMode: sequential
    noAnswerTime: 6
    voicemail: { enabled: false }
`;
  const members = `
  - { extension: '205', name: Eve, password: eve-secret, voicemail: { enabled: false } }
${group}`;

  it('sequential: the first member is cancelled and the next one offered exactly at the group No Answer Time', async () => {
    const { h, bob } = rig({}, members);
    const carol = h.phone('203', '10.0.0.31');
    const eve = h.phone('205', '10.0.0.35');
    carol.expects('INVITE').then(ring);
    eve.expects('INVITE').then(ring, answerAfter(2000));
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('600');
    await h.run(9000);

    assert.deepEqual(rel(carol.times('INVITE'), t0), [0]);
    assert.deepEqual(rel(carol.times('CANCEL'), t0), [6000]);
    assert.deepEqual(rel(eve.times('INVITE'), t0), [6000]);
    assert.deepEqual(rel(bob.times('200 INVITE'), t0), [8000]);
    call.hangUp();
    await assertAllCleared(h);
  });

  it('sequential: when the last member does not answer either, the caller gets 480 at twice the group No Answer Time', async () => {
    const { h, bob } = rig({}, members);
    const carol = h.phone('203', '10.0.0.31');
    const eve = h.phone('205', '10.0.0.35');
    carol.expects('INVITE').then(ring);
    eve.expects('INVITE').then(ring);
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('600');
    await h.run(12_000);

    assert.deepEqual(rel(eve.times('CANCEL'), t0), [12_000]);
    assert.deepEqual(rel(bob.times('480 INVITE'), t0), [12_000]);
    assert.equal(call.final, 480);
    await assertAllCleared(h);
  });

  it('sequential: a member who rejects (486) hands the call to the next member at once', async () => {
    const { h, bob } = rig({}, members);
    const carol = h.phone('203', '10.0.0.31');
    const eve = h.phone('205', '10.0.0.35');
    carol.expects('INVITE').then(ring, reject(486));
    eve.expects('INVITE').then(ring, answerAfter(1000));
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('600');
    await h.run(2000);

    assert.deepEqual(rel(eve.times('INVITE'), t0), [0]);
    assert.deepEqual(rel(bob.times('200 INVITE'), t0), [1000]);
    call.hangUp();
    await assertAllCleared(h);
  });
});

describe('hunt group overflow', () => {
  const groups = `
  - { extension: '205', name: Eve, password: eve-secret, voicemail: { enabled: false } }
huntGroups:
  - name: sales
    extension: '600'
    members: ['203']
    ringMode: collective
    noAnswerTime: 6
    overflow: { time: 3, groups: [backup] }
    voicemail: { enabled: false }
  - { name: backup, extension: '601', members: ['205'], ringMode: collective, noAnswerTime: 6, voicemail: { enabled: false } }
`;

  it('overflow.time: the overflow group also alerts after its time (3 s) while the first group keeps alerting', async () => {
    const { h, bob } = rig({}, groups);
    const carol = h.phone('203', '10.0.0.31');
    const eve = h.phone('205', '10.0.0.35');
    carol.expects('INVITE').then(ring);
    eve.expects('INVITE').then(ring, answerAfter(4000));
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('600');
    await h.run(8000);

    try {
      assert.deepEqual(rel(eve.times('INVITE'), t0), [3000], 'the overflow group alerts after overflow.time');
      // The first group's members ring for its own No Answer Time (6 s); the overflow group
      // alerts under its own (6 s from its start at 3 s), so Eve can still answer at 7 s.
      assert.deepEqual(
        rel(carol.times('CANCEL'), t0),
        [6000],
        'the first group rings for its No Answer Time',
      );
      assert.deepEqual(rel(bob.times('200 INVITE'), t0), [7000]);
    } finally {
      if (call.final === 200) call.hangUp();
      else call.cancel();
      await assertAllCleared(h);
    }
  });
});

describe('transaction timers under the engine', () => {
  it('RFC 3261 §17.1.1.2: the branch INVITE to a silent phone is retransmitted on Timer A (0, 500, 1500, 3500, 7500, 15500, 31500 ms); Timer B ends the leg at 32 s and the call takes its no-answer path', async () => {
    const h = createPbxHarness({ directory: directory() });
    const bob = h.phone('202', '10.0.0.12');
    const vm = h.endpoint('voicemail', VOICEMAIL);
    // Dave's phone registered from an address where nothing answers any more.
    h.bind('204', { protocol: 'UDP', address: '10.0.0.44', port: 5060 });
    vm.expects('INVITE').then(answer);
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('204');
    await h.run(33_000);

    const toDave = h.sentBy('INVITE').filter((r) => r.to.address === '10.0.0.44');
    assert.deepEqual(
      rel(
        toDave.map((r) => r.at),
        t0,
      ),
      [0, 500, 1500, 3500, 7500, 15_500, 31_500],
    );
    assert.deepEqual(rel(vm.times('INVITE'), t0), [32_000]);
    assert.equal(call.final, 200, 'voicemail took the call');
    call.hangUp();
    await assertAllCleared(h);
  });

  it('RFC 3261 §15.1.2: a BYE from the caller before its ACK ends the call: 200 to the BYE, BYE to the desk, no more 200 retransmissions', async () => {
    const { h, desk, bob } = rig();
    desk.expects('INVITE').then(ring, answerAfter(1000));
    const t0 = h.clock.now();
    const call = bob.sends('INVITE').to('201', { autoAck: false });
    await h.run(1100);
    assert.deepEqual(rel(bob.times('200 INVITE'), t0), [1000]);
    call.hangUp();
    await h.run(1);

    assert.deepEqual(rel(bob.times('200 BYE'), t0), [1100]);
    assert.deepEqual(rel(desk.times('BYE'), t0), [1100]);
    await h.run(10_000);
    assert.deepEqual(rel(bob.times('200 INVITE'), t0), [1000], 'the 200 is not retransmitted after the BYE');
    await assertAllCleared(h);
  });

  it('RFC 3261 §13.3.1.4: the 200 to a caller that never ACKs is retransmitted at T1, 2·T1 … T2 and after 64·T1 both sides get BYE', async () => {
    const { h, desk, bob } = rig();
    desk.expects('INVITE').then(ring, answerAfter(1000));
    const t0 = h.clock.now();
    bob.sends('INVITE').to('201', { autoAck: false });
    await h.run(34_000);

    assert.deepEqual(
      rel(bob.times('200 INVITE'), t0),
      [1000, 1500, 2500, 4500, 8500, 12_500, 16_500, 20_500, 24_500, 28_500, 32_500],
    );
    assert.deepEqual(rel(bob.times('BYE'), t0), [33_000]);
    assert.deepEqual(rel(desk.times('BYE'), t0), [33_000]);
    await assertAllCleared(h);
  });
});

describe('live configuration (CFG-4)', () => {
  it('CFG-4 each call takes the snapshot in force when it starts: a call alerting keeps its dial delay, the next call uses the new one', async () => {
    const { h, desk, bob, carrier } = rig({ dialDelay: 2 });
    desk.expects('INVITE').then(ring, answerAfter(3000));
    carrier.expects('INVITE').then(ring);
    const t1 = h.clock.now();
    const first = bob.sends('INVITE').to('201');
    await h.run(1000);
    h.setDirectory(directory({ dialDelay: 5 }));
    await h.run(2500);
    assert.deepEqual(rel(carrier.times('INVITE'), t1), [2000], 'the first call kept its 2 s');
    first.hangUp();
    await h.run(1000);

    desk.expects('INVITE').then(ring, answerAfter(6000));
    carrier.expects('INVITE').then(ring);
    const t2 = h.clock.now();
    const second = bob.sends('INVITE').to('201');
    await h.run(7000);
    assert.deepEqual(rel(carrier.times('INVITE'), t2).slice(1), [5000], 'the second call uses 5 s');
    second.hangUp();
    await assertAllCleared(h);
  });
});
