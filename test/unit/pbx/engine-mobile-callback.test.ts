/**
 * Mobile Callback (FNE 33) in virtual time: the request is never answered, its hang-up
 * inside 30 s books a callback to the user's mobile within 5 s, and the callback counts
 * only when answered after the answer guard and inside the No Answer Time (MCB-1, MCB-2).
 * The callback's media runs through twinline's relay on real loopback sockets: the
 * mobile's SDP points at a socket of this test, which hears the dial tone.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { describe, it } from 'node:test';
import { decodeG711, presentFrequencies } from '../../../src/media/index.js';
import { CALLBACK_DELAY_MS } from '../../../src/pbx/call.js';
import {
  type Action,
  answerWithSdp,
  assertAllCleared,
  createPbxHarness,
  type PbxHarness,
  rel,
  ring,
  type SipUa,
} from '../../support/pbx-harness.js';

const CARRIER = '10.0.0.100';
const FNE33 = '441632960033';
const MOBILE_CLI = '07700900201';

function directory(guard = 3, noAnswerTime = 15): string {
  return `
system:
  timeZone: UTC
users:
  - extension: '201'
    name: Alice
    password: alice-secret
    licence: mobile-worker
    noAnswerTime: ${noAnswerTime}
    mobility:
      mobilityFeatures: true
      twinnedMobileNumber: '907700900201'
      mobileAnswerGuard: ${guard}
      mobileCallback: true
  - { extension: '203', name: Carol, password: carol-secret }
trunks:
  - { name: carrier, kind: carrier, host: ${CARRIER}, port: 5060, ownNumber: '441632960000' }
incomingRoutes:
  - { trunk: carrier, ddi: '${FNE33}', destination: fne33 }
`;
}

/** The mobile's media: a real socket on 127.0.0.1 that keeps what twinline sends it. */
async function mobileMedia(): Promise<{ port: number; packets: Buffer[]; close(): void }> {
  const socket = dgram.createSocket('udp4');
  const packets: Buffer[] = [];
  socket.on('message', (m) => packets.push(m));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, packets, close: () => socket.close() };
}

/** 200 OK, `ms` after the INVITE, whose SDP puts the mobile's media at 127.0.0.1:`port` (PCMU + telephone-event). */
function answerWithMediaAfter(ms: number, port: number): Action {
  const sdp = [
    'v=0',
    'o=mobile 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP 0 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    '',
  ].join('\r\n');
  return (call) => {
    call.ua.clock.setTimer(Math.max(0, ms - (call.ua.clock.now() - call.at)), () => answerWithSdp(sdp)(call));
  };
}

function rig(guard?: number, noAnswerTime?: number): { h: PbxHarness; carrier: SipUa } {
  const h = createPbxHarness({ directory: directory(guard, noAnswerTime) });
  return { h, carrier: h.endpoint('carrier', CARRIER) };
}

/** Waits (in real time, bounded) until `check` holds; relay sockets deliver asynchronously. */
async function until(h: PbxHarness, check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !check(); i++) {
    await h.run(40);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.ok(check(), what);
}

