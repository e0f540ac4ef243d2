import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { demoDirectory, demoDirectoryInput } from '../../../src/config/demo.js';
import { effectiveUser } from '../../../src/config/effective.js';
import {
  LICENCE_LEVELS,
  MOBILITY_FIELDS,
  SystemSchema,
  type UserInput,
  userAdminFields,
  userSettingFields,
} from '../../../src/config/schema.js';
import { validateDirectory } from '../../../src/config/validate.js';
import { dumpDirectoryYaml, parseDirectoryYaml } from '../../../src/config/yaml.js';

const example = readFileSync(new URL('../../../examples/directory.yaml', import.meta.url), 'utf8');
const docs = readFileSync(new URL('../../../docs/config.md', import.meta.url), 'utf8');

function parsed(text: string) {
  const r = parseDirectoryYaml(text);
  if (!r.ok) assert.fail(r.errors.map((e) => e.message).join('\n'));
  return r;
}

describe('YAML import and export', () => {
  it('CFG-1 examples/directory.yaml (the docs example) is valid and warning-free', () => {
    const r = parsed(example);
    assert.deepEqual(r.warnings, []);
    assert.equal(r.directory.users.length, 5);
    assert.equal(r.directory.users[0]!.mobility.twinnedMobileNumber, '907700900123');
  });

  it('CFG-1 docs/config.md shows the example file verbatim and documents every field', () => {
    const block = /## Complete example[\s\S]*?```yaml\n([\s\S]*?)```/.exec(docs)?.[1];
    assert.equal(block, example);
    const fields = [
      ...MOBILITY_FIELDS,
      ...Object.keys(userAdminFields),
      ...Object.keys(userSettingFields),
      ...Object.keys(SystemSchema.shape),
    ];
    for (const f of fields) assert.ok(docs.includes(`\`${f}`), `docs/config.md lacks ${f}`);
  });

  it('CFG-1 an unquoted dialTone: 425 (a YAML number) is the 425 Hz setting, and exports back', () => {
    const d = parsed('system:\n  timeZone: UTC\n  dialTone: 425\n').directory;
    assert.equal(d.system.dialTone, '425');
    assert.deepEqual(parsed(dumpDirectoryYaml(d)).directory, d);
  });

  it('CFG-1 an exported directory imports back unchanged', () => {
    const d = parsed(example).directory;
    assert.deepEqual(parsed(dumpDirectoryYaml(d)).directory, d);
    const demo = demoDirectory(() => 'pw-0123456789');
    assert.deepEqual(parsed(dumpDirectoryYaml(demo)).directory, demo);
  });

  it('CFG-1 the export quotes numeric-looking strings so leading zeros survive', () => {
    const r = validateDirectory({
      system: { timeZone: 'UTC', outsideLinePrefix: '0' },
      users: [
        {
          extension: '0201',
          name: 'Zero',
          password: 'pw-0123456789',
          mobility: { twinnedMobileNumber: '007700900123' },
        },
      ],
    });
    assert.ok(r.ok);
    const back = parsed(dumpDirectoryYaml(r.directory)).directory;
    assert.equal(back.users[0]!.extension, '0201');
    assert.equal(back.users[0]!.mobility.twinnedMobileNumber, '007700900123');
  });

  it('CFG-1 an unquoted dial string is refused rather than losing its leading zero', () => {
    const r = parseDirectoryYaml(
      'users:\n  - { extension: 201, name: A, password: pw-0123456789, mobility: { twinnedMobileNumber: 07700900123 } }\n',
    );
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.errors[0]?.code, 'INVALID_TYPE');
    assert.equal(!r.ok && r.errors[0]?.path, 'users[0].mobility.twinnedMobileNumber');
  });

  it('CFG-1 YAML syntax errors and duplicate keys are reported with their position', () => {
    const bad = parseDirectoryYaml('users:\n  - extension: "201"\n   name: x\n');
    assert.equal(!bad.ok && bad.errors[0]?.code, 'YAML_SYNTAX');
    const dup = parseDirectoryYaml('system:\n  timeZone: UTC\n  timeZone: UTC\n');
    assert.equal(!dup.ok && dup.errors[0]?.code, 'YAML_SYNTAX');
    assert.match(!dup.ok ? dup.errors[0]!.message : '', /line 3/);
  });

  it('CFG-1 an empty file is an empty directory with defaults', () => {
    const r = parsed('');
    assert.deepEqual(r.directory.users, []);
    assert.equal(r.directory.system.defaultNoAnswerTime, 15);
  });

  it('CFG-1 YAML 1.2: yes/no are not booleans', () => {
    const r = parseDirectoryYaml('system:\n  resilienceMode: yes\n');
    assert.equal(!r.ok && r.errors[0]?.code, 'INVALID_TYPE');
  });

  it('CFG-1 the demo directory: Alice mobile-twinned via prefix 9, Bob internally twinned to 203, Carol on Teams', () => {
    let n = 0;
    const d = demoDirectory(() => `random-${++n}-password`);
    assert.equal(n, 5);
    const at = Date.UTC(2026, 0, 5, 10);
    assert.equal(effectiveUser(d, '201', at)?.twinningMode, 'mobile');
    assert.equal(d.users[0]!.mobility.twinnedMobileNumber, '907700900123');
    assert.equal(effectiveUser(d, '202', at)?.twinningMode, 'internal');
    assert.equal(effectiveUser(d, '203', at)?.twinOf, '202');
    assert.equal(d.users[3]!.mobility.msTeamsUri, '441632960204');
    assert.deepEqual(
      d.trunks.map((t) => [t.kind, t.host, t.port]),
      [
        ['carrier', '127.0.0.1', 5070],
        ['msTeams', '127.0.0.1', 5071],
      ],
    );
    assert.equal(validateDirectory(demoDirectoryInput(() => 'pw-0123456789')).ok, true);
  });
});

