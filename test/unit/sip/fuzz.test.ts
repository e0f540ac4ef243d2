/**
 * Property tests: the parser never throws, every outcome is a message or a rejection with
 * a meaningful status, and serialise → parse is stable for the messages it accepts.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { StreamFramer } from '../../../src/sip/framing.js';
import { headerKey, type SipMessage } from '../../../src/sip/message.js';
import { parseMessage } from '../../../src/sip/parse.js';
import { serializeMessage } from '../../../src/sip/serialize.js';
import { checkRequest } from '../../../src/sip/validate.js';

const root = fileURLToPath(new URL('../../fixtures/sip/', import.meta.url));
const corpus = readdirSync(root).flatMap((dir) =>
  readdirSync(`${root}${dir}`)
    .filter((f) => f.endsWith('.sip'))
    .map((f) => readFileSync(`${root}${dir}/${f}`)),
);
const STATUSES = [0, 400, 513];

function assertOutcome(bytes: Buffer): void {
  const r = parseMessage(bytes);
  if (r.ok) {
    if (r.message.type === 'request') {
      const rej = checkRequest(r.message, { supportedExtensions: [] });
      if (rej) assert.ok(rej.status >= 400 && rej.status < 600);
    }
  } else {
    assert.ok(STATUSES.includes(r.status), `status ${r.status}`);
    assert.equal(typeof r.reason, 'string');
  }
}

/** Edits that keep most of a valid message: flip, insert, delete or duplicate a slice. */
const mutated = fc
  .record({
    base: fc.constantFrom(...corpus),
    edits: fc.array(
      fc.record({
        kind: fc.constantFrom('flip', 'insert', 'delete', 'dup', 'crlf'),
        at: fc.nat(),
        len: fc.integer({ min: 1, max: 16 }),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  })
  .map(({ base, edits }) => {
    let b = Buffer.from(base);
    for (const e of edits) {
      const at = b.length === 0 ? 0 : e.at % b.length;
      if (e.kind === 'flip') b[at] = (b[at] ?? 0) ^ (e.bytes[0] ?? 1);
      else if (e.kind === 'insert')
        b = Buffer.concat([b.subarray(0, at), Buffer.from(e.bytes), b.subarray(at)]);
      else if (e.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + e.len)]);
      else if (e.kind === 'dup') b = Buffer.concat([b.subarray(0, at + e.len), b.subarray(at)]);
      else b = Buffer.concat([b.subarray(0, at), Buffer.from('\r\n'), b.subarray(at)]);
    }
    return b;
  });

describe('parser properties', () => {
  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (arr) => assertOutcome(Buffer.from(arr))),
      { numRuns: 2000 },
    );
  });

  it('never throws on random text shaped like SIP', () => {
    const line = fc.stringMatching(/^[A-Za-z:;<>"@ \t\\,=.%0-9/[\]-]{0,40}$/);
    fc.assert(
      fc.property(
        fc.constantFrom('INVITE sip:a@b SIP/2.0', 'SIP/2.0 200 OK', 'X'),
        fc.array(line, { maxLength: 12 }),
        fc.string(),
        (start, lines, body) =>
          assertOutcome(Buffer.from(`${start}\r\n${lines.join('\r\n')}\r\n\r\n${body}`)),
      ),
      { numRuns: 2000 },
    );
  });

  it('never throws on mutated corpus messages', () => {
    fc.assert(fc.property(mutated, assertOutcome), { numRuns: 3000 });
  });

  it('parse ∘ serialise is stable for every message it accepts', () => {
    fc.assert(
      fc.property(fc.oneof(mutated, fc.constantFrom(...corpus)), (bytes) => {
        const first = parseMessage(bytes);
        fc.pre(first.ok);
        if (!first.ok) return;
        const wire = serializeMessage(first.message);
        const second = parseMessage(wire);
        assert.ok(second.ok, 'a serialised message parses');
        // Serialising adds or corrects Content-Length; every other field comes back unchanged.
        const withoutLength = (m: SipMessage) =>
          m.headers.fields.filter((f) => headerKey(f.name) !== 'content-length');
        assert.deepEqual(withoutLength(second.message), withoutLength(first.message));
        assert.deepEqual(second.message.body, first.message.body);
        assert.ok(serializeMessage(second.message).equals(wire), 'serialising again gives the same bytes');
      }),
      { numRuns: 1500 },
    );
  });

  it('the stream framer never throws and never returns more bytes than it was given', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            mutated,
            fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
          ),
          { maxLength: 6 },
        ),
        (chunks) => {
          const f = new StreamFramer({ maxMessageBytes: 4096 });
          let given = 0;
          let taken = 0;
          for (const c of chunks) {
            given += c.length;
            const r = f.push(c);
            for (const m of r.messages) taken += m.length;
            if (r.error) assert.ok(r.error.status === 400 || r.error.status === 513);
          }
          assert.ok(taken <= given);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
