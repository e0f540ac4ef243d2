/**
 * Reading SIPp's -trace_shortmsg logs line by line, for runs too long to hold every message
 * in memory (bench/support/calls.ts `shortMessages` reads them whole).
 */
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

/**
 * Calls (by Call-ID) a SIPp user agent received an INVITE for and never a CANCEL, from the
 * -trace_shortmsg log(s) in its working directory `dir`. Unlike the agent's per-message
 * counts, an INVITE retransmitted after its call ended (which SIPp takes for a new call)
 * is not counted again.
 */
export async function uncancelledCallIds(dir: string): Promise<{ invited: number; uncancelled: number }> {
  const invited = new Set<string>();
  const cancelled = new Set<string>();
  if (existsSync(dir)) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('_shortmessages.log'))) {
      const lines = createInterface({
        input: createReadStream(path.join(dir, file), 'latin1'),
        crlfDelay: Number.POSITIVE_INFINITY,
      });
      for await (const line of lines) {
        const [, , , direction, callId, , firstLine] = line.split('\t');
        if (direction !== 'R' || !callId || firstLine === undefined) continue;
        if (firstLine.startsWith('INVITE ')) invited.add(callId);
        else if (firstLine.startsWith('CANCEL ')) cancelled.add(callId);
      }
    }
  }
  let uncancelled = 0;
  for (const callId of invited) if (!cancelled.has(callId)) uncancelled++;
  return { invited: invited.size, uncancelled };
}
