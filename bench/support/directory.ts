/**
 * A large directory for benchmarks: `count` users on consecutive extensions with known
 * passwords, a realistic mix of licences and mobility settings, a few hunt groups and
 * the DDI routes a site of that size would have. Valid by construction.
 */
import { stringify } from 'yaml';
import type { DirectoryInput } from '../../src/config/index.js';

export interface BigDirectoryOptions {
  /** Number of users (default 10,000). */
  count?: number;
  /** First extension (default 10000). */
  firstExtension?: number;
  /** system.qualify.intervalSeconds (default: the schema default, 30 s). */
  qualifyIntervalSeconds?: number;
}

/** The password of a benchmark user: known, so a load generator can register as them. */
export function benchPassword(extension: string): string {
  return `bench-pw-${extension}`;
}

/** The extensions of a benchmark directory, in order. */
export function benchExtensions(count = 10_000, firstExtension = 10_000): string[] {
  return Array.from({ length: count }, (_, i) => String(firstExtension + i));
}

export function bigDirectoryInput(options: BigDirectoryOptions = {}): DirectoryInput {
  const extensions = benchExtensions(options.count, options.firstExtension);
  const users = extensions.map((extension, i) => {
    // One user in four is a mobile worker twinned to a mobile; one in ten has forward on no answer.
    const mobile = i % 4 === 0;
    return {
      extension,
      name: `User ${extension}`,
      password: benchPassword(extension),
      licence: mobile ? 'mobile-worker' : 'basic',
      ...(i % 10 === 5
        ? { forwardOnNoAnswer: { enabled: true, destination: extensions[(i + 1) % extensions.length] } }
        : {}),
      ...(mobile
        ? {
            twinningMode: 'mobile',
            mobility: {
              mobilityFeatures: true,
              mobileTwinning: true,
              twinnedMobileNumber: `907700${String(900000 + i).padStart(6, '0')}`,
              mobileDialDelay: 2,
              fallbackTwinning: true,
            },
          }
        : {}),
    };
  });
  // One hunt group per 100 users, of those 100 users.
  const huntGroups = Array.from({ length: Math.ceil(extensions.length / 100) }, (_, g) => ({
    name: `Group ${g}`,
    extension: String(500 + g).padStart(3, '0'),
    members: extensions.slice(g * 100, g * 100 + 100),
    ringMode: 'collective' as const,
  }));
  return {
    system: {
      timeZone: 'Europe/London',
      domain: 'twinline',
      realm: 'twinline',
      outsideLinePrefix: '9',
      ...(options.qualifyIntervalSeconds === undefined
        ? {}
        : { qualify: { intervalSeconds: options.qualifyIntervalSeconds } }),
    },
    users,
    huntGroups,
    trunks: [
      {
        name: 'carrier',
        kind: 'carrier',
        host: '127.0.0.1',
        port: 5070,
        transport: 'udp',
        ownNumber: '441632960000',
        lineId: '1',
      },
    ],
    // One DDI per user in the first thousand, plus the catch-all.
    incomingRoutes: [
      ...extensions.slice(0, 1000).map((extension, i) => ({
        trunk: 'carrier',
        ddi: `4416329${String(i).padStart(5, '0')}`,
        destination: extension,
      })),
      { trunk: 'carrier', ddi: '', destination: huntGroups[0]?.extension ?? extensions[0] ?? '' },
    ],
  } as DirectoryInput;
}

/** The directory as YAML, the way an administrator writes it (defaults left out). */
export function bigDirectoryYaml(options: BigDirectoryOptions = {}): string {
  return `# benchmark directory: ${options.count ?? 10_000} users\n${stringify(bigDirectoryInput(options), { lineWidth: 0, version: '1.2' })}`;
}

/**
 * A SIPp injection file (SEQUENTIAL) with one line per user: extension; password; and
 * the `[authentication …]` keyword for that user (see bench/sipp/register-many.xml).
 */
export function sippUsersCsv(options: Pick<BigDirectoryOptions, 'count' | 'firstExtension'> = {}): string {
  const lines = benchExtensions(options.count, options.firstExtension).map((e) => {
    const password = benchPassword(e);
    return `${e};${password};[authentication username=${e} password=${password}]`;
  });
  return `SEQUENTIAL\n${lines.join('\n')}\n`;
}
