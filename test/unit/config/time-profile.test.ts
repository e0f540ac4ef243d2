import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { TimeProfile, TimeProfileEntry } from '../../../src/config/schema.js';
import { isProfileActive, isScheduleActive, nextScheduledChange } from '../../../src/config/time-profile.js';
import { dir, rejects, valid } from './helpers.js';

const LONDON = 'Europe/London';
const utc = (s: string) => Date.parse(`${s}Z`);
const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri'] as const;

function profile(entries: TimeProfileEntry[], extra: Partial<TimeProfile> = {}): TimeProfile {
  return { name: 'p', entries, ...extra };
}
const office = profile([{ kind: 'weekly', days: [...weekdays], start: '09:00', end: '17:00' }]);
const everyDay = profile([
  { kind: 'weekly', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '09:00', end: '17:00' },
]);

describe('TP time profiles', () => {
  it('TP-1 a profile is active when any entry matches', () => {
    const p = profile([
      { kind: 'weekly', days: ['mon'], start: '09:00', end: '12:00' },
      { kind: 'weekly', days: ['mon'], start: '13:00', end: '17:00' },
    ]);
    // 2026-01-05 is a Monday; UTC = London in January.
    const table: Array<[string, boolean]> = [
      ['2026-01-05T08:59:59', false],
      ['2026-01-05T09:00:00', true],
      ['2026-01-05T11:59:59', true],
      ['2026-01-05T12:00:00', false],
      ['2026-01-05T13:30:00', true],
      ['2026-01-05T17:00:00', false],
      ['2026-01-06T10:00:00', false],
    ];
    for (const [at, want] of table) assert.equal(isProfileActive(p, utc(at), LONDON), want, at);
  });

  it('TP-1 a profile without entries is never active', () => {
    assert.equal(isProfileActive(profile([]), utc('2026-01-05T10:00:00'), LONDON), false);
  });

  it('TP-2 weekly entries match their weekdays and [start, end) in local time', () => {
    const table: Array<[string, boolean]> = [
      ['2026-01-09T16:59:00', true], // Friday
      ['2026-01-10T10:00:00', false], // Saturday
      ['2026-01-11T10:00:00', false], // Sunday
    ];
    for (const [at, want] of table) assert.equal(isScheduleActive(office, utc(at), LONDON), want, at);
  });

  it('TP-2 a weekly entry cannot cross midnight: 22:00–06:00 is rejected, two entries are accepted', () => {
    const e = rejects(
      dir({
        timeProfiles: [
          { name: 'Night', entries: [{ kind: 'weekly', days: ['mon'], start: '22:00', end: '06:00' }] },
        ],
      }),
      'timeProfiles[0].entries[0].end',
      'EMPTY_INTERVAL',
    );
    assert.match(e.message, /cannot cross midnight/);
    const d = valid(
      dir({
        timeProfiles: [
          {
            name: 'Night',
            entries: [
              { kind: 'weekly', days: ['mon'], start: '22:00', end: '24:00' },
              { kind: 'weekly', days: ['tue'], start: '00:00', end: '06:00' },
            ],
          },
        ],
      }),
    );
    const night = d.timeProfiles[0]!;
    assert.equal(isProfileActive(night, utc('2026-01-05T23:59:59'), LONDON), true);
    assert.equal(isProfileActive(night, utc('2026-01-06T00:00:00'), LONDON), true);
    assert.equal(isProfileActive(night, utc('2026-01-06T06:00:00'), LONDON), false);
  });

  it('TP-2 weekly entry validation: start and end are HH:MM, days are weekday names', () => {
    rejects(
      dir({
        timeProfiles: [
          { name: 'x', entries: [{ kind: 'weekly', days: ['mon'], start: '9:00', end: '17:00' }] },
        ],
      }),
      'timeProfiles[0].entries[0].start',
      'INVALID_FORMAT',
    );
    rejects(
      dir({
        timeProfiles: [
          {
            name: 'x',
            entries: [{ kind: 'weekly', days: ['monday' as never], start: '09:00', end: '17:00' }],
          },
        ],
      }),
      'timeProfiles[0].entries[0].days[0]',
      'INVALID_VALUE',
    );
    rejects(
      dir({
        timeProfiles: [
          { name: 'x', entries: [{ kind: 'weekly', days: ['mon'], start: '09:00', end: '09:00' }] },
        ],
      }),
      'timeProfiles[0].entries[0].end',
      'EMPTY_INTERVAL',
    );
    rejects(
      dir({
        timeProfiles: [
          { name: 'x', entries: [{ kind: 'weekly', days: ['mon', 'mon'], start: '09:00', end: '10:00' }] },
        ],
      }),
      'timeProfiles[0].entries[0].days',
      'DUPLICATE_ENTRY',
    );
  });

  it('TP-2 a calendar entry is a date with start and end time', () => {
    const p = profile([{ kind: 'calendar', date: '2026-12-24', start: '09:00', end: '13:00' }]);
    assert.equal(isProfileActive(p, utc('2026-12-24T10:00:00'), LONDON), true);
    assert.equal(isProfileActive(p, utc('2026-12-24T13:00:00'), LONDON), false);
    assert.equal(isProfileActive(p, utc('2026-12-25T10:00:00'), LONDON), false);
  });

  it('TP-2 a calendar entry with endDate covers each day of the range between start and end', () => {
    const p = profile([
      { kind: 'calendar', date: '2026-08-03', endDate: '2026-08-07', start: '08:00', end: '18:00' },
    ]);
    assert.equal(isProfileActive(p, utc('2026-08-02T10:00:00'), LONDON), false);
    assert.equal(isProfileActive(p, utc('2026-08-03T07:30:00'), LONDON), true); // 08:30 BST
    assert.equal(isProfileActive(p, utc('2026-08-05T20:00:00'), LONDON), false); // 21:00 BST
    assert.equal(isProfileActive(p, utc('2026-08-07T16:59:00'), LONDON), true); // 17:59 BST
    assert.equal(isProfileActive(p, utc('2026-08-08T10:00:00'), LONDON), false);
  });

  it('TP-2 calendar entries must be real dates, and endDate not before date', () => {
    rejects(
      dir({
        timeProfiles: [
          { name: 'x', entries: [{ kind: 'calendar', date: '2026-02-30', start: '09:00', end: '10:00' }] },
        ],
      }),
      'timeProfiles[0].entries[0].date',
      'INVALID_DATE',
    );
    rejects(
      dir({
        timeProfiles: [
          {
            name: 'x',
            entries: [
              { kind: 'calendar', date: '2026-05-02', endDate: '2026-05-01', start: '09:00', end: '10:00' },
            ],
          },
        ],
      }),
      'timeProfiles[0].entries[0].endDate',
      'INVALID_DATE',
    );
  });

  it('TP-3 no profile set means always active', () => {
    assert.equal(isProfileActive(undefined, utc('2026-01-10T03:00:00'), LONDON), true);
  });

  it('TP-4 latchActive and latchInactive hold whatever the schedule says', () => {
    const sat = utc('2026-01-10T10:00:00');
    const mon = utc('2026-01-05T10:00:00');
    assert.equal(isProfileActive(office, sat, LONDON, { kind: 'latchActive' }), true);
    assert.equal(isProfileActive(office, mon, LONDON, { kind: 'latchInactive' }), false);
    assert.equal(isProfileActive({ ...office, override: 'latchActive' }, sat, LONDON), true);
    assert.equal(isProfileActive({ ...office, override: 'latchActive' }, sat, LONDON, null), false);
  });

  it('TP-4 activeUntilNextInactive set before opening: active now and through the day, inactive at close', () => {
    const ov = { kind: 'activeUntilNextInactive' as const, setAt: utc('2026-01-05T07:00:00') };
    const table: Array<[string, boolean]> = [
      ['2026-01-05T06:59:00', false], // before it was set
      ['2026-01-05T07:30:00', true],
      ['2026-01-05T12:00:00', true],
      ['2026-01-05T17:00:00', false],
      ['2026-01-06T08:00:00', false],
    ];
    for (const [at, want] of table) assert.equal(isProfileActive(office, utc(at), LONDON, ov), want, at);
  });

  it('TP-4 activeUntilNextInactive set after closing runs through the night until the next close', () => {
    const ov = { kind: 'activeUntilNextInactive' as const, setAt: utc('2026-01-05T18:00:00') };
    assert.equal(isProfileActive(office, utc('2026-01-06T03:00:00'), LONDON, ov), true);
    assert.equal(isProfileActive(office, utc('2026-01-06T16:00:00'), LONDON, ov), true);
    assert.equal(isProfileActive(office, utc('2026-01-06T17:30:00'), LONDON, ov), false);
  });

  it('TP-4 inactiveUntilNextActive set during the day ends at the next opening', () => {
    const p: TimeProfile = {
      ...office,
      override: 'inactiveUntilNextActive',
      overrideSetAt: '2026-01-05T10:00:00Z',
    };
    assert.equal(isProfileActive(p, utc('2026-01-05T10:30:00'), LONDON), false);
    assert.equal(isProfileActive(p, utc('2026-01-05T16:59:00'), LONDON), false);
    assert.equal(isProfileActive(p, utc('2026-01-06T08:59:00'), LONDON), false);
    assert.equal(isProfileActive(p, utc('2026-01-06T09:00:00'), LONDON), true);
  });

  it('TP-4 one-shot overrides need overrideSetAt; latches do not', () => {
    rejects(
      dir({ timeProfiles: [{ name: 'x', override: 'activeUntilNextInactive' }] }),
      'timeProfiles[0].overrideSetAt',
      'OVERRIDE_SET_AT_REQUIRED',
    );
    rejects(
      dir({ timeProfiles: [{ name: 'x', override: 'latchActive', overrideSetAt: '2026-01-05 10:00' }] }),
      'timeProfiles[0].overrideSetAt',
      'INVALID_FORMAT',
    );
    valid(dir({ timeProfiles: [{ name: 'x', override: 'latchInactive' }] }));
    rejects(
      dir({ timeProfiles: [{ name: 'x', override: 'forever' as never }] }),
      'timeProfiles[0].override',
      'INVALID_VALUE',
    );
  });

  it('TP-4 a one-shot override on a schedule that never changes stays until cleared', () => {
    const ov = { kind: 'activeUntilNextInactive' as const, setAt: utc('2026-01-05T10:00:00') };
    assert.equal(isProfileActive(profile([]), utc('2027-01-05T10:00:00'), LONDON, ov), true);
  });
});

