/**
 * RTP packets (RFC 3550 §5.1) and the RTP/RTCP demultiplexing rule (RFC 5761 §4).
 *
 * Parsing never throws: anything that is not a well-formed RTP packet yields `undefined`,
 * so a stray datagram on a media port can never take a socket down.
 */

export const RTP_VERSION = 2;
const FIXED_HEADER = 12;

export interface RtpHeaderExtension {
  /** The 16-bit profile-defined value (RFC 3550 §5.3.1), e.g. 0xBEDE for RFC 8285 one-byte headers. */
  profile: number;
  /** Extension data, a multiple of 4 bytes, without the 4-byte extension header. */
  data: Buffer;
}

export interface RtpPacket {
  version: number;
  marker: boolean;
  payloadType: number;
  /** 16-bit sequence number. */
  sequence: number;
  /** 32-bit timestamp in the payload's clock rate. */
  timestamp: number;
  /** 32-bit synchronisation source. */
  ssrc: number;
  /** Contributing sources (RFC 3550 §5.1 CC field), at most 15. */
  csrcs: number[];
  extension?: RtpHeaderExtension;
  /** Padding bytes appended after the payload, including the final count byte; 0 when P is clear. */
  paddingLength: number;
  payload: Buffer;
}

/** The fields a caller must give to build a packet; the rest default to an ordinary audio packet. */
export type RtpPacketInit = Pick<RtpPacket, 'payloadType' | 'sequence' | 'timestamp' | 'ssrc' | 'payload'> &
  Partial<Pick<RtpPacket, 'marker' | 'csrcs' | 'extension' | 'paddingLength'>>;

/**
 * RFC 5761 §4: with the marker bit masked off, RTCP packet types 200–204 (SR, RR, SDES, BYE,
 * APP) fall in 72–76 and never collide with RTP payload types; the whole 64–95 range is kept free
 * of RTP payload types, so treat 192–223 in the second byte as RTCP.
 */
export function isRtcp(datagram: Uint8Array): boolean {
  if (datagram.length < 8) return false;
  if (datagram[0]! >> 6 !== RTP_VERSION) return false;
  const pt = datagram[1]!;
  return pt >= 192 && pt <= 223;
}

/** The RTCP packet type (RFC 3550 §6.4–6.7: 200 SR … 204 APP) of the first packet of a compound datagram. */
export function rtcpPacketType(datagram: Uint8Array): number | undefined {
  return isRtcp(datagram) ? datagram[1] : undefined;
}

/** Decodes an RTP packet; `undefined` for anything malformed or for RTCP. Never throws. */
export function parseRtp(datagram: Uint8Array): RtpPacket | undefined {
  if (datagram.length < FIXED_HEADER) return undefined;
  const buf = Buffer.isBuffer(datagram)
    ? datagram
    : Buffer.from(datagram.buffer, datagram.byteOffset, datagram.length);
  const b0 = buf[0]!;
  const b1 = buf[1]!;
  const version = b0 >> 6;
  // RFC 3550 §5.1: version is 2; anything else is not RTP as we know it.
  if (version !== RTP_VERSION) return undefined;
  if (isRtcp(buf)) return undefined;
  const hasPadding = (b0 & 0x20) !== 0;
  const hasExtension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;
  let offset = FIXED_HEADER;
  // RFC 3550 §5.1: CC counts the 32-bit CSRC identifiers after the fixed header.
  if (buf.length < offset + 4 * csrcCount) return undefined;
  const csrcs: number[] = [];
  for (let i = 0; i < csrcCount; i++) csrcs.push(buf.readUInt32BE(offset + 4 * i));
  offset += 4 * csrcCount;
  let extension: RtpHeaderExtension | undefined;
  if (hasExtension) {
    // RFC 3550 §5.3.1: 16-bit profile field, 16-bit length in 32-bit words, then the data.
    if (buf.length < offset + 4) return undefined;
    const profile = buf.readUInt16BE(offset);
    const words = buf.readUInt16BE(offset + 2);
    offset += 4;
    if (buf.length < offset + 4 * words) return undefined;
    extension = { profile, data: buf.subarray(offset, offset + 4 * words) };
    offset += 4 * words;
  }
  let end = buf.length;
  let paddingLength = 0;
  if (hasPadding) {
    // RFC 3550 §5.1: the last octet counts the padding octets, itself included; 0 is invalid.
    paddingLength = buf[buf.length - 1]!;
    if (paddingLength === 0 || offset + paddingLength > buf.length) return undefined;
    end -= paddingLength;
  }
  const packet: RtpPacket = {
    version,
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequence: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    csrcs,
    paddingLength,
    payload: buf.subarray(offset, end),
  };
  if (extension) packet.extension = extension;
  return packet;
}

/** Encodes an RTP packet. Out-of-range fields are a programming error and throw RangeError. */
export function serializeRtp(init: RtpPacketInit): Buffer {
  const csrcs = init.csrcs ?? [];
  const ext = init.extension;
  const padding = init.paddingLength ?? 0;
  if (csrcs.length > 15) throw new RangeError('at most 15 CSRCs fit the CC field');
  if (init.payloadType < 0 || init.payloadType > 127)
    throw new RangeError(`payload type ${init.payloadType}`);
  if (padding < 0 || padding > 255) throw new RangeError(`padding ${padding}`);
  if (ext && ext.data.length % 4 !== 0)
    throw new RangeError('header extension data must be a multiple of 4 bytes');
  const extLength = ext ? 4 + ext.data.length : 0;
  const size = FIXED_HEADER + 4 * csrcs.length + extLength + init.payload.length + padding;
  const buf = Buffer.alloc(size);
  buf[0] = (RTP_VERSION << 6) | (padding > 0 ? 0x20 : 0) | (ext ? 0x10 : 0) | csrcs.length;
  buf[1] = (init.marker ? 0x80 : 0) | init.payloadType;
  buf.writeUInt16BE(init.sequence & 0xffff, 2);
  buf.writeUInt32BE(init.timestamp >>> 0, 4);
  buf.writeUInt32BE(init.ssrc >>> 0, 8);
  let offset = FIXED_HEADER;
  for (const c of csrcs) {
    buf.writeUInt32BE(c >>> 0, offset);
    offset += 4;
  }
  if (ext) {
    buf.writeUInt16BE(ext.profile & 0xffff, offset);
    buf.writeUInt16BE(ext.data.length / 4, offset + 2);
    ext.data.copy(buf, offset + 4);
    offset += extLength;
  }
  Buffer.from(init.payload).copy(buf, offset);
  offset += init.payload.length;
  // RFC 3550 §5.1: padding octets are zero except the last, which holds the count.
  if (padding > 0) buf[size - 1] = padding;
  return buf;
}

/** RFC 3550 §A.1-style serial comparison: true when 16-bit sequence `a` is newer than `b`. */
export function seqNewer(a: number, b: number): boolean {
  const d = (a - b) & 0xffff;
  return d !== 0 && d < 0x8000;
}

/** Serial comparison of 32-bit RTP timestamps: true when `a` is later than `b`. */
export function timestampNewer(a: number, b: number): boolean {
  const d = (a - b) >>> 0;
  return d !== 0 && d < 0x80000000;
}
