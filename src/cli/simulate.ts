/**
 * `twinline simulate --config FILE SCENARIO [--svg FILE] [--check]`: plays one call
 * through the mobility policy core in virtual time and prints its alerting timeline —
 * one line per leg with start, end and why. With `--svg` it also draws the timeline;
 * with `--check` it compares the result with the scenario's `expect:` block.
 *
 * Exit 0: played (and, with --check, as expected). Exit 1: --check found a difference.
 * Exit 2: the configuration or the scenario is not valid. Exit 64: usage.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { buildSnapshot, type ConfigSnapshot } from '../config/snapshot.js';
import { parseDirectoryYaml } from '../config/yaml.js';
import { runScenario, type Timeline } from '../mobility/scenario.js';
import { checkExpectations, parseScenario, type Scenario, ScenarioError } from '../mobility/scenario-file.js';
import { renderTimelineSvg } from '../mobility/svg.js';
import { formatTimeline } from '../mobility/timeline.js';

export const SIMULATE_USAGE = `Usage: twinline simulate --config FILE SCENARIO [--svg FILE] [--check]

Plays one call of SCENARIO (YAML) against the directory in --config (YAML) and prints
its alerting timeline: which legs alert, from when to when, and why.

Options:
  --config FILE  the directory (users, time profiles, trunks…) as YAML
  --svg FILE     also draw the timeline as SVG
  --check        compare with the scenario's expect: block; exit 1 on a difference
Scenario format: docs/mobility-engine.md; examples in examples/scenarios/.
`;

export interface Simulation {
  scenario: Scenario;
  timeline: Timeline;
  text: string;
  differences: string[];
}

/** Loads a directory YAML file into a snapshot; throws with every error listed. */
export async function loadSnapshot(file: string): Promise<ConfigSnapshot> {
  const r = parseDirectoryYaml(await readFile(file, 'utf8'));
  if (!r.ok) {
    throw new ScenarioError(
      `${file}: ${r.errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ')}`,
    );
  }
  return buildSnapshot(r.directory, 1);
}

/** Plays one scenario file against a snapshot. */
export async function simulateFile(snapshot: ConfigSnapshot, file: string): Promise<Simulation> {
  let data: unknown;
  try {
    data = parseYaml(await readFile(file, 'utf8'), { version: '1.2' });
  } catch (e) {
    throw new ScenarioError(`${file}: ${(e as Error).message}`);
  }
  let scenario: Scenario;
  try {
    scenario = parseScenario(data, snapshot.system.timeZone);
  } catch (e) {
    if (e instanceof ScenarioError) throw new ScenarioError(`${file}: ${e.message}`);
    throw e;
  }
  const timeline = runScenario(snapshot, scenario.request, scenario.script);
  return {
    scenario,
    timeline,
    text: formatTimeline(timeline, { title: scenario.title, when: scenario.when }),
    differences: checkExpectations(timeline, scenario.expect),
  };
}

export async function simulateCommand(args: string[]): Promise<number> {
  let values: { config?: string; svg?: string; check?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      options: {
        config: { type: 'string' },
        svg: { type: 'string' },
        check: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`twinline simulate: ${(e as Error).message}\n\n${SIMULATE_USAGE}`);
    return 64;
  }
  if (values.help) {
    process.stdout.write(SIMULATE_USAGE);
    return 0;
  }
  const file = positionals[0];
  if (!values.config || file === undefined || positionals.length !== 1) {
    process.stderr.write(SIMULATE_USAGE);
    return 64;
  }
  let sim: Simulation;
  try {
    sim = await simulateFile(await loadSnapshot(values.config), file);
  } catch (e) {
    if (e instanceof ScenarioError || (e as { code?: string }).code === 'CONFIG_INVALID') {
      process.stderr.write(`twinline simulate: ${(e as Error).message}\n`);
      return 2;
    }
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      process.stderr.write(`twinline simulate: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
  process.stdout.write(sim.text);
  if (values.svg) {
    await writeFile(
      values.svg,
      renderTimelineSvg(sim.timeline, { title: sim.scenario.title, subtitle: sim.scenario.when }),
    );
  }
  if (values.check) {
    if (!sim.scenario.expect) {
      process.stderr.write('twinline simulate: --check needs an expect: block in the scenario\n');
      return 2;
    }
    if (sim.differences.length > 0) {
      process.stdout.write(`\nNOT AS EXPECTED:\n${sim.differences.map((d) => `  - ${d}`).join('\n')}\n`);
      return 1;
    }
    process.stdout.write('\nas expected\n');
  }
  return 0;
}
