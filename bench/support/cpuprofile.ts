/**
 * Reads a V8 CPU profile (`node --cpu-prof`) into the functions that cost the most:
 * self time (samples whose top frame is the function) and total time (samples with the
 * function anywhere on the stack, counted once per sample), as shares of all samples.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  /** Microseconds on the monotonic clock (the one process.hrtime reads). */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  /** "functionName file:line" (line 1-based; "(anonymous)" for unnamed functions). */
  where: string;
  selfPct: number;
  totalPct: number;
}

function label(frame: ProfileNode['callFrame'], root: string): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  let file = frame.url.replace(/^file:\/\//, '');
  if (file.startsWith(root)) file = path.relative(root, file);
  file = file.replace(/^.*node_modules\//, 'node_modules/');
  return `${name} ${file}:${frame.lineNumber + 1}`;
}

/**
 * The functions of a profile by self time and by total time, largest first, as shares of
 * the busy samples (idle left out) taken between `window.fromUs` and `window.toUs`
 * (monotonic clock, µs: `process.hrtime.bigint() / 1000n` in any process of the host).
 */
export function summarizeProfile(
  file: string,
  root: string,
  window: { fromUs: number; toUs: number } = { fromUs: 0, toUs: Number.POSITIVE_INFINITY },
): { bySelf: ProfileRow[]; byTotal: ProfileRow[]; busyMs: number; idleMs: number } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let all = 0;
  let idle = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    const node = byId.get(id);
    if (!node || at < window.fromUs || at > window.toUs) return;
    if (node.callFrame.functionName === '(idle)') {
      idle += dt;
      return;
    }
    all += dt;
    const top = label(node.callFrame, root);
    self.set(top, (self.get(top) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (!n) break;
      const l = label(n.callFrame, root);
      if (seen.has(l)) continue;
      seen.add(l);
      total.set(l, (total.get(l) ?? 0) + dt);
    }
  });
  const rows = [...new Set([...self.keys(), ...total.keys()])].map((where) => ({
    where,
    selfPct: ((self.get(where) ?? 0) / all) * 100,
    totalPct: ((total.get(where) ?? 0) / all) * 100,
  }));
  return {
    bySelf: [...rows].sort((a, b) => b.selfPct - a.selfPct),
    byTotal: [...rows].sort((a, b) => b.totalPct - a.totalPct),
    busyMs: all / 1000,
    idleMs: idle / 1000,
  };
}
