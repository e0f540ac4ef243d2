/**
 * Twinning Handover and Mobile Twinned Call Pickup (BTN-1) in virtual time: the desk
 * phone dials a short code and twinline moves the user's call between desk and mobile
 * with a re-INVITE towards the other party, which never leaves its dialog.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  answerAfter,
  assertAllCleared,
  createPbxHarness,
  type PbxHarness,
  rel,
  ring,
  type SipUa,
} from '../../support/pbx-harness.js';

const CARRIER = '10.0.0.100';

function directory(o: { mobileTwinning?: boolean; transferReturnTime?: number } = {}): string {
  return `
system:
  timeZone: UTC
users:
  - extension: '201'
    name: Alice
    password: alice-secret
    licence: mobile-worker
    voicemail: { enabled: false }
    ${o.transferReturnTime === undefined ? '' : `transferReturnTime: ${o.transferReturnTime}`}
    mobility:
      mobilityFeatures: true
      mobileTwinning: ${o.mobileTwinning ?? false}
      twinnedMobileNumber: '907700900201'
      mobileDialDelay: 0
  - { extension: '202', name: Bob, password: bob-secret }
shortCodes:
  - { code: '*93', feature: twinningHandover }
  - { code: '*94', feature: twinnedCallPickup }
trunks:
  - { name: carrier, kind: carrier, host: ${CARRIER}, port: 5060, ownNumber: '441632960000' }
`;
}

interface Rig {
  h: PbxHarness;
  desk: SipUa;
  bob: SipUa;
  carrier: SipUa;
}

function rig(o?: Parameters<typeof directory>[0]): Rig {
  const h = createPbxHarness({ directory: directory(o) });
  return {
    h,
    desk: h.phone('201', '10.0.0.11'),
    bob: h.phone('202', '10.0.0.12'),
    carrier: h.endpoint('carrier', CARRIER),
  };
}

/** Bob calls 201 and the desk answers at once: the call the user then hands over. */
async function deskCall(r: Rig) {
  r.desk.expects('INVITE').then(ring, answerAfter(500));
  const call = r.bob.sends('INVITE').to('201');
  await r.h.run(1000);
  assert.equal(call.final, 200);
  return call;
}

/** INVITEs Bob received inside his dialog (re-INVITEs), with their SDP origin line. */
const reinvites = (bob: SipUa) =>
  bob.got('INVITE').map((r) => /o=(\S+)/.exec(r.message.body.toString())?.[1] ?? '');

