/**
 * `twinline sip parse FILE`: reads the raw bytes of one SIP message (as one UDP datagram)
 * and shows what twinline makes of it.
 *
 * Exit 0, stdout = the parsed message as JSON:
 *   { "type": "request", "method": "INVITE", "uri": "sip:…", "version": "SIP/2.0",
 *     "headers": [["Via", "SIP/2.0/UDP …"], …],          // wire names, unfolded values, in order
 *     "body": "v=0\r\n…", "bodyEncoding": "utf8" }         // "base64" when not valid UTF-8
 *   a response has "status" and "reason" instead of "method" and "uri".
 * Exit 2, stdout = the response a server would send instead: { "status": 400, "reason": "…" }
 *   (plus "headers" when the response carries some, e.g. Unsupported on a 420);
 *   "status": 0 means the message is silently discarded.
 * Exit 1 on a usage or file error (message on stderr).
 */
import { isUtf8 } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import type { SipMessage } from '../sip/message.js';
import { parseMessage } from '../sip/parse.js';
import { checkRequest, type ServerPolicy } from '../sip/validate.js';

const POLICY: ServerPolicy = { supportedExtensions: [] };

export function messageToJson(msg: SipMessage): Record<string, unknown> {
  const start =
    msg.type === 'request'
      ? { type: 'request', method: msg.method, uri: msg.uri }
      : { type: 'response', status: msg.status, reason: msg.reason };
  const utf8 = isUtf8(msg.body);
  return {
    ...start,
    version: msg.version,
    headers: msg.headers.fields.map((f) => [f.name, f.value]),
    body: msg.body.toString(utf8 ? 'utf8' : 'base64'),
    bodyEncoding: utf8 ? 'utf8' : 'base64',
  };
}

export async function sipParseCommand(args: string[]): Promise<number> {
  const file = args[0];
  if (file === undefined || args.length !== 1) {
    process.stderr.write('usage: twinline sip parse FILE\n');
    return 1;
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    process.stderr.write(
      `twinline sip parse: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}\n`,
    );
    return 1;
  }
  const parsed = parseMessage(bytes);
  if (!parsed.ok) {
    process.stdout.write(`${JSON.stringify({ status: parsed.status, reason: parsed.reason })}\n`);
    return 2;
  }
  if (parsed.message.type === 'request') {
    const rejection = checkRequest(parsed.message, POLICY);
    if (rejection) {
      process.stdout.write(`${JSON.stringify(rejection)}\n`);
      return 2;
    }
  }
  process.stdout.write(`${JSON.stringify(messageToJson(parsed.message), null, 2)}\n`);
  return 0;
}
