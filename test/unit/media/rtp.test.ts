import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  isRtcp,
  parseRtp,
  rtcpPacketType,
  seqNewer,
  serializeRtp,
  timestampNewer,
} from '../../../src/media/rtp.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('RTP header (RFC 3550 §5.1)', () => {
  it('parses the fixed header of a PCMU packet', () => {
    const p = parseRtp(hex('80 00 1234 000003e8 deadbeef ffff'));
    assert.ok(p);
    assert.equal(p.version, 2);
    assert.equal(p.marker, false);
    assert.equal(p.payloadType, 0);
    assert.equal(p.sequence, 0x1234);
    assert.equal(p.timestamp, 1000);
    assert.equal(p.ssrc, 0xdeadbeef);
    assert.deepEqual(p.csrcs, []);
    assert.equal(p.extension, undefined);
    assert.equal(p.paddingLength, 0);
    assert.deepEqual([...p.payload], [0xff, 0xff]);
  });

  it('reads the marker bit apart from the payload type', () => {
    const p = parseRtp(hex('80 e5 0001 00000000 00000001 01 0a 0000'));
    assert.equal(p?.marker, true);
    assert.equal(p?.payloadType, 101);
  });

  it('reads CSRCs counted by CC', () => {
    const p = parseRtp(hex('82 08 0001 00000010 00000001 00000002 00000003 d5'));
    assert.deepEqual(p?.csrcs, [2, 3]);
    assert.deepEqual([...(p?.payload ?? [])], [0xd5]);
  });

  it('reads a header extension (RFC 3550 §5.3.1)', () => {
    const p = parseRtp(hex('90 00 0001 00000010 00000001 bede 0001 10ff0000 aa'));
    assert.equal(p?.extension?.profile, 0xbede);
    assert.deepEqual([...(p?.extension?.data ?? [])], [0x10, 0xff, 0, 0]);
    assert.deepEqual([...(p?.payload ?? [])], [0xaa]);
  });

  it('strips padding counted by the last octet', () => {
    const p = parseRtp(hex('a0 00 0001 00000010 00000001 aabb 000003'));
    assert.equal(p?.paddingLength, 3);
    assert.deepEqual([...(p?.payload ?? [])], [0xaa, 0xbb]);
  });

  it('rejects a packet shorter than the fixed header', () => {
    assert.equal(parseRtp(hex('80 00 0001 00000010 000000')), undefined);
  });

  it('rejects a version other than 2', () => {
    assert.equal(parseRtp(hex('40 00 0001 00000010 00000001')), undefined);
    assert.equal(parseRtp(hex('00 00 0001 00000010 00000001')), undefined);
  });

  it('rejects a CSRC count longer than the packet', () => {
    assert.equal(parseRtp(hex('8f 00 0001 00000010 00000001 00000002')), undefined);
  });

  it('rejects a truncated header extension', () => {
    assert.equal(parseRtp(hex('90 00 0001 00000010 00000001 bede')), undefined);
    assert.equal(parseRtp(hex('90 00 0001 00000010 00000001 bede 0002 00000000')), undefined);
  });

  it('rejects a padding count of zero or longer than the payload', () => {
    assert.equal(parseRtp(hex('a0 00 0001 00000010 00000001 aa00')), undefined);
    assert.equal(parseRtp(hex('a0 00 0001 00000010 00000001 aa10')), undefined);
  });

  it('accepts an empty payload', () => {
    assert.equal(parseRtp(hex('80 00 0001 00000010 00000001'))?.payload.length, 0);
  });

  it('parses from a Uint8Array that is not a Buffer', () => {
    const p = parseRtp(new Uint8Array(hex('80 08 0001 00000010 00000001 d5')));
    assert.equal(p?.payloadType, 8);
  });

  it('round-trips every field', () => {
    const bytes = serializeRtp({
      payloadType: 101,
      marker: true,
      sequence: 65535,
      timestamp: 0xffffffff,
      ssrc: 0x80000001,
      csrcs: [7, 8],
      extension: { profile: 0xbede, data: hex('01020304') },
      paddingLength: 4,
      payload: hex('0a8a00a0'),
    });
    const p = parseRtp(bytes);
    assert.ok(p);
    assert.equal(p.marker, true);
    assert.equal(p.payloadType, 101);
    assert.equal(p.sequence, 65535);
    assert.equal(p.timestamp, 0xffffffff);
    assert.equal(p.ssrc, 0x80000001);
    assert.deepEqual(p.csrcs, [7, 8]);
    assert.equal(p.extension?.profile, 0xbede);
    assert.equal(p.paddingLength, 4);
    assert.equal(p.payload.toString('hex'), '0a8a00a0');
  });

  it('refuses to serialise more than 15 CSRCs', () => {
    assert.throws(
      () =>
        serializeRtp({
          payloadType: 0,
          sequence: 0,
          timestamp: 0,
          ssrc: 0,
          payload: Buffer.alloc(0),
          csrcs: Array(16).fill(1),
        }),
      RangeError,
    );
  });

  it('never throws on arbitrary bytes, and round-trips what it parses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const p = parseRtp(bytes);
        if (p) {
          const again = parseRtp(serializeRtp(p));
          assert.deepEqual(again?.payload, p.payload);
          assert.equal(again?.sequence, p.sequence);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('RTCP demultiplexing (RFC 5761 §4)', () => {
  for (const pt of [200, 201, 202, 203, 204]) {
    it(`recognises RTCP packet type ${pt} and does not parse it as RTP`, () => {
      const pkt = Buffer.from([0x80, pt, 0x00, 0x01, 0, 0, 0, 1]);
      assert.equal(isRtcp(pkt), true);
      assert.equal(rtcpPacketType(pkt), pt);
      assert.equal(parseRtp(Buffer.concat([pkt, Buffer.alloc(8)])), undefined);
    });
  }

  it('does not take a marked RTP packet with dynamic payload type for RTCP', () => {
    assert.equal(isRtcp(hex('80 e5 0001 00000000 00000001')), false);
    assert.equal(isRtcp(hex('80 80 0001 00000000 00000001')), false);
  });
});

describe('serial number arithmetic', () => {
  it('compares sequence numbers across the wrap', () => {
    assert.equal(seqNewer(0, 65535), true);
    assert.equal(seqNewer(65535, 0), false);
    assert.equal(seqNewer(5, 5), false);
  });

  it('compares timestamps across the wrap', () => {
    assert.equal(timestampNewer(10, 0xfffffff0), true);
    assert.equal(timestampNewer(0xfffffff0, 10), false);
  });
});
