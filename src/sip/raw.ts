/**
 * The wire bytes a parsed message came from, remembered beside the message model so the
 * serialiser can reproduce them exactly (folding, spacing, compact names, non-UTF-8 bytes)
 * as long as the field or start line has not been changed. The model in message.ts stays
 * plain data; this side table is private to the parse/serialise pair.
 *
 * One record per message, not per field: a message is parsed for every datagram and
 * serialised again only rarely, so the parser notes offsets into the bytes it already
 * holds (the body is a view of them anyway) and the serialiser cuts them out on demand.
 */
import type { HeaderField, SipMessage } from './message.js';

export interface RawMessage {
  /** The bytes the message was parsed from. */
  source: Buffer;
  startLineStart: number;
  startLineEnd: number;
  /** The start line's three parts as parsed; any edit makes the model differ from them. */
  startParts: readonly [string, string | number, string];
  /** The header fields as parsed, in order (the objects, to recognise them after edits). */
  fields: readonly HeaderField[];
  /** Each parsed field's value as parsed (a field's value can be changed in place). */
  values: readonly string[];
  /**
   * For field i, `ranges[2i]`…`ranges[2i + 1]`: its bytes in `source`, from its name to the
   * end of its last folded line (no final CRLF).
   */
  ranges: readonly number[];
}

export const rawMessages = new WeakMap<SipMessage, RawMessage>();

/** The start line's parts as the model holds them now, in RawMessage.startParts order. */
export function startPartsOf(msg: SipMessage): [string, string | number, string] {
  return msg.type === 'request' ? [msg.method, msg.uri, msg.version] : [msg.version, msg.status, msg.reason];
}

/** The start line of a message as the model describes it. */
export function renderStartLine(msg: SipMessage): string {
  return msg.type === 'request'
    ? `${msg.method} ${msg.uri} ${msg.version}`
    : `${msg.version} ${msg.status} ${msg.reason}`;
}
