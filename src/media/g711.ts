/**
 * G.711 µ-law and A-law (ITU-T G.711), 16-bit linear PCM in and out. The tables are built
 * once from the classic segment arithmetic, so encoding and decoding are a lookup.
 */

export type G711Codec = 'PCMU' | 'PCMA';

/** RFC 3551 §6 static payload types: PCMU 0, PCMA 8, both 8 kHz. */
export const STATIC_PAYLOAD_TYPE: Readonly<Record<G711Codec, number>> = { PCMU: 0, PCMA: 8 };

const ULAW_BIAS = 0x84;
const ULAW_CLIP = 32635;

/** ITU-T G.711 µ-law: one 16-bit sample to one code word (0 → 0xFF). */
export function linearToUlaw(sample: number): number {
  let s = Math.max(-32768, Math.min(32767, Math.round(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  if (s > ULAW_CLIP) s = ULAW_CLIP;
  s += ULAW_BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** ITU-T G.711 µ-law: one code word to a 16-bit sample (0xFF → 0). */
export function ulawToLinear(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
  // µ-law has a negative zero (0x7F); report it as plain 0.
  return u & 0x80 && magnitude !== 0 ? -magnitude : magnitude;
}

const ALAW_SEGMENT_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff] as const;

/** ITU-T G.711 A-law: one 16-bit sample to one code word (0 → 0xD5; even bits inverted). */
export function linearToAlaw(sample: number): number {
  let s = Math.max(-32768, Math.min(32767, Math.round(sample))) >> 3;
  let mask: number;
  if (s >= 0) mask = 0xd5;
  else {
    mask = 0x55;
    s = -s - 1;
  }
  let seg = 0;
  while (seg < 8 && s > ALAW_SEGMENT_END[seg]!) seg++;
  if (seg >= 8) return 0x7f ^ mask;
  const aval = (seg << 4) | (seg < 2 ? (s >> 1) & 0x0f : (s >> seg) & 0x0f);
  return aval ^ mask;
}

/** ITU-T G.711 A-law: one code word to a 16-bit sample (0xD5 → 8, the smallest positive step). */
export function alawToLinear(code: number): number {
  const a = (code & 0xff) ^ 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else {
    t += 0x108;
    if (seg > 1) t <<= seg - 1;
  }
  return a & 0x80 ? t : -t;
}

const ULAW_DECODE = Int16Array.from({ length: 256 }, (_, i) => ulawToLinear(i));
const ALAW_DECODE = Int16Array.from({ length: 256 }, (_, i) => alawToLinear(i));

/** Encodes 16-bit PCM samples to G.711 bytes. */
export function encodeG711(codec: G711Codec, samples: ArrayLike<number>): Buffer {
  const out = Buffer.allocUnsafe(samples.length);
  const enc = codec === 'PCMU' ? linearToUlaw : linearToAlaw;
  for (let i = 0; i < samples.length; i++) out[i] = enc(samples[i]!);
  return out;
}

/** Decodes G.711 bytes to 16-bit PCM samples. */
export function decodeG711(codec: G711Codec, bytes: Uint8Array): Int16Array {
  const table = codec === 'PCMU' ? ULAW_DECODE : ALAW_DECODE;
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = table[bytes[i]!]!;
  return out;
}

/** The G.711 codec of a static payload type, if it is one. */
export function codecOfPayloadType(pt: number): G711Codec | undefined {
  if (pt === 0) return 'PCMU';
  if (pt === 8) return 'PCMA';
  return undefined;
}
