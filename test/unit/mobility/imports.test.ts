/**
 * The policy core is pure (ARCHITECTURE.md): no SIP, store, call engine or admin layer,
 * no file system, sockets or timers. Any such import in src/mobility fails here.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src/mobility');

const FORBIDDEN: readonly { what: string; test: (spec: string) => boolean }[] = [
  { what: 'src/sip', test: (s) => /(^|\/)sip(\/|\.js$|$)/.test(s) && s.startsWith('.') },
  { what: 'src/store', test: (s) => /(^|\/)store(\/|\.js$|$)/.test(s) && s.startsWith('.') },
  { what: 'src/pbx', test: (s) => /(^|\/)pbx(\/|\.js$|$)/.test(s) && s.startsWith('.') },
  { what: 'src/admin', test: (s) => /(^|\/)admin(\/|\.js$|$)/.test(s) && s.startsWith('.') },
  { what: 'node:fs', test: (s) => /^(node:)?fs(\/promises)?$/.test(s) },
  { what: 'node:net', test: (s) => /^(node:)?(net|dgram|tls|http|https)$/.test(s) },
  { what: 'timers', test: (s) => /^(node:)?timers(\/promises)?$/.test(s) || /util\/clock(\.js)?$/.test(s) },
];

/** Every module specifier in a file: static imports/exports and dynamic import(). */
function specifiers(source: string): string[] {
  const out: string[] = [];
  const re =
    /(?:\bimport|\bexport)\s[^'"]*?from\s*['"]([^'"]+)['"]|\bimport\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of source.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

describe('src/mobility imports', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));

  it('finds the core files', () => {
    assert.ok(files.includes('decide.ts') && files.includes('plan.ts'));
  });

  for (const file of files) {
    it(`${file} imports nothing from the I/O layers`, () => {
      const source = readFileSync(path.join(dir, file), 'utf8');
      const bad = specifiers(source).flatMap((s) =>
        FORBIDDEN.filter((f) => f.test(s)).map((f) => `${s} (${f.what})`),
      );
      assert.deepEqual(bad, []);
      // Timers and the wall clock are events and inputs here, never called.
      assert.doesNotMatch(source, /\b(setTimeout|setInterval|setImmediate|Date\.now|performance\.now)\s*\(/);
    });
  }

  it('the scanner catches a forbidden import', () => {
    const s = specifiers(
      `import { x } from '../sip/index.js';\nimport fs from 'node:fs';\nconst t = await import('node:timers');`,
    );
    assert.deepEqual(s, ['../sip/index.js', 'node:fs', 'node:timers']);
    assert.ok(FORBIDDEN.some((f) => f.test('../sip/index.js')));
    assert.ok(FORBIDDEN.some((f) => f.test('node:timers')));
  });
});
