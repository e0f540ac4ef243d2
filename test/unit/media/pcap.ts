/**
 * A minimal pcap reader for test captures: the libpcap global header, per-record headers, and
 * Ethernet II / IPv4 / UDP decapsulation. Enough to pull RTP out of a capture, nothing more.
 */

export interface UdpRecord {
  /** Capture time in ms since the epoch. */
  timeMs: number;
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  payload: Buffer;
}

const LINKTYPE_ETHERNET = 1;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_VLAN = 0x8100;
const IPPROTO_UDP = 17;

export function readPcapUdp(file: Buffer): UdpRecord[] {
  if (file.length < 24) throw new Error('not a pcap file: too short');
  const magic = file.readUInt32LE(0);
  let le: boolean;
  let nanos = false;
  if (magic === 0xa1b2c3d4) le = true;
  else if (magic === 0xd4c3b2a1) le = false;
  else if (magic === 0xa1b23c4d) {
    le = true;
    nanos = true;
  } else if (magic === 0x4d3cb2a1) {
    le = false;
    nanos = true;
  } else throw new Error(`not a pcap file: magic ${magic.toString(16)}`);
  const u32 = (o: number) => (le ? file.readUInt32LE(o) : file.readUInt32BE(o));
  const linkType = u32(20);
  if (linkType !== LINKTYPE_ETHERNET) throw new Error(`unsupported link type ${linkType}`);
  const out: UdpRecord[] = [];
  let off = 24;
  while (off + 16 <= file.length) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const incl = u32(off + 8);
    off += 16;
    const frame = file.subarray(off, off + incl);
    off += incl;
    const rec = decodeFrame(frame);
    if (rec) out.push({ timeMs: sec * 1000 + (nanos ? frac / 1e6 : frac / 1e3), ...rec });
  }
  return out;
}

function decodeFrame(frame: Buffer): Omit<UdpRecord, 'timeMs'> | undefined {
  let off = 12;
  if (frame.length < off + 2) return undefined;
  let type = frame.readUInt16BE(off);
  off += 2;
  if (type === ETHERTYPE_VLAN) {
    type = frame.readUInt16BE(off + 2);
    off += 4;
  }
  if (type !== ETHERTYPE_IPV4 || frame.length < off + 20) return undefined;
  const ihl = (frame[off]! & 0x0f) * 4;
  const totalLength = frame.readUInt16BE(off + 2);
  if (frame[off + 9] !== IPPROTO_UDP) return undefined;
  const ip = (o: number) => [...frame.subarray(off + o, off + o + 4)].join('.');
  const src = ip(12);
  const dst = ip(16);
  const udp = off + ihl;
  if (frame.length < udp + 8) return undefined;
  const udpLength = frame.readUInt16BE(udp + 4);
  const end = Math.min(frame.length, off + totalLength, udp + udpLength);
  return {
    src,
    srcPort: frame.readUInt16BE(udp),
    dst,
    dstPort: frame.readUInt16BE(udp + 2),
    payload: frame.subarray(udp + 8, end),
  };
}