describe('TP-5 local time in the system time zone, across DST (Europe/London 2026)', () => {
  it('TP-5 09:00–17:00 starts at 09:00 local on both sides of the spring change (2026-03-29)', () => {
    const table: Array<[string, boolean, string]> = [
      ['2026-03-28T08:30:00', false, '08:30 GMT Saturday'],
      ['2026-03-28T09:00:00', true, '09:00 GMT'],
      ['2026-03-29T08:00:00', true, '09:00 BST'],
      ['2026-03-29T07:59:59', false, '08:59:59 BST'],
      ['2026-03-29T16:00:00', false, '17:00 BST'],
      ['2026-03-29T15:59:00', true, '16:59 BST'],
    ];
    for (const [at, want, local] of table)
      assert.equal(isProfileActive(everyDay, utc(at), LONDON), want, local);
  });

  it('TP-5 and on both sides of the autumn change (2026-10-25)', () => {
    const table: Array<[string, boolean, string]> = [
      ['2026-10-24T08:00:00', true, '09:00 BST Saturday'],
      ['2026-10-24T16:00:00', false, '17:00 BST'],
      ['2026-10-25T08:30:00', false, '08:30 GMT'],
      ['2026-10-25T09:00:00', true, '09:00 GMT'],
      ['2026-10-25T16:59:00', true, '16:59 GMT'],
      ['2026-10-25T17:00:00', false, '17:00 GMT'],
    ];
    for (const [at, want, local] of table)
      assert.equal(isProfileActive(everyDay, utc(at), LONDON), want, local);
  });

  it('TP-5 the same profile in UTC gives different answers (the zone matters)', () => {
    assert.equal(isProfileActive(everyDay, utc('2026-03-29T08:30:00'), LONDON), true);
    assert.equal(isProfileActive(everyDay, utc('2026-03-29T08:30:00'), 'UTC'), false);
  });

  it('TP-5 an entry starting inside the spring-forward gap starts when the clock jumps', () => {
    // 01:00 GMT → 02:00 BST at 01:00Z; 01:30 local never happens that night.
    const p = profile([{ kind: 'calendar', date: '2026-03-29', start: '01:30', end: '03:00' }]);
    assert.equal(isProfileActive(p, utc('2026-03-29T00:59:59'), LONDON), false);
    assert.equal(isProfileActive(p, utc('2026-03-29T01:00:00'), LONDON), true);
    assert.equal(isProfileActive(p, utc('2026-03-29T02:00:00'), LONDON), false); // 03:00 BST
    assert.equal(nextScheduledChange(p, utc('2026-03-29T00:30:00'), LONDON), utc('2026-03-29T01:00:00'));
    assert.equal(nextScheduledChange(p, utc('2026-03-29T01:00:00'), LONDON), utc('2026-03-29T02:00:00'));
  });

  it('TP-5 an entry inside the autumn overlap is active in both occurrences of that hour', () => {
    // 02:00 BST → 01:00 GMT at 01:00Z; 01:00–02:00 local happens twice.
    const p = profile([{ kind: 'calendar', date: '2026-10-25', start: '01:30', end: '03:00' }]);
    assert.equal(isProfileActive(p, utc('2026-10-25T00:15:00'), LONDON), false); // 01:15 BST
    assert.equal(isProfileActive(p, utc('2026-10-25T00:45:00'), LONDON), true); // 01:45 BST
    assert.equal(isProfileActive(p, utc('2026-10-25T01:15:00'), LONDON), false); // 01:15 GMT
    assert.equal(isProfileActive(p, utc('2026-10-25T01:45:00'), LONDON), true); // 01:45 GMT
    assert.equal(nextScheduledChange(p, utc('2026-10-25T00:00:00'), LONDON), utc('2026-10-25T00:30:00'));
    assert.equal(nextScheduledChange(p, utc('2026-10-25T00:45:00'), LONDON), utc('2026-10-25T01:00:00'));
    assert.equal(nextScheduledChange(p, utc('2026-10-25T01:10:00'), LONDON), utc('2026-10-25T01:30:00'));
    assert.equal(nextScheduledChange(p, utc('2026-10-25T01:45:00'), LONDON), utc('2026-10-25T03:00:00'));
  });

  it('TP-5 nextScheduledChange over a DST weekend lands on 09:00 local Monday', () => {
    assert.equal(nextScheduledChange(office, utc('2026-03-27T17:00:00'), LONDON), utc('2026-03-30T08:00:00'));
    assert.equal(nextScheduledChange(office, utc('2026-10-23T16:00:00'), LONDON), utc('2026-10-26T09:00:00'));
  });

  it('TP-4 a one-shot override set before the spring change ends at the first BST opening', () => {
    const ov = { kind: 'activeUntilNextInactive' as const, setAt: utc('2026-03-27T18:00:00') }; // Friday evening
    assert.equal(isProfileActive(office, utc('2026-03-29T12:00:00'), LONDON, ov), true); // Sunday
    assert.equal(isProfileActive(office, utc('2026-03-30T15:59:00'), LONDON, ov), true); // 16:59 BST Monday
    assert.equal(isProfileActive(office, utc('2026-03-30T16:00:00'), LONDON, ov), false); // 17:00 BST
  });

  it('TP-5 calendar entries far ahead are found by nextScheduledChange', () => {
    const p = profile([{ kind: 'calendar', date: '2027-06-01', start: '10:00', end: '11:00' }]);
    assert.equal(nextScheduledChange(p, utc('2026-01-01T00:00:00'), LONDON), utc('2027-06-01T09:00:00'));
    assert.equal(nextScheduledChange(p, utc('2027-06-01T09:30:00'), LONDON), utc('2027-06-01T10:00:00'));
    assert.equal(nextScheduledChange(p, utc('2027-06-01T10:30:00'), LONDON), undefined);
  });
});

