import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SdpError } from '../../../src/media/errors.js';
import { anchorSdp, describeSdp } from '../../../src/media/sdp.js';

const sdp = (...lines: string[]) => `${lines.join('\r\n')}\r\n`;

const PHONE = sdp(
  'v=0',
  'o=alice 2890844526 2890844527 IN IP4 192.0.2.101',
  's=-',
  'c=IN IP4 192.0.2.101',
  't=0 0',
  'm=audio 49170 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendrecv',
);

const RELAY = { address: '203.0.113.5', rtpPort: 20002, rtcpPort: 20003 };

const lines = (s: string) => s.split('\r\n').filter(Boolean);

describe('anchorSdp', () => {
  it('points session c=, the o= address and the audio port at the relay', () => {
    const out = lines(anchorSdp(PHONE, RELAY));
    assert.ok(out.includes('c=IN IP4 203.0.113.5'));
    assert.ok(out.includes('o=alice 2890844526 2890844527 IN IP4 203.0.113.5'));
    assert.ok(out.includes('m=audio 20002 RTP/AVP 0 8 101'));
    assert.ok(!out.join('\n').includes('192.0.2.101'));
  });

  it('keeps codecs, telephone-event, fmtp, ptime and direction', () => {
    const out = lines(anchorSdp(PHONE, RELAY));
    for (const l of [
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-16',
      'a=ptime:20',
      'a=sendrecv',
    ])
      assert.ok(out.includes(l), l);
  });

  it('ends lines with CRLF', () => {
    assert.ok(/^v=0\r\no=/.test(anchorSdp(PHONE, RELAY)));
  });

  it('rewrites a media-level c= too', () => {
    const input = PHONE.replace('a=rtpmap:0', 'c=IN IP4 198.51.100.7\r\na=rtpmap:0');
    const out = lines(anchorSdp(input, RELAY));
    assert.equal(out.filter((l) => l === 'c=IN IP4 203.0.113.5').length, 2);
  });

  it('adds a media-level c= when neither level had one', () => {
    const input = PHONE.replace('c=IN IP4 192.0.2.101\r\n', '');
    assert.ok(lines(anchorSdp(input, RELAY)).includes('c=IN IP4 203.0.113.5'));
  });

  it('moves a=rtcp with its address (RFC 3605)', () => {
    const input = PHONE.replace('a=ptime:20', 'a=rtcp:53020 IN IP4 192.0.2.101\r\na=ptime:20');
    assert.ok(lines(anchorSdp(input, RELAY)).includes('a=rtcp:20003 IN IP4 203.0.113.5'));
  });

  it('moves a port-only a=rtcp', () => {
    const input = PHONE.replace('a=ptime:20', 'a=rtcp:53020\r\na=ptime:20');
    assert.ok(lines(anchorSdp(input, RELAY)).includes('a=rtcp:20003'));
  });

  it('adds a=rtcp only when the relay’s RTCP port is not RTP + 1', () => {
    assert.ok(!anchorSdp(PHONE, RELAY).includes('a=rtcp:'));
    assert.ok(lines(anchorSdp(PHONE, { ...RELAY, rtcpPort: 21001 })).includes('a=rtcp:21001'));
  });

  for (const dir of ['sendonly', 'inactive', 'recvonly']) {
    it(`leaves a=${dir} (hold) intact`, () => {
      const out = lines(anchorSdp(PHONE.replace('a=sendrecv', `a=${dir}`), RELAY));
      assert.ok(out.includes(`a=${dir}`));
      assert.ok(!out.includes('a=sendrecv'));
    });
  }

  it('keeps a session-level a=sendonly', () => {
    const input = PHONE.replace('t=0 0', 't=0 0\r\na=sendonly').replace('a=sendrecv\r\n', '');
    assert.ok(lines(anchorSdp(input, RELAY)).includes('a=sendonly'));
  });

  it('keeps the RFC 2543 hold address c=0.0.0.0', () => {
    const out = lines(anchorSdp(PHONE.replace('c=IN IP4 192.0.2.101', 'c=IN IP4 0.0.0.0'), RELAY));
    assert.ok(out.includes('c=IN IP4 0.0.0.0'));
    assert.ok(out.includes('m=audio 20002 RTP/AVP 0 8 101'));
  });

  it('disables other streams by default, or keeps them', () => {
    const input = `${PHONE}m=video 51372 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n`;
    assert.ok(lines(anchorSdp(input, RELAY)).includes('m=video 0 RTP/AVP 96'));
    assert.ok(lines(anchorSdp(input, RELAY, { otherStreams: 'keep' })).includes('m=video 51372 RTP/AVP 96'));
  });

  it('anchors the first active audio stream, leaving a rejected one at port 0', () => {
    const input = PHONE.replace('m=audio 49170', 'm=audio 0 RTP/AVP 0\r\nm=audio 49170');
    const out = lines(anchorSdp(input, RELAY));
    assert.ok(out.includes('m=audio 0 RTP/AVP 0'));
    assert.ok(out.includes('m=audio 20002 RTP/AVP 0 8 101'));
  });

  it('removes ICE candidates and credentials, which would lead around the relay', () => {
    const input = PHONE.replace(
      'a=sendrecv',
      'a=ice-ufrag:F7gI\r\na=ice-pwd:x9cml/YzichV2+XlhiMu8g\r\na=candidate:0 1 UDP 2113667327 192.0.2.101 49170 typ host\r\na=sendrecv',
    );
    const out = anchorSdp(input, RELAY);
    assert.ok(!/candidate|ice-/.test(out));
  });

  it('uses IP6 for an IPv6 relay address', () => {
    const out = lines(anchorSdp(PHONE, { address: '2001:db8::5', rtpPort: 20002, rtcpPort: 20003 }));
    assert.ok(out.includes('c=IN IP6 2001:db8::5'));
    assert.ok(out.includes('o=alice 2890844526 2890844527 IN IP6 2001:db8::5'));
  });

  it('sets the session version and id when asked', () => {
    const out = lines(anchorSdp(PHONE, RELAY, { sessionVersion: 7, sessionId: 99 }));
    assert.ok(out.includes('o=alice 99 7 IN IP4 203.0.113.5'));
  });

  it('refuses an SDP without audio', () => {
    assert.throws(() => anchorSdp(sdp('v=0', 'o=- 1 1 IN IP4 1.2.3.4', 's=-', 't=0 0'), RELAY), SdpError);
    assert.throws(
      () => anchorSdp(sdp('v=0', 'o=- 1 1 IN IP4 1.2.3.4', 's=-', 't=0 0', 'm=video 5000 RTP/AVP 96'), RELAY),
      SdpError,
    );
  });

  it('round-trips through describeSdp', () => {
    const d = describeSdp(anchorSdp(PHONE, RELAY));
    assert.equal(d?.address, '203.0.113.5');
    assert.equal(d?.port, 20002);
    assert.equal(d?.rtcpPort, 20003);
  });
});

