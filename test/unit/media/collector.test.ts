import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type CollectResult,
  createDigitCollector,
  type DigitCollectorOptions,
} from '../../../src/media/collector.js';
import type { DtmfDigit } from '../../../src/media/dtmf.js';
import { VirtualClock } from '../../../src/util/clock.js';

function setup(options: Omit<DigitCollectorOptions, 'clock'> = {}) {
  const clock = new VirtualClock();
  const log: string[] = [];
  const results: CollectResult[] = [];
  const collector = createDigitCollector({
    clock,
    ...options,
    onTrigger: () => log.push('trigger'),
    onDigit: (d, soFar) => log.push(`digit ${d} ${soFar}`),
    onComplete: (r) => results.push(r),
  });
  /** Keys digits with `gapMs` between them. */
  const key = (keys: string, gapMs = 200) => {
    for (const k of keys) {
      collector.push(k as DtmfDigit);
      clock.advance(gapMs);
    }
  };
  return { clock, log, results, collector, key };
}

describe('digit collector', () => {
  it('MCC-1 ** within 1 second triggers dial tone', () => {
    const { log, collector, key } = setup();
    key('**', 900);
    assert.deepEqual(log, ['trigger']);
    assert.equal(collector.state, 'collecting');
  });

  it('MCC-1 ** spread over more than 1 second does not trigger', () => {
    const { log, collector, key } = setup();
    key('**', 1001);
    assert.deepEqual(log, []);
    assert.equal(collector.state, 'watching');
  });

  it('MCC-1 a slow * followed by a quick ** triggers on the last two', () => {
    const { log, key } = setup();
    key('*', 3000);
    key('**', 100);
    assert.deepEqual(log, ['trigger']);
  });

  it('MCC-1 other keys in between break the trigger', () => {
    const { log, key } = setup();
    key('*5*', 100);
    assert.deepEqual(log, []);
  });

  it('measures the trigger window from the key presses’ start times when given events', () => {
    const { log, collector } = setup();
    collector.push({ digit: '*', start: 0, durationMs: 100, endedBy: 'E-bit' });
    collector.push({ digit: '*', start: 950, durationMs: 400, endedBy: 'E-bit' }, undefined);
    assert.deepEqual(log, ['trigger']);
  });

  it('takes a configurable trigger and window', () => {
    const { log, key } = setup({ trigger: '*9', triggerWindowMs: 300 });
    key('**', 100);
    key('*9', 400);
    assert.deepEqual(log, []);
    key('*9', 200);
    assert.deepEqual(log, ['trigger']);
  });

  it('collects digits up to the # terminator, which is not included', () => {
    const { results, log, collector, key } = setup();
    key('**', 100);
    key('2001#');
    assert.deepEqual(results, [{ digits: '2001', reason: 'terminator' }]);
    assert.equal(log.at(-1), 'digit 1 2001');
    assert.equal(collector.state, 'done');
  });

  it('ends the number after the inter-digit timeout, on the virtual clock', () => {
    const { clock, results, key } = setup({ interDigitTimeoutMs: 3000 });
    key('**', 100);
    key('07700', 100);
    clock.advance(2899);
    assert.deepEqual(results, []);
    clock.advance(1);
    assert.deepEqual(results, [{ digits: '07700', reason: 'timeout' }]);
  });

  it('each digit restarts the inter-digit timer', () => {
    const { results, key } = setup({ interDigitTimeoutMs: 1000 });
    key('**', 100);
    key('123456', 900);
    assert.deepEqual(results, []);
  });

  it('gives up with no digits after the first-digit timeout', () => {
    const { clock, results, key } = setup({ firstDigitTimeoutMs: 4000 });
    key('**', 0);
    clock.advance(3999);
    assert.deepEqual(results, []);
    clock.advance(1);
    assert.deepEqual(results, [{ digits: '', reason: 'timeout' }]);
  });

  it('ends at the maximum length', () => {
    const { results, key } = setup({ maxDigits: 4 });
    key('**', 0);
    key('123456', 0);
    assert.deepEqual(results, [{ digits: '1234', reason: 'max-digits' }]);
  });

  it('an empty terminator makes # an ordinary digit', () => {
    const { results, clock, key } = setup({ terminator: '' });
    key('**', 0);
    key('#31#', 0);
    clock.advance(10_000);
    assert.deepEqual(results, [{ digits: '#31#', reason: 'timeout' }]);
  });

  it('startCollecting() skips the trigger (MCC-3 dial tone on a DDI)', () => {
    const { results, collector, key } = setup();
    collector.startCollecting();
    key('201#');
    assert.deepEqual(results, [{ digits: '201', reason: 'terminator' }]);
  });

  it('ignores keys once done, until reset()', () => {
    const { results, log, collector, key } = setup();
    key('**1#', 0);
    key('**', 0);
    assert.equal(log.filter((l) => l === 'trigger').length, 1);
    collector.reset();
    key('**', 0);
    assert.equal(log.filter((l) => l === 'trigger').length, 2);
    assert.equal(results.length, 1);
  });

  it('reset() while collecting drops the digits and cancels the timer', () => {
    const { clock, results, collector, key } = setup();
    key('**12', 0);
    collector.reset();
    assert.equal(collector.digits, '');
    clock.advance(60_000);
    assert.deepEqual(results, []);
    assert.equal(clock.pendingCount, 0);
  });

  it('close() is final and idempotent', () => {
    const { clock, collector, results, key } = setup();
    key('**1', 0);
    collector.close();
    collector.close();
    collector.reset();
    key('**2#', 0);
    clock.advance(60_000);
    assert.equal(collector.state, 'closed');
    assert.deepEqual(results, []);
  });

  it('contains listener errors', () => {
    const clock = new VirtualClock();
    const c = createDigitCollector({
      clock,
      onTrigger: () => {
        throw new Error('boom');
      },
    });
    assert.doesNotThrow(() => {
      c.push('*');
      c.push('*');
    });
    assert.equal(c.state, 'collecting');
  });
});
