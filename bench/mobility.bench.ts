/**
 * The mobility policy core's throughput: alerting plans computed per second for a user
 * with every feature on (mobile twinning with dial delay, guard and keypress
 * confirmation, fallback, twin when logged out, Teams, a twinning time profile, user
 * rights by working hours, bridged and coverage appearances with twinned holders), and
 * whole calls played per second (plan, dial-delay timer, guarded answer, accepted answer).
 */
import { buildSnapshot } from '../src/config/snapshot.js';
import { startCall } from '../src/mobility/decide.js';
import { runScenario } from '../src/mobility/scenario.js';
import type { CallRequest } from '../src/mobility/types.js';

interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  key?: string;
}

const snapshot = buildSnapshot(
  {
    system: { timeZone: 'Europe/London', voicemailUri: 'sip:vm@voicemail.example' },
    trunks: [
      { name: 'carrier', kind: 'carrier', host: 'carrier.example', lineId: '100' },
      { name: 'teams', kind: 'msTeams', host: 'teams.example' },
    ],
    timeProfiles: [
      {
        name: 'Office',
        entries: [
          { kind: 'weekly', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00' },
        ],
      },
    ],
    userRights: [{ name: 'Staff', locked: { 'mobility.mobileDialDelay': 2 } }],
    users: [
      {
        extension: '201',
        name: 'Alice',
        password: 'Bench-pass-201',
        licence: 'uc-user',
        workingHoursTimeProfile: 'Office',
        workingHoursUserRights: 'Staff',
        forwardOnNoAnswer: { enabled: true, destination: '9016329605550' },
        callWaiting: true,
        mobility: {
          mobilityFeatures: true,
          mobileTwinning: true,
          fallbackTwinning: true,
          twinWhenLoggedOut: true,
          twinnedMobileNumber: '907700900201',
          twinningTimeProfile: 'Office',
          mobileDialDelay: 2,
          mobileAnswerGuard: 3,
          mobileAnswerConfirm: 'keypress',
          huntGroupCallsEligible: true,
          forwardedCallsEligible: true,
          mobileCallControl: true,
          msTeamsUri: '+441632960201',
          msTeamsCoverageDelay: 4,
        },
      },
      {
        extension: '205',
        name: 'Erin',
        password: 'Bench-pass-205',
        licence: 'basic',
        appearances: { coverage: ['201'], bridged: [{ extension: '201', ring: 'delayed' }] },
        mobility: {
          internalTwinning: true,
          twinnedHandset: '215',
          twinCoverageAppearances: true,
          twinBridgeAppearances: true,
        },
      },
      { extension: '215', name: 'Erin handset', password: 'Bench-pass-215', licence: 'basic' },
    ],
  },
  1,
);

const request: CallRequest = {
  user: '201',
  call: { caller: { number: '01632960001', name: 'Customer', external: true }, kind: 'direct' },
  presence: { loggedIn: true, devices: ['desk', 'softphone'], calls: [] },
  now: Date.parse('2026-03-04T10:00:00Z'),
};

function rate(fn: () => void, warmMs: number, runMs: number): number {
  const until = (ms: number) => {
    const end = performance.now() + ms;
    let n = 0;
    while (performance.now() < end) {
      for (let i = 0; i < 100; i++) fn();
      n += 100;
    }
    return n;
  };
  until(warmMs);
  const t0 = performance.now();
  const n = until(runMs);
  return n / ((performance.now() - t0) / 1000);
}

export async function run(): Promise<BenchFigure[]> {
  const legs = startCall(snapshot, request).state.legs.length;
  if (legs < 6) throw new Error(`bench user should alert on every kind of leg, got ${legs}`);
  const plans = rate(() => startCall(snapshot, request), 500, 2000);
  const calls = rate(
    () =>
      runScenario(snapshot, request, [
        { kind: 'answer', leg: 'mobileTwin', after: 1000 },
        { kind: 'answer', leg: 'primary', at: 7000 },
      ]),
    300,
    2000,
  );
  return [
    {
      name: 'mobility plans (every feature on)',
      value: Math.round(plans),
      unit: 'plans/s',
      key: 'mobilityPlansPerSecond',
    },
    {
      name: 'mobility calls played (plan to connect)',
      value: Math.round(calls),
      unit: 'calls/s',
      key: 'mobilityCallsPerSecond',
    },
  ];
}
