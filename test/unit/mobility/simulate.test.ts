/**
 * `twinline simulate`: the example scenarios play as the spec predicts, the scenario
 * language reads as documented, and the command's exit codes and SVG output hold.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadSnapshot, simulateFile } from '../../../src/cli/simulate.js';
import {
  parseDuration,
  parseEventLine,
  parseScenario,
  ScenarioError,
} from '../../../src/mobility/scenario-file.js';
import { renderTimelineSvg } from '../../../src/mobility/svg.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dir = path.join(root, 'examples/scenarios');
const config = path.join(dir, 'directory.yaml');
const scenarios = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml') && f !== 'directory.yaml')
  .sort();

describe('example scenarios', () => {
  it('there is one for each major rule', () => {
    for (const rule of [
      'mt-1',
      'mt-2',
      'mt-3',
      'mt-4',
      'mt-5',
      'mt-7',
      'mt-9',
      'ag-1',
      'conf-1',
      'fb-1',
      'twlo-1',
      'it-2',
      'it-4',
      'teams-1',
      'app-2',
      'tp-',
    ]) {
      assert.ok(
        scenarios.some((f) => f.startsWith(rule)),
        `no example for ${rule}`,
      );
    }
  });

  for (const file of scenarios) {
    it(`${file} plays as its expect: block says`, async () => {
      const sim = await simulateFile(await loadSnapshot(config), path.join(dir, file));
      assert.ok(sim.scenario.expect, 'every example states what the spec predicts');
      assert.deepEqual(sim.differences, []);
      assert.deepEqual(sim.timeline.undelivered, []);
    });
  }

  // The same predictions, restated from the spec rather than read from the files.
  const play = async (file: string) =>
    (await simulateFile(await loadSnapshot(config), path.join(dir, file))).timeline;

  it('MT-1 example: the mobile leg starts exactly at the dial delay, Teams never starts', async () => {
    const t = await play('mt-1-dial-delay.yaml');
    assert.equal(t.legs.find((l) => l.plan.reason === 'mobileTwin')?.placedAt, 3000);
    assert.equal(t.legs.find((l) => l.plan.reason === 'teams')?.placedAt, undefined);
  });

  it('AG-1 example: the guarded answer does not connect; the desk answer does', async () => {
    const t = await play('ag-1-answer-guard.yaml');
    assert.equal(t.legs[1]?.status, 'guarded');
    assert.deepEqual(t.outcome, { kind: 'connected', leg: 'L1', at: 9000 });
  });

  it('FB-1 example: the fallback leg starts at 0 with no dial delay', async () => {
    assert.equal((await play('fb-1-fallback.yaml')).legs[0]?.placedAt, 0);
  });
});

describe('scenario language', () => {
  for (const [line, event] of [
    ['primary answers at 3.1 s', { kind: 'answer', leg: 'primary', at: 3100 }],
    ['mobile answers 0.8 s after its leg starts', { kind: 'answer', leg: 'mobile', after: 800 }],
    ['caller hangs up at 9 s', { kind: 'callerHangup', at: 9000 }],
    ['mobileTwin presses 1 at 7500 ms', { kind: 'digit', leg: 'mobileTwin', digit: '1', at: 7500 }],
    ['teams fails with 486 at 2s', { kind: 'fail', leg: 'teams', status: 486, at: 2000 }],
    ['primary is busy at 1 s', { kind: 'fail', leg: 'primary', status: 486, at: 1000 }],
    ['L2 hangs up 4 s after its leg starts', { kind: 'legHangup', leg: 'L2', after: 4000 }],
  ] as const) {
    it(`reads "${line}"`, () => assert.deepEqual(parseEventLine(line), event));
  }

  it('refuses an unreadable event with an example of the form', () => {
    assert.throws(
      () => parseEventLine('the mobile rings a bit'),
      (e) => e instanceof ScenarioError && /answers at 3.1 s/.test(e.message),
    );
    assert.throws(() => parseDuration('soon'), ScenarioError);
  });

  it('reads the local time in the system zone (TP-5: BST in July)', () => {
    const s = parseScenario({ user: '201', at: '2026-07-01 09:30', caller: '01632960001' }, 'Europe/London');
    assert.equal(s.request.now, Date.parse('2026-07-01T08:30:00Z'));
    assert.deepEqual(s.request.presence, { loggedIn: true, devices: ['desk'], calls: [] });
  });

  it('reachable: false means logged in without a live registration', () => {
    const s = parseScenario(
      { user: '201', at: '2026-03-04T10:00:00Z', presence: { reachable: false, calls: 1 } },
      'UTC',
    );
    assert.deepEqual(s.request.presence, { loggedIn: true, devices: [], calls: [{ where: 'desk' }] });
  });
});

describe('twinline simulate command', () => {
  const entry = path.join(root, 'src/cli/simulate-entry.ts');
  const sim = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: root, encoding: 'utf8' });
  const tmp = mkdtempSync(path.join(tmpdir(), 'twinline-simulate-'));

  it('prints one line per leg with start, end and why, and writes the SVG', () => {
    const svg = path.join(tmp, 'mt1.svg');
    const r = sim('--config', config, path.join(dir, 'mt-1-dial-delay.yaml'), '--svg', svg, '--check');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^L1 +primary +201\/desk +0s +4\.5s +cancelled: answeredElsewhere/m);
    assert.match(
      r.stdout,
      /^L2 +mobileTwin +dial 907700900201 +3s +… +connected at 4\.5s +\[MT-1, start \+3s\]/m,
    );
    assert.match(r.stdout, /^outcome: connected mobileTwin at 4\.5s$/m);
    assert.match(r.stdout, /as expected/);
    const text = readFileSync(svg, 'utf8');
    assert.match(text, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(text, /dial delay 3 s/);
    assert.match(text, /No Answer Time 15 s/);
    assert.match(text, /stroke="#111" stroke-width="3"/, 'the winning leg is outlined');
  });

  it('--check exits 1 and lists the difference when the timeline is not as expected', () => {
    const wrong = path.join(tmp, 'wrong.yaml');
    writeFileSync(
      wrong,
      readFileSync(path.join(dir, 'mt-5-no-answer.yaml'), 'utf8').replace('at 15s"', 'at 14s"'),
    );
    const r = sim('--config', config, wrong, '--check');
    assert.equal(r.status, 1);
    assert.match(
      r.stdout,
      /NOT AS EXPECTED:\n {2}- outcome: expected "diverted noAnswer to voicemail 201 at 14s"/,
    );
  });

  it('exits 2 on an invalid scenario and 64 on a usage error', () => {
    const bad = path.join(tmp, 'bad.yaml');
    writeFileSync(bad, 'user: "201"\nat: someday\n');
    const r = sim('--config', config, bad);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /at: "someday" is not a date and time/);
    assert.equal(sim(path.join(dir, 'mt-5-no-answer.yaml')).status, 64);
  });

  it('the SVG marks the guard window of a guarded leg', async () => {
    const s = await simulateFile(await loadSnapshot(config), path.join(dir, 'ag-1-answer-guard.yaml'));
    const svg = renderTimelineSvg(s.timeline, { title: s.scenario.title });
    assert.match(svg, /fill="url\(#hatch\)"/);
    assert.match(svg, /guard 4 s/);
    assert.match(svg, /inside guard — hung up/);
  });
});
