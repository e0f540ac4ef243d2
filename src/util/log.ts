/**
 * Structured JSON logs (pino). Every layer takes a `Logger` from its owner and adds its
 * own ids with `child({ callId, leg, user })`; nothing reads process.env deep inside.
 */
import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  return pino({ level, base: { name: 'twinline' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/** A logger that writes nothing, for tests that do not look at logs. */
export const silentLogger: Logger = pino({ level: 'silent' });