describe('TP property: nextScheduledChange agrees with isScheduleActive', () => {
  const hm = fc.integer({ min: 0, max: 23 * 60 + 59 });
  const clockOf = (m: number) =>
    `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  const entry = fc
    .tuple(fc.subarray(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const, { minLength: 1 }), hm, hm)
    .filter(([, a, b]) => a !== b)
    .map(
      ([days, a, b]): TimeProfileEntry => ({
        kind: 'weekly',
        days: [...days],
        start: clockOf(Math.min(a, b)),
        end: clockOf(Math.max(a, b)),
      }),
    );
  // Around both 2026 London DST changes.
  const instant = fc.oneof(
    fc.integer({ min: utc('2026-03-25T00:00:00'), max: utc('2026-04-02T00:00:00') }),
    fc.integer({ min: utc('2026-10-21T00:00:00'), max: utc('2026-10-29T00:00:00') }),
  );

  it('TP-5 the schedule keeps its state until the next change and flips exactly there (DST weeks)', () => {
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 3 }), instant, (entries, at) => {
        const p = profile(entries);
        const state = isScheduleActive(p, at, LONDON);
        const next = nextScheduledChange(p, at, LONDON);
        if (next === undefined) return;
        assert.ok(next > at);
        assert.equal(isScheduleActive(p, next - 1, LONDON), state);
        assert.equal(isScheduleActive(p, next, LONDON), !state);
        // Sample the interval: no earlier flip was missed.
        for (let k = 1; k < 8; k++) {
          const t: number = at + Math.floor(((next - at) * k) / 8);
          assert.equal(isScheduleActive(p, t, LONDON), state);
        }
      }),
      { numRuns: 300 },
    );
  });
});
