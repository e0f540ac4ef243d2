/**
 * Every rule of spec/mobility.md sections 2–12 has a test named after it. The ids come
 * from the spec when it sits beside the clone (../shared/spec/mobility.md, as in CI) and
 * from the checked-in rule-ids.txt, so a rule added to either without a test fails here.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const specPath = path.resolve(root, '../shared/spec/mobility.md');

/** Rule ids of sections 2–12: list items that start with an id (`- MT-3 …`). */
export function specRuleIds(markdown: string): string[] {
  const ids: string[] = [];
  let section = 0;
  for (const line of markdown.split('\n')) {
    const h = /^## (\d+)\./.exec(line);
    if (h) {
      section = Number(h[1]);
      continue;
    }
    const m = /^- ([A-Z]+-\d+) /.exec(line);
    if (m && section >= 2 && section <= 12 && !ids.includes(m[1]!)) ids.push(m[1]!);
  }
  return ids;
}

function listedIds(): string[] {
  return readFileSync(path.join(here, 'rule-ids.txt'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...testFiles(p));
    else if (/\.test\.[cm]?[jt]s$/.test(name)) out.push(p);
  }
  return out;
}

/**
 * Names of tests whose name starts with an id: `it('ID …')`, `test('ID …')` (any quote),
 * and rows of a test table — a line opening with `['ID …',` — whose first element is the
 * name handed to `it(name, …)`.
 */
function testedIds(): Set<string> {
  const found = new Set<string>();
  const re = /(?:\b(?:it|test)\(\s*|^\s*\[\s*)['"`]([A-Z]+-\d+)[\s'"`]/gm;
  for (const file of testFiles(path.join(root, 'test'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(re)) found.add(m[1]!);
  }
  return found;
}

describe('rule coverage', () => {
  const tested = testedIds();

  it('every id in rule-ids.txt has a test named after it', () => {
    const missing = listedIds().filter((id) => !tested.has(id));
    assert.deepEqual(missing, [], `rules without a test: ${missing.join(', ')}`);
  });

  it('every id of spec sections 2–12 has a test named after it (when the spec is beside the clone)', (t) => {
    if (!existsSync(specPath)) {
      t.skip(`no ${specPath}`);
      return;
    }
    const ids = specRuleIds(readFileSync(specPath, 'utf8'));
    assert.ok(ids.length > 40, `expected the spec's rule ids, found ${ids.length}`);
    const missing = ids.filter((id) => !tested.has(id));
    assert.deepEqual(missing, [], `rules without a test: ${missing.join(', ')}`);
  });

  it('rule-ids.txt lists every id of the spec (regenerate it when the spec grows)', (t) => {
    if (!existsSync(specPath)) {
      t.skip(`no ${specPath}`);
      return;
    }
    const listed = new Set(listedIds());
    const unlisted = specRuleIds(readFileSync(specPath, 'utf8')).filter((id) => !listed.has(id));
    assert.deepEqual(unlisted, []);
  });
});
