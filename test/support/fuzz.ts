/**
 * Seeded mutation of SIP messages for robustness tests: a small PRNG (so a failing run is
 * replayed by its seed) and mutators that model what hostile or broken peers send — flipped,
 * inserted and deleted bytes, duplicated and dropped headers, huge values, header bombs,
 * deep nesting in URIs and parameters, oversized messages, plain random bytes.
 *
 *   const rng = seededRng(seed);
 *   const { kind, bytes } = mutate(rng, seedMessage, { maxBytes: 65_000 });
 */

export interface Rng {
  /** The seed this generator started from. */
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** An integer in [lo, hi]. */
  between(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
  bytes(n: number): Buffer;
}

/** mulberry32: tiny, fast and good enough to spread mutations; reproducible from its seed. */
export function seededRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return {
    seed: seed >>> 0,
    next,
    int,
    between: (lo, hi) => lo + int(hi - lo + 1),
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(items.length)] as T;
    },
    chance: (p) => next() < p,
    bytes: (n) => {
      const out = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) out[i] = int(256);
      return out;
    },
  };
}

export const MUTATIONS = [
  'flip',
  'insert',
  'delete',
  'truncate',
  'control-chars',
  'dup-header',
  'drop-header',
  'swap-headers',
  'huge-value',
  'header-bomb',
  'deep-uri',
  'deep-params',
  'deep-name-addr',
  'bad-content-length',
  'oversize',
  'random',
] as const;

export type Mutation = (typeof MUTATIONS)[number];

export interface MutateOptions {
  /** The largest message to produce (a UDP datagram cannot exceed 65,507 bytes). */
  maxBytes: number;
  /** How many mutations are stacked on one message, at most (default 3). */
  maxStack?: number;
}

const CRLF = '\r\n';
const TOKEN_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~";

function token(rng: Rng, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += TOKEN_CHARS[rng.int(TOKEN_CHARS.length)];
  return s;
}

/** A message as header lines and a body, for the header-level mutations. */
interface Split {
  start: string;
  headers: string[];
  body: Buffer;
}

function split(bytes: Buffer): Split {
  const end = bytes.indexOf('\r\n\r\n');
  const headText = (end < 0 ? bytes : bytes.subarray(0, end)).toString('latin1');
  const body = end < 0 ? Buffer.alloc(0) : bytes.subarray(end + 4);
  const lines = headText.split(CRLF);
  return { start: lines[0] ?? '', headers: lines.slice(1), body };
}

function join(s: Split): Buffer {
  return Buffer.concat([Buffer.from([s.start, ...s.headers].join(CRLF) + CRLF + CRLF, 'latin1'), s.body]);
}

function withHeader(s: Split, at: number, line: string): void {
  s.headers.splice(Math.min(at, s.headers.length), 0, line);
}

