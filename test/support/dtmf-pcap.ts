/**
 * Writes RFC 4733 telephone-event key presses as a pcap file that SIPp plays with
 * `play_pcap_audio`, so a test can key any sequence (`**203#`) from a SIPp peer. Each
 * press is an event with its own RTP timestamp: start packet (marker), continuation
 * packets every 50 ms with growing duration, then the three end packets with the E bit
 * (RFC 4733 §2.5.1.4).
 */
import { serializeRtp } from '../../src/media/index.js';

const EVENT_CODES: Record<string, number> = { '*': 10, '#': 11 };

export interface KeyPress {
  key: string;
  /** ms from the start of the capture. */
  at: number;
  /** Length of the press in ms (default 120). */
  durationMs?: number;
}

function eventCode(key: string): number {
  if (/^[0-9]$/.test(key)) return Number(key);
  const code = EVENT_CODES[key];
  if (code === undefined) throw new RangeError(`no telephone-event for ${key}`);
  return code;
}

/** Ethernet + IPv4 + UDP framing around one payload, loopback addresses. */
function frame(payload: Buffer): Buffer {
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(40000, 0);
  udp.writeUInt16BE(40002, 2);
  udp.writeUInt16BE(8 + payload.length, 4);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + 8 + payload.length, 2);
  ip[8] = 64;
  ip[9] = 17;
  ip.set([127, 0, 0, 1], 12);
  ip.set([127, 0, 0, 1], 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  ip.writeUInt16BE(~sum & 0xffff, 10);
  const eth = Buffer.alloc(14);
  eth.writeUInt16BE(0x0800, 12);
  return Buffer.concat([eth, ip, udp, payload]);
}

export function dtmfPcap(presses: readonly KeyPress[], payloadType = 101): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  const records: Buffer[] = [header];
  let sequence = 1000;
  const ssrc = 0x5eed1234;
  for (const press of presses) {
    const timestamp = 160_000 + press.at * 8;
    const duration = press.durationMs ?? 120;
    const packets: { offset: number; units: number; end: boolean }[] = [];
    for (let t = 0; t < duration; t += 50)
      packets.push({ offset: t, units: Math.max(160, t * 8), end: false });
    for (let i = 0; i < 3; i++) packets.push({ offset: duration + i * 5, units: duration * 8, end: true });
    packets.forEach((p, i) => {
      const payload = Buffer.alloc(4);
      payload[0] = eventCode(press.key);
      payload[1] = (p.end ? 0x80 : 0) | 10;
      payload.writeUInt16BE(p.units, 2);
      const rtp = serializeRtp({
        payloadType,
        marker: i === 0,
        sequence: sequence++ & 0xffff,
        timestamp,
        ssrc,
        payload,
      });
      const data = frame(rtp);
      const record = Buffer.alloc(16);
      const ms = press.at + p.offset;
      record.writeUInt32LE(Math.floor(ms / 1000), 0);
      record.writeUInt32LE((ms % 1000) * 1000, 4);
      record.writeUInt32LE(data.length, 8);
      record.writeUInt32LE(data.length, 12);
      records.push(record, data);
    });
  }
  return Buffer.concat(records);
}
