/**
 * Tone generation: dial tone, the feature-code confirmation beeps and the CONF-1 prompt,
 * encoded as G.711 at 8 kHz and packetised at 20 ms (160 samples) into RTP.
 *
 * A {@link ToneSource} produces one packet per call to `next()`; it does not pace itself.
 * The relay's `play()` sends them on the injected clock, or a test pulls them directly.
 */
import { randomInt } from 'node:crypto';
import { encodeG711, type G711Codec, STATIC_PAYLOAD_TYPE } from './g711.js';
import { serializeRtp } from './rtp.js';

export const SAMPLE_RATE = 8000;
export const PACKET_MS = 20;
export const SAMPLES_PER_PACKET = (SAMPLE_RATE * PACKET_MS) / 1000;

/** Dial tone setting: North America (350 + 440 Hz) or Europe (425 Hz), both continuous. */
export type DialToneSetting = '350+440' | '425';

/** One step of a cadence: the frequencies sounding together (none = silence) for `ms`. */
export interface ToneStep {
  freqs: readonly number[];
  ms: number;
}

/**
 * A tone as a cadence. `repeat` plays the steps forever (dial tone); otherwise the tone ends
 * after the last step and the source reports `done`.
 */
export interface Tone {
  name: string;
  steps: readonly ToneStep[];
  repeat: boolean;
  /** Peak amplitude of each component, 16-bit linear; the default keeps the sum well below clipping. */
  amplitude?: number;
}

const DEFAULT_AMPLITUDE = 5000;

/** Continuous dial tone for the setting (MCC-1 after `**`, MCC-3, MCB-2). */
export function dialTone(setting: DialToneSetting = '350+440'): Tone {
  const freqs = setting === '425' ? [425] : [350, 440];
  return { name: `dial-${setting}`, steps: [{ freqs, ms: 1000 }], repeat: true };
}

/** Feature-code confirmation (decision): three 100 ms beeps at 1400 Hz with 100 ms gaps. */
export function confirmationTone(beeps = 3, freq = 1400): Tone {
  const steps: ToneStep[] = [];
  for (let i = 0; i < beeps; i++) {
    if (i > 0) steps.push({ freqs: [], ms: 100 });
    steps.push({ freqs: [freq], ms: 100 });
  }
  return { name: 'confirmation', steps, repeat: false };
}

/** CONF-1 prompt (decision): a rising two-note chime, 660 Hz then 880 Hz, 200 ms each. */
export function promptTone(): Tone {
  return {
    name: 'prompt',
    steps: [
      { freqs: [660], ms: 200 },
      { freqs: [880], ms: 200 },
    ],
    repeat: false,
  };
}

/** Renders `count` 16-bit samples of a tone starting at absolute sample index `from`. */
export function renderTone(tone: Tone, from: number, count: number): Int16Array {
  const out = new Int16Array(count);
  const amplitude = tone.amplitude ?? DEFAULT_AMPLITUDE;
  const stepSamples = tone.steps.map((s) => Math.round((s.ms * SAMPLE_RATE) / 1000));
  const cycle = stepSamples.reduce((a, b) => a + b, 0);
  for (let i = 0; i < count; i++) {
    const n = from + i;
    let pos = tone.repeat && cycle > 0 ? n % cycle : n;
    let step: ToneStep | undefined;
    for (let k = 0; k < tone.steps.length; k++) {
      if (pos < stepSamples[k]!) {
        step = tone.steps[k];
        break;
      }
      pos -= stepSamples[k]!;
    }
    if (!step) continue;
    let v = 0;
    // Phase runs on the absolute sample index so a continuous tone has no seam between packets.
    for (const f of step.freqs) v += amplitude * Math.sin((2 * Math.PI * f * n) / SAMPLE_RATE);
    out[i] = Math.round(v);
  }
  return out;
}

/** Total length of a finite tone in samples (Infinity for a repeating one). */
export function toneSamples(tone: Tone): number {
  if (tone.repeat) return Number.POSITIVE_INFINITY;
  return tone.steps.reduce((a, s) => a + Math.round((s.ms * SAMPLE_RATE) / 1000), 0);
}

export interface ToneSourceOptions {
  codec?: G711Codec;
  /** Defaults to the codec's static payload type (PCMU 0, PCMA 8). */
  payloadType?: number;
  /** Fixed values for tests; random by default (RFC 3550 §5.1: random initial values). */
  ssrc?: number;
  sequence?: number;
  timestamp?: number;
}

export interface ToneSource {
  readonly tone: Tone;
  readonly codec: G711Codec;
  readonly payloadType: number;
  readonly ssrc: number;
  /** True once a finite tone has produced its last packet. */
  readonly done: boolean;
  /** Packets produced so far. */
  readonly sent: number;
  /** The next 20 ms RTP packet, or undefined once a finite tone is done. */
  next(): Buffer | undefined;
}

/**
 * A packetiser for one tone. RFC 3550 §5.1: sequence and timestamp start random and SSRC is
 * random and constant; the sequence grows by 1 and the timestamp by 160 per 20 ms packet.
 */
export function createToneSource(tone: Tone, options: ToneSourceOptions = {}): ToneSource {
  const codec = options.codec ?? 'PCMU';
  const payloadType = options.payloadType ?? STATIC_PAYLOAD_TYPE[codec];
  const ssrc = (options.ssrc ?? randomInt(0, 2 ** 32 - 1)) >>> 0;
  let sequence = (options.sequence ?? randomInt(0, 0x10000)) & 0xffff;
  let timestamp = (options.timestamp ?? randomInt(0, 2 ** 32 - 1)) >>> 0;
  const total = toneSamples(tone);
  let sample = 0;
  let sent = 0;
  return {
    tone,
    codec,
    payloadType,
    ssrc,
    get done() {
      return sample >= total;
    },
    get sent() {
      return sent;
    },
    next() {
      if (sample >= total) return undefined;
      const pcm = renderTone(tone, sample, SAMPLES_PER_PACKET);
      const packet = serializeRtp({
        payloadType,
        // RFC 3551 §4.1: the marker marks the first packet of a talkspurt, here the tone's start.
        marker: sent === 0,
        sequence,
        timestamp,
        ssrc,
        payload: encodeG711(codec, pcm),
      });
      sequence = (sequence + 1) & 0xffff;
      timestamp = (timestamp + SAMPLES_PER_PACKET) >>> 0;
      sample += SAMPLES_PER_PACKET;
      sent++;
      return packet;
    },
  };
}
