/**
 * Parser benchmark: parse + serialise of a typical INVITE with SDP (~900 bytes, the header
 * set a desk phone sends), on one core. Warms up, then measures for about 2 s of wall time.
 */
import { parseMessage } from '../src/sip/parse.js';
import { serializeMessage } from '../src/sip/serialize.js';

const SDP = [
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 192.0.2.101',
  's=-',
  'c=IN IP4 192.0.2.101',
  't=0 0',
  'm=audio 49170 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=ptime:20',
  'a=sendrecv',
  '',
].join('\r\n');

const INVITE = Buffer.from(
  [
    'INVITE sip:2001@pbx.example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK-524287-1---7c1b2d9f3a6e8b40;rport',
    'Max-Forwards: 70',
    'Contact: <sip:1001@192.0.2.101:5060;transport=udp>;+sip.instance="<urn:uuid:8f5a2c1e-4b7d-4e2a-9c3f-1a2b3c4d5e6f>"',
    'To: <sip:2001@pbx.example.com>',
    'From: "Alice Example" <sip:1001@pbx.example.com>;tag=a73kszlfl',
    'Call-ID: 8f5a2c1e4b7d4e2a9c3f1a2b3c4d5e6f@192.0.2.101',
    'CSeq: 1 INVITE',
    'Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE, UPDATE',
    'Supported: replaces, norefersub, timer, 100rel',
    'Session-Expires: 1800;refresher=uac',
    'Min-SE: 90',
    'User-Agent: DeskPhone/5.9.2 (model X400)',
    'Allow-Events: presence, kpml, talk, hold',
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(SDP)}`,
    '',
    SDP,
  ].join('\r\n'),
);

function once(): number {
  const r = parseMessage(INVITE);
  if (!r.ok) throw new Error(`benchmark message rejected: ${r.status}`);
  return serializeMessage(r.message).length;
}

export async function run(): Promise<{ name: string; value: number; unit: string }[]> {
  let sink = 0;
  const warmEnd = performance.now() + 300;
  while (performance.now() < warmEnd) sink += once();
  let count = 0;
  const start = performance.now();
  let now = start;
  while (now - start < 2000) {
    for (let i = 0; i < 500; i++) sink += once();
    count += 500;
    now = performance.now();
  }
  if (sink === 0) throw new Error('unreachable');
  return [
    {
      name: 'sip parse+serialize INVITE with SDP',
      value: Math.round(count / ((now - start) / 1000)),
      unit: 'messages/s',
    },
    { name: 'sip benchmark INVITE size', value: INVITE.length, unit: 'bytes' },
  ];
}
