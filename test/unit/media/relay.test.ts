/**
 * Relay timing on the virtual clock: media timeout and tone pacing. The sockets are real
 * (127.0.0.1) but nothing here waits on the network.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, describe, it } from 'node:test';
import { createRtpRelay, type RtpRelay, type Side } from '../../../src/media/relay.js';
import { createToneSource, dialTone } from '../../../src/media/tones.js';
import { VirtualClock } from '../../../src/util/clock.js';

const relays: RtpRelay[] = [];
after(() => Promise.all(relays.map((r) => r.close())));

function setup(mediaTimeoutMs?: number) {
  const clock = new VirtualClock();
  const relay = createRtpRelay({
    bindAddress: '127.0.0.1',
    portMin: 23000,
    portMax: 23099,
    clock,
    mediaTimeoutMs,
  });
  relays.push(relay);
  return { clock, relay };
}

describe('relay timing (virtual clock)', () => {
  it('media timeout defaults to 60 s from the moment the session is established, reported once', async () => {
    const { clock, relay } = setup();
    const timeouts: Side[] = [];
    const session = await relay.createSession({ onTimeout: (s) => timeouts.push(s) });
    clock.advance(120_000);
    assert.deepEqual(timeouts, [], 'not before the call is established');
    session.markEstablished();
    clock.advance(59_999);
    assert.deepEqual(timeouts, []);
    clock.advance(1);
    assert.deepEqual(timeouts, ['a']);
    clock.advance(600_000);
    assert.deepEqual(timeouts, ['a']);
    await session.close();
  });

  it('a per-session timeout overrides the relay’s; 0 switches it off and switching it on counts from then', async () => {
    const { clock, relay } = setup(1000);
    const timeouts: Side[] = [];
    const session = await relay.createSession({ mediaTimeoutMs: 5000, onTimeout: (s) => timeouts.push(s) });
    session.markEstablished();
    clock.advance(4000);
    session.setMediaTimeout(0);
    clock.advance(60_000);
    assert.deepEqual(timeouts, []);
    session.setMediaTimeout(2000);
    clock.advance(1999);
    assert.deepEqual(timeouts, []);
    clock.advance(1);
    assert.equal(timeouts.length, 1);
    await session.close();
  });

  it('close() cancels the media timeout', async () => {
    const { clock, relay } = setup(1000);
    const timeouts: Side[] = [];
    const session = await relay.createSession({ onTimeout: (s) => timeouts.push(s) });
    session.markEstablished();
    await session.close();
    clock.advance(10_000);
    assert.deepEqual(timeouts, []);
    assert.equal(clock.pendingCount, 0);
  });

  it('play() sends one packet per 20 ms of clock time and stops cleanly', async () => {
    const { clock, relay } = setup();
    const sink = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
    try {
      const session = await relay.createSession();
      session.setRemote('a', { address: '127.0.0.1', port: sink.address().port });
      const player = session.play('a', createToneSource(dialTone()));
      assert.equal(session.stats().a.injected, 1, 'first packet at once');
      clock.advance(200);
      assert.equal(session.stats().a.injected, 11);
      player.stop();
      player.stop();
      assert.equal(player.playing, false);
      clock.advance(200);
      assert.equal(session.stats().a.injected, 11);
      assert.equal(clock.pendingCount, 0);
      // A second tone replaces the first.
      const first = session.play('a', createToneSource(dialTone()));
      const second = session.play('a', createToneSource(dialTone('425')));
      assert.equal(first.playing, false);
      assert.equal(second.playing, true);
      await session.close();
      assert.equal(second.playing, false);
    } finally {
      sink.close();
    }
  });

  it('injecting without a known destination sends nothing', async () => {
    const { relay } = setup();
    const session = await relay.createSession();
    const player = session.play('b', createToneSource(dialTone()));
    assert.equal(session.stats().b.injected, 0);
    player.stop();
    await session.close();
  });

  it('rejects a bad port range', () => {
    assert.throws(() => createRtpRelay({ portMin: 30000, portMax: 29000 }), RangeError);
    assert.throws(() => createRtpRelay({ portMin: 0, portMax: 10 }), RangeError);
  });
});