describe('mobile callback (FNE 33)', () => {
  it('MCB-1 the request only rings; hung up at 10 s, the callback INVITE goes to the mobile number 1 s later, offering twinline’s relay', async () => {
    const { h, carrier } = rig();
    carrier.expects('INVITE').then(ring);
    const t0 = h.clock.now();
    const request = carrier.sends('INVITE').to(FNE33, { user: MOBILE_CLI });
    await h.run(10_000);
    assert.deepEqual(
      request.responses.map((r) => r.status),
      [100, 180],
      'never answered: the caller hears ringing',
    );
    request.cancel();
    await h.run(CALLBACK_DELAY_MS - 1);
    assert.deepEqual(carrier.got('INVITE'), [], 'not a millisecond early');
    await h.run(1);

    assert.equal(request.final, 487);
    assert.deepEqual(rel(carrier.times('INVITE'), t0), [10_000 + CALLBACK_DELAY_MS]);
    assert.ok(CALLBACK_DELAY_MS <= 5000, 'MCB-1: within 5 s of the hang-up');
    const callback = carrier.requests('INVITE')[0]!;
    assert.ok(callback.uri.startsWith('sip:07700900201@10.0.0.100'), callback.uri);
    assert.match(callback.body.toString(), /c=IN IP4 127\.0\.0\.1/, 'media anchored on the relay');
    assert.match(callback.headers.get('from') ?? '', /441632960000/, 'the trunk’s own number');

    await h.run(20_000); // the No Answer Time ends the unanswered callback
    await assertAllCleared(h);
  });

  it('MCB-2 the callback answered after the guard hears dial tone (350 + 440 Hz decoded from the relay’s RTP) and the mobile’s hang-up ends it', async () => {
    const { h, carrier } = rig(3);
    const media = await mobileMedia();
    try {
      const request = carrier.sends('INVITE').to(FNE33, { user: MOBILE_CLI });
      await h.run(2000);
      request.cancel();
      carrier.expects('INVITE').then(ring, answerWithMediaAfter(4000, media.port));
      await until(h, () => carrier.labels().includes('ACK'), 'the answer after the guard is taken');

      await until(h, () => media.packets.length >= 25, 'half a second of dial tone reaches the mobile');
      const pcm = decodeG711('PCMU', Buffer.concat(media.packets.slice(5, 25).map((p) => p.subarray(12))));
      assert.deepEqual(presentFrequencies(pcm, [350, 440, 1000, 1400]), [350, 440]);

      const answered = h.engine.calls()[0]!;
      assert.equal(answered.state, 'connected');
      assert.equal(answered.connectedReason, 'callback');
      const mobileCall = carrier.incoming.at(-1)!;
      carrier.hangUp(mobileCall);
      await h.run(1);
      assert.equal(h.engine.calls().length, 0, 'the mobile’s hang-up ends the callback');
      await assertAllCleared(h);
    } finally {
      media.close();
    }
  });

  it('MCB-2 a callback answered inside the answer guard is hung up and never retried', async () => {
    const { h, carrier } = rig(3);
    const request = carrier.sends('INVITE').to(FNE33, { user: MOBILE_CLI });
    await h.run(1000);
    request.cancel();
    carrier.expects('INVITE').then(answerWithMediaAfter(500, 9));
    await until(h, () => carrier.labels().includes('BYE'), 'the machine that answered is hung up');
    const invite = carrier.times('INVITE')[0]!;
    assert.deepEqual(rel(carrier.times('BYE'), invite), [500], 'hung up as it answers, inside the 3 s guard');
    await h.run(60_000);
    assert.equal(carrier.requests('INVITE').length, 1, 'one callback INVITE, no retry');
    assert.equal(h.engine.calls().length, 0);
    await assertAllCleared(h);
  });

  it('MCB-2 a callback not answered within the No Answer Time is CANCELled at exactly that time and never retried', async () => {
    const { h, carrier } = rig(3, 15);
    const request = carrier.sends('INVITE').to(FNE33, { user: MOBILE_CLI });
    await h.run(1000);
    request.cancel();
    carrier.expects('INVITE').then(ring);
    await h.run(CALLBACK_DELAY_MS);
    const placed = carrier.times('INVITE')[0]!;
    await h.run(15_000);
    assert.deepEqual(rel(carrier.times('CANCEL'), placed), [15_000]);
    await h.run(60_000);
    assert.equal(carrier.requests('INVITE').length, 1, 'no retry');
    await assertAllCleared(h);
  });

  it('MCB-1 a request still ringing at 30 s is cleared (480) and no callback is ever placed', async () => {
    const { h, carrier } = rig();
    const t0 = h.clock.now();
    const request = carrier.sends('INVITE').to(FNE33, { user: MOBILE_CLI });
    await h.run(29_999);
    assert.equal(request.final, undefined);
    await h.run(1);
    assert.equal(request.final, 480);
    assert.deepEqual(rel([request.responses.at(-1)!.at], t0), [30_000]);
    await h.run(60_000);
    assert.deepEqual(carrier.got('INVITE'), [], 'no callback');
    await assertAllCleared(h);
  });

  it('MCB-2 a second request while a callback is pending is rejected (486), and an unknown caller ID is refused (403)', async () => {
    const { h, carrier } = rig();
    carrier.expects('INVITE').then(ring);
    const first = carrier.sends('INVITE').to(FNE33, { user: MOBILE_CLI });
    await h.run(1000);
    const second = carrier.sends('INVITE').to(FNE33, { user: MOBILE_CLI });
    const stranger = carrier.sends('INVITE').to(FNE33, { user: '07700900999' });
    await h.run(10);
    assert.equal(second.final, 486);
    assert.equal(stranger.final, 403);
    first.cancel();
    await h.run(CALLBACK_DELAY_MS + 20_000);
    assert.equal(carrier.requests('INVITE').length, 1, 'one callback, for the first request');
    await assertAllCleared(h);
  });
});