// ── property: any valid directory round-trips through YAML ──

const seconds = (min: number, max: number) => fc.integer({ min, max });
const dial = fc.string({ unit: fc.constantFrom(...'0123456789*#+'), maxLength: 32 });
const text = fc
  .string({
    minLength: 1,
    maxLength: 20,
    unit: fc.oneof(
      fc.constantFrom(...'ab: #-\'"{}[],&*!|>%@`'),
      fc.string({ minLength: 1, maxLength: 1, unit: 'grapheme' }),
    ),
  })
  .filter((s) => /^[^\s].{0,62}[^\s]$|^[^\s]$/.test(s));

const userArb = (ext: string) =>
  fc
    .record({
      name: text,
      licence: fc.constantFrom(...LICENCE_LEVELS),
      noAnswerTime: fc.option(seconds(6, 99_999), { nil: undefined }),
      dnd: fc.boolean(),
      dndExceptions: fc.array(
        dial.filter((s) => s.length > 0),
        { maxLength: 3 },
      ),
      mobility: fc.record({
        maxTwinnedCalls: fc.constantFrom(1 as const, 2 as const),
        twinBridgeAppearances: fc.boolean(),
        msTeamsCoverageDelay: seconds(0, 15),
        msTeamsUri: fc.string({ maxLength: 161 }),
        mobileTwinning: fc.boolean(),
        twinnedMobileNumber: dial,
        mobileDialDelay: seconds(0, 99),
        mobileAnswerGuard: seconds(0, 99),
        oneXMobileClient: fc.boolean(),
        mobileAnswerConfirm: fc.constantFrom('none' as const, 'keypress' as const),
        wantsFeatures: fc.boolean(),
      }),
    })
    .map(({ mobility: { wantsFeatures, ...m }, noAnswerTime, ...u }): UserInput => {
      const entitled = ['mobile-worker', 'power-user', 'uc-user'].includes(u.licence);
      return {
        ...(noAnswerTime === undefined ? {} : { noAnswerTime }),
        ...u,
        extension: ext,
        name: `${u.name} ${ext}`.slice(-64).trim(),
        password: `pw-${ext}-secret`,
        mobility: { ...m, mobilityFeatures: wantsFeatures && entitled },
      };
    });

const directoryArb = fc
  .uniqueArray(fc.integer({ min: 100, max: 899 }), { maxLength: 8 })
  .chain((exts) => fc.tuple(...exts.map((e) => userArb(String(e)))))
  .map((users) => ({ system: { timeZone: 'Europe/London' }, users }));

describe('YAML round trip (property)', () => {
  it('CFG-1 any valid directory survives export and import unchanged', () => {
    fc.assert(
      fc.property(directoryArb, (input) => {
        const r = validateDirectory(input);
        if (!r.ok) return fc.pre(false);
        const back = parseDirectoryYaml(dumpDirectoryYaml(r.directory));
        assert.ok(back.ok, back.ok ? '' : back.errors.map((e) => e.message).join('\n'));
        assert.deepEqual(back.directory, r.directory);
      }),
      { numRuns: 150 },
    );
  });
});
