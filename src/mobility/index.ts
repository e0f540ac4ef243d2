/**
 * The mobility policy core (ARCHITECTURE.md): pure functions from a configuration
 * snapshot, a user's presence, a call and events to alerting plans and commands.
 * No timers, sockets or I/O: the call engine (src/pbx) executes the commands.
 */
export * from './config.js';
export { decide, startCall } from './decide.js';
export { IllegalTransitionError, LEG_MOVES, PHASE_MOVES } from './draft.js';
export * from './features.js';
export { idleState, mobileEligible, planCall, twinCallerId } from './plan.js';
export {
  type LegSelector,
  resolveLeg,
  runScenario,
  type ScriptEvent,
  type Step,
  type Timeline,
} from './scenario.js';
export {
  checkExpectations,
  parseEventLine,
  parseScenario,
  type Scenario,
  ScenarioError,
} from './scenario-file.js';
export { renderTimelineSvg, type SvgOptions } from './svg.js';
export { formatTimeline, legLine, outcomeLine } from './timeline.js';
export * from './types.js';