function mutateOnce(rng: Rng, input: Buffer, kind: Mutation, maxBytes: number): Buffer {
  switch (kind) {
    case 'flip': {
      const out = Buffer.from(input);
      const n = rng.between(1, 8);
      for (let i = 0; i < n && out.length > 0; i++) {
        const at = rng.int(out.length);
        out[at] = (out[at] ?? 0) ^ (1 << rng.int(8));
      }
      return out;
    }
    case 'insert': {
      const at = rng.int(input.length + 1);
      return Buffer.concat([input.subarray(0, at), rng.bytes(rng.between(1, 64)), input.subarray(at)]);
    }
    case 'delete': {
      const at = rng.int(input.length + 1);
      const n = rng.between(1, 64);
      return Buffer.concat([input.subarray(0, at), input.subarray(at + n)]);
    }
    case 'truncate':
      return input.subarray(0, rng.int(input.length + 1));
    case 'control-chars': {
      // NUL, bare CR, bare LF, DEL and high bytes where a parser expects text.
      const out = Buffer.from(input);
      const n = rng.between(1, 6);
      for (let i = 0; i < n && out.length > 0; i++)
        out[rng.int(out.length)] = rng.pick([0, 0x0d, 0x0a, 0x7f, 0xff]);
      return out;
    }
    case 'dup-header': {
      const s = split(input);
      if (s.headers.length === 0) return input;
      const line = rng.pick(s.headers);
      const times = rng.between(1, 50);
      for (let i = 0; i < times; i++) withHeader(s, rng.int(s.headers.length + 1), line);
      return join(s);
    }
    case 'drop-header': {
      const s = split(input);
      if (s.headers.length === 0) return input;
      s.headers.splice(rng.int(s.headers.length), 1);
      return join(s);
    }
    case 'swap-headers': {
      const s = split(input);
      if (s.headers.length < 2) return input;
      const a = rng.int(s.headers.length);
      const b = rng.int(s.headers.length);
      [s.headers[a], s.headers[b]] = [s.headers[b]!, s.headers[a]!];
      return join(s);
    }
    case 'huge-value': {
      const s = split(input);
      const size = rng.between(4_000, Math.max(4_000, maxBytes - input.length - 64));
      const value = rng.chance(0.5) ? 'a'.repeat(size) : token(rng, Math.min(size, 20_000));
      if (s.headers.length > 0 && rng.chance(0.7)) {
        const i = rng.int(s.headers.length);
        s.headers[i] = `${s.headers[i]}${value}`;
      } else {
        withHeader(s, rng.int(s.headers.length + 1), `X-Huge: ${value}`);
      }
      return join(s);
    }
    case 'header-bomb': {
      const s = split(input);
      const room = Math.max(0, maxBytes - input.length - 16);
      const count = Math.min(rng.between(1_000, 8_000), Math.floor(room / 14));
      const bomb: string[] = [];
      const name = rng.pick(['X-B', 'Via', 'Route', 'Contact', 'P-A']);
      for (let i = 0; i < count; i++) bomb.push(name === 'Via' ? `v: SIP/2.0/UDP h${i}` : `${name}: ${i}`);
      s.headers.splice(rng.int(s.headers.length + 1), 0, ...bomb);
      return join(s);
    }
    case 'deep-uri': {
      const s = split(input);
      const depth = rng.between(100, 5_000);
      const nested = rng.pick([
        () => `sip:${'<sip:'.repeat(depth)}a@b${'>'.repeat(depth)}`,
        () => `sip:a@b?${'h=sip:a@b%3F'.repeat(depth)}`,
        () => `sip:${'['.repeat(depth)}::1${']'.repeat(depth)}`,
        () => `sip:a@${'a.'.repeat(depth)}example`,
        () => `sip:${'%25'.repeat(depth)}@b`,
      ])();
      const parts = s.start.split(' ');
      if (parts.length === 3 && rng.chance(0.5)) s.start = `${parts[0]} ${nested} ${parts[2]}`;
      else
        withHeader(
          s,
          rng.int(s.headers.length + 1),
          `${rng.pick(['To', 'From', 'Contact', 'Route'])}: <${nested}>`,
        );
      return join(s);
    }
    case 'deep-params': {
      const s = split(input);
      const n = rng.between(100, 5_000);
      const param = rng.pick([
        ';p',
        ';p=1',
        ';tag=x',
        ';branch=z9hG4bK',
        ';lr',
        ';q=0.5',
        ';rport',
        ';received=1.2.3.4',
      ]);
      const target = s.headers.findIndex(
        (h) => /^(via|v|to|t|from|f|contact|m)\s*:/i.test(h) && rng.chance(0.6),
      );
      if (target >= 0) s.headers[target] = `${s.headers[target]}${param.repeat(n)}`;
      else s.headers.push(`Contact: <sip:a@b${param.repeat(n)}>${param.repeat(n)}`);
      return join(s);
    }
    case 'deep-name-addr': {
      const s = split(input);
      const n = rng.between(100, 5_000);
      const value = rng.pick([
        () => `"${'\\"'.repeat(n)}" <sip:a@b>`,
        () => `${'"'.repeat(n)}<sip:a@b>`,
        () => `${'<'.repeat(n)}sip:a@b`,
        () => `<sip:a@b>${', <sip:a@b>'.repeat(n)}`,
        () => `${'('.repeat(n)}comment${')'.repeat(n)} <sip:a@b>`,
      ])();
      withHeader(
        s,
        rng.int(s.headers.length + 1),
        `${rng.pick(['To', 'From', 'Contact', 'Route', 'Record-Route'])}: ${value}`,
      );
      return join(s);
    }
    case 'bad-content-length': {
      const s = split(input);
      const value = rng.pick([
        '-1',
        '99999999999999999999',
        String(s.body.length + rng.between(1, 1000)),
        String(Math.max(0, s.body.length - rng.between(1, 10))),
        'abc',
        '',
        '0x10',
        '1e3',
        ' 5 5',
        '4294967296',
        `${s.body.length}, ${s.body.length}`,
      ]);
      s.headers = s.headers.filter((h) => !/^(content-length|l)\s*:/i.test(h));
      withHeader(s, rng.int(s.headers.length + 1), `Content-Length: ${value}`);
      return join(s);
    }
    case 'oversize': {
      const s = split(input);
      const size = Math.max(0, Math.min(maxBytes, rng.between(60 * 1024, 300 * 1024)) - input.length);
      s.body = Buffer.concat([s.body, Buffer.alloc(size, 0x61)]);
      s.headers = s.headers.filter((h) => !/^(content-length|l)\s*:/i.test(h));
      s.headers.push(`Content-Length: ${s.body.length}`);
      return join(s);
    }
    case 'random':
      return rng.bytes(rng.between(1, 2_000));
  }
}

/** One to `maxStack` mutations of `input`, capped at `maxBytes`. */
export function mutate(
  rng: Rng,
  input: Buffer,
  options: MutateOptions,
): { kinds: Mutation[]; bytes: Buffer } {
  const stack = rng.between(1, options.maxStack ?? 3);
  const kinds: Mutation[] = [];
  let bytes = input;
  for (let i = 0; i < stack; i++) {
    const kind = rng.pick(MUTATIONS);
    kinds.push(kind);
    bytes = mutateOnce(rng, bytes, kind, options.maxBytes);
    if (kind === 'random') break;
  }
  if (bytes.length > options.maxBytes) bytes = bytes.subarray(0, options.maxBytes);
  return { kinds, bytes };
}
