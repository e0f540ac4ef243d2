/**
 * The Goertzel algorithm: the power of single frequencies in a block of PCM, cheaper than an
 * FFT when only a few bins matter (tone and DTMF checks).
 */

/** Power of `freq` Hz in `samples` (any scale), normalised by the block length. */
export function goertzelPower(samples: ArrayLike<number>, freq: number, sampleRate = 8000): number {
  const n = samples.length;
  if (n === 0) return 0;
  const coeff = 2 * Math.cos((2 * Math.PI * freq) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = samples[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return power / (n * n);
}

/** Powers at several frequencies, keyed by frequency. */
export function goertzel(
  samples: ArrayLike<number>,
  freqs: readonly number[],
  sampleRate = 8000,
): Map<number, number> {
  return new Map(freqs.map((f) => [f, goertzelPower(samples, f, sampleRate)]));
}

/** Mean power of the block (the same normalisation as {@link goertzelPower}, times 4 for a sine's peak). */
export function signalPower(samples: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i]! * samples[i]!;
  return samples.length ? sum / samples.length : 0;
}

/**
 * Frequencies (from `candidates`) that carry at least `minShare` of the block's energy. A pure
 * sine of amplitude A gives a Goertzel power of about A²/4 and a mean power of A²/2.
 */
export function presentFrequencies(
  samples: ArrayLike<number>,
  candidates: readonly number[],
  minShare = 0.1,
  sampleRate = 8000,
): number[] {
  const total = signalPower(samples);
  if (total === 0) return [];
  return candidates.filter((f) => (2 * goertzelPower(samples, f, sampleRate)) / total >= minShare);
}
