/**
 * The SIP side's Prometheus metrics: calls, legs by reason and outcome, registrations,
 * authentication failures and transaction timeouts. Served by the admin API's /metrics
 * together with its own request counters and the process's default metrics.
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export interface SipMetrics {
  readonly registry: Registry;
  readonly calls: Counter<'outcome'>;
  readonly legs: Counter<'reason' | 'outcome'>;
  readonly activeCalls: Gauge;
  readonly registrations: Gauge;
  readonly authFailures: Counter<'method'>;
  readonly transactionTimeouts: Counter;
  readonly malformed: Counter<'status'>;
  readonly mobileFeatureRefusals: Counter<'feature'>;
}

/** `registrations()` counts live bindings when /metrics is scraped. */
export function createSipMetrics(registrations: () => number = () => 0): SipMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'twinline_' });
  return {
    registry,
    calls: new Counter({
      name: 'twinline_calls_total',
      help: 'Calls ended, by outcome (answered, abandoned, failed <status>, …)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    legs: new Counter({
      name: 'twinline_legs_total',
      help: 'Call legs ended, by reason (primary, mobileTwin, teams, …) and how they ended',
      labelNames: ['reason', 'outcome'],
      registers: [registry],
    }),
    activeCalls: new Gauge({
      name: 'twinline_active_calls',
      help: 'Calls in progress',
      registers: [registry],
    }),
    registrations: new Gauge({
      name: 'twinline_registrations',
      help: 'Live registration bindings',
      registers: [registry],
      collect() {
        this.set(registrations());
      },
    }),
    authFailures: new Counter({
      name: 'twinline_auth_failures_total',
      help: 'Failed digest authentications, by SIP method',
      labelNames: ['method'],
      registers: [registry],
    }),
    transactionTimeouts: new Counter({
      name: 'twinline_transaction_timeouts_total',
      help: 'Client transactions that timed out (Timer B or F)',
      registers: [registry],
    }),
    mobileFeatureRefusals: new Counter({
      name: 'twinline_mobile_feature_refusals_total',
      help: 'Calls to FNE 31/32/33 refused (unknown caller ID, no digits, call in progress; MCC-4)',
      labelNames: ['feature'],
      registers: [registry],
    }),
    malformed: new Counter({
      name: 'twinline_malformed_messages_total',
      help: 'Messages the parser refused, by the status answered (0 = dropped)',
      labelNames: ['status'],
      registers: [registry],
    }),
  };
}

/** Reduces an outcome text to a bounded label value ("answered L2" → "answered"). */
export function outcomeLabel(outcome: string | undefined): string {
  if (!outcome) return 'unknown';
  const word = outcome.split(' ')[0] ?? 'unknown';
  return word === 'failed' ? outcome.replace(/[^a-z0-9 ]/gi, '').slice(0, 12) : word;
}