describe('twinning handover (BTN-1)', () => {
  it('BTN-1 handover: the desk call is released, the mobile rings at once (twinning off), and its answer is bridged to the caller by re-INVITE', async () => {
    const r = rig({ mobileTwinning: false });
    const call = await deskCall(r);
    r.carrier.expects('INVITE').then(ring, answerAfter(2000));
    const t0 = r.h.clock.now();
    const code = r.desk.sends('INVITE').to('*93');
    await r.h.run(10);
    assert.equal(code.final, 200, 'the code is confirmed');
    assert.deepEqual(rel(r.desk.times('BYE'), t0), [0], 'the desk is released at once');
    assert.deepEqual(rel(r.carrier.times('INVITE'), t0), [0], 'the mobile rings at once');
    assert.ok(r.carrier.requests('INVITE')[0]!.uri.startsWith('sip:07700900201@'));
    await r.h.run(2000);
    assert.deepEqual(reinvites(r.bob), ['carrier'], 'Bob is re-INVITEd with the mobile’s SDP');
    assert.deepEqual(rel(r.bob.times('INVITE'), t0), [2000]);
    assert.equal(r.h.engine.calls()[0]?.connectedReason, 'handover');

    call.hangUp();
    await r.h.run(1);
    assert.ok(r.carrier.labels().includes('BYE'), 'Bob’s hang-up reaches the mobile');
    await assertAllCleared(r.h);
  });

  it('BTN-1 handover not answered: the mobile is CANCELled at the Transfer Return Time and the desk rings again', async () => {
    const r = rig({ transferReturnTime: 10 });
    const call = await deskCall(r);
    r.carrier.expects('INVITE').then(ring);
    r.desk.expects('INVITE').then(ring, answerAfter(1500));
    const t0 = r.h.clock.now();
    r.desk.sends('INVITE').to('*93');
    await r.h.run(9999);
    assert.deepEqual(r.carrier.got('CANCEL'), []);
    await r.h.run(1);
    assert.deepEqual(rel(r.carrier.times('CANCEL'), t0), [10_000]);
    const deskInvites = r.desk.times('INVITE');
    assert.equal(rel([deskInvites.at(-1)!], t0)[0], 10_000, 'the desk rings again at once');
    await r.h.run(1500);
    assert.deepEqual(reinvites(r.bob), ['201'], 'Bob is back with the desk');

    call.hangUp();
    await assertAllCleared(r.h);
  });

  it('BTN-1 handover: 15 s Transfer Return Time when unset', async () => {
    const r = rig();
    const call = await deskCall(r);
    r.carrier.expects('INVITE').then(ring);
    r.desk.expects('INVITE').then(ring, answerAfter(100));
    const t0 = r.h.clock.now();
    r.desk.sends('INVITE').to('*93');
    await r.h.run(16_000);
    assert.deepEqual(rel(r.carrier.times('CANCEL'), t0), [15_000]);
    call.hangUp();
    await assertAllCleared(r.h);
  });

  it('BTN-1 dialling the handover code again while the mobile rings cancels it: the desk rings again', async () => {
    const r = rig();
    const call = await deskCall(r);
    r.carrier.expects('INVITE').then(ring);
    r.desk.expects('INVITE').then(ring, answerAfter(100));
    r.desk.sends('INVITE').to('*93');
    await r.h.run(3000);
    const t1 = r.h.clock.now();
    const again = r.desk.sends('INVITE').to('*93');
    await r.h.run(10);
    assert.equal(again.final, 200);
    assert.deepEqual(rel(r.carrier.times('CANCEL'), t1), [0]);
    await r.h.run(200);
    assert.deepEqual(reinvites(r.bob), ['201']);
    call.hangUp();
    await assertAllCleared(r.h);
  });

  it('BTN-1 handover with no call at the desk is refused (488)', async () => {
    const r = rig();
    const code = r.desk.sends('INVITE').to('*93');
    await r.h.run(10);
    assert.equal(code.final, 488);
    assert.deepEqual(r.carrier.received, []);
    await assertAllCleared(r.h);
  });
});

describe('mobile twinned call pickup (BTN-1)', () => {
  it('BTN-1 pickup: the desk takes the call connected on the mobile; the caller is re-INVITEd towards the desk and the mobile gets BYE', async () => {
    const r = rig({ mobileTwinning: true });
    r.desk.expects('INVITE').then(ring);
    r.carrier.expects('INVITE').then(ring, answerAfter(1000));
    const call = r.bob.sends('INVITE').to('201');
    await r.h.run(2000);
    assert.equal(call.final, 200);
    assert.match(call.responses.at(-1)!.response.body.toString(), /o=carrier /, 'answered on the mobile');

    const t0 = r.h.clock.now();
    const pickup = r.desk.sends('INVITE').to('*94');
    await r.h.run(10);
    assert.equal(pickup.final, 200);
    assert.match(pickup.responses.at(-1)!.response.body.toString(), /o=caller /, 'the desk gets Bob’s media');
    assert.deepEqual(reinvites(r.bob), ['caller'], 'Bob is re-INVITEd with the desk’s SDP');
    assert.deepEqual(rel(r.carrier.times('BYE'), t0), [0], 'the mobile is released');

    pickup.hangUp();
    await r.h.run(1);
    assert.ok(r.bob.labels().includes('BYE'), 'the desk’s hang-up ends the call for Bob');
    await assertAllCleared(r.h);
  });

  it('BTN-1 pickup with no call on the mobile is refused (488)', async () => {
    const r = rig({ mobileTwinning: true });
    const code = r.desk.sends('INVITE').to('*94');
    await r.h.run(10);
    assert.equal(code.final, 488);
    await assertAllCleared(r.h);
  });
});