describe('describeSdp', () => {
  it('reads address, ports and payload types', () => {
    assert.deepEqual(describeSdp(PHONE), {
      address: '192.0.2.101',
      port: 49170,
      rtcpPort: 49171,
      rtcpMux: false,
      payloadTypes: [0, 8, 101],
      pcmu: 0,
      pcma: 8,
      telephoneEvent: { payloadType: 101, clockRate: 8000, events: '0-16' },
      direction: 'sendrecv',
      onHold: false,
      ptime: 20,
    });
  });

  it('knows PCMU and PCMA by static payload type without rtpmap', () => {
    const d = describeSdp(
      sdp('v=0', 'o=- 1 1 IN IP4 1.2.3.4', 's=-', 'c=IN IP4 1.2.3.4', 't=0 0', 'm=audio 4000 RTP/AVP 8 0'),
    );
    assert.equal(d?.pcmu, 0);
    assert.equal(d?.pcma, 8);
    assert.equal(d?.telephoneEvent, undefined);
  });

  it('finds a dynamic telephone-event payload type and prefers the 8 kHz one', () => {
    const d = describeSdp(
      sdp(
        'v=0',
        'o=- 1 1 IN IP4 1.2.3.4',
        's=-',
        'c=IN IP4 1.2.3.4',
        't=0 0',
        'm=audio 4000 RTP/AVP 9 0 110 96',
        'a=rtpmap:110 telephone-event/16000',
        'a=rtpmap:96 telephone-event/8000',
      ),
    );
    assert.deepEqual(d?.telephoneEvent, { payloadType: 96, clockRate: 8000 });
    assert.equal(d?.pcma, undefined);
  });

  it('prefers the media-level address and reads a=rtcp and rtcp-mux', () => {
    const base = PHONE.replace('a=ptime:20', 'c=IN IP4 198.51.100.9\r\na=rtcp:50000\r\na=ptime:20');
    assert.equal(describeSdp(base)?.address, '198.51.100.9');
    assert.equal(describeSdp(base)?.rtcpPort, 50000);
    const mux = describeSdp(PHONE.replace('a=ptime:20', 'a=rtcp-mux\r\na=ptime:20'));
    assert.equal(mux?.rtcpMux, true);
    assert.equal(mux?.rtcpPort, 49170);
  });

  it('reports hold for sendonly, inactive and c=0.0.0.0', () => {
    assert.equal(describeSdp(PHONE.replace('a=sendrecv', 'a=sendonly'))?.onHold, true);
    assert.equal(describeSdp(PHONE.replace('a=sendrecv', 'a=inactive'))?.direction, 'inactive');
    assert.equal(describeSdp(PHONE.replace('c=IN IP4 192.0.2.101', 'c=IN IP4 0.0.0.0'))?.onHold, true);
    assert.equal(describeSdp(PHONE.replace('a=sendrecv', 'a=recvonly'))?.onHold, false);
  });

  it('gives undefined without an active audio stream or address', () => {
    assert.equal(describeSdp(''), undefined);
    assert.equal(describeSdp('garbage'), undefined);
    assert.equal(describeSdp(PHONE.replace('m=audio 49170', 'm=audio 0')), undefined);
    assert.equal(describeSdp(PHONE.replace('c=IN IP4 192.0.2.101\r\n', '')), undefined);
  });
});
