/**
 * The golden corpus: every RFC 4475 and RFC 5118 message in test/fixtures/sip, run through
 * parseMessage and checkRequest, must produce the outcome its .json file states.
 */
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseVia, splitCommas } from '../../../src/sip/fields.js';
import type { SipMessage } from '../../../src/sip/message.js';
import { parseNameAddr } from '../../../src/sip/name-addr.js';
import { parseMessage } from '../../../src/sip/parse.js';
import { serializeMessage } from '../../../src/sip/serialize.js';
import { parseUri, type SipUri } from '../../../src/sip/uri.js';
import { checkRequest, type ServerPolicy } from '../../../src/sip/validate.js';

const root = fileURLToPath(new URL('../../fixtures/sip/', import.meta.url));

interface Expectation {
  case: string;
  status: number | 'ok';
  policy?: 'acceptsSdp';
  headers?: [string, string][];
  [field: string]: unknown;
}

const POLICIES: Record<string, ServerPolicy> = {
  default: { supportedExtensions: [] },
  acceptsSdp: { supportedExtensions: [], acceptedContentTypes: ['application/sdp', 'multipart/mixed'] },
};

/** The outcome a server reaches for these bytes: a parsed message or the response status. */
export function outcome(bytes: Buffer, policy: ServerPolicy) {
  const parsed = parseMessage(bytes);
  if (!parsed.ok) return { status: parsed.status, reason: parsed.reason } as const;
  if (parsed.message.type === 'request') {
    const rejection = checkRequest(parsed.message, policy);
    if (rejection) return rejection;
  }
  return { status: 'ok' as const, message: parsed.message };
}

function fieldsOf(msg: SipMessage): Record<string, unknown> {
  const vias = msg.headers.getAll('via').flatMap(splitCommas);
  const out: Record<string, unknown> = {
    type: msg.type,
    vias: vias.length,
    bodyLength: msg.body.length,
    callId: msg.headers.get('call-id'),
    cseq: msg.headers.get('cseq'),
    branch: parseVia(vias[0] ?? '')?.branch ?? null,
    received: parseVia(vias[0] ?? '')?.params.get('received'),
    fromTag: parseNameAddr(msg.headers.get('from') ?? '')?.params.get('tag'),
    toTag: parseNameAddr(msg.headers.get('to') ?? '')?.params.get('tag'),
    fromDisplayName: parseNameAddr(msg.headers.get('from') ?? '')?.displayName,
    contacts: msg.headers.getAll('contact').flatMap(splitCommas).length,
  };
  const contact = parseNameAddr(msg.headers.get('contact') ?? '');
  out.contactUri = contact?.uri;
  out.contactParams = contact ? [...contact.params.keys()] : undefined;
  out.bodyEncoding = isUtf8(msg.body) ? 'utf8' : 'base64';
  if (msg.type === 'request') {
    out.method = msg.method;
    const uri = parseUri(msg.uri) as SipUri | undefined;
    out.uriUser = uri?.user;
    out.uriPassword = uri?.password;
    out.uriHost = uri?.host;
    out.uriPort = uri?.port ?? null;
  } else {
    out.statusCode = msg.status;
    out.reason = msg.reason;
  }
  return out;
}

const cases: { dir: string; name: string }[] = [];
for (const dir of readdirSync(root)) {
  for (const file of readdirSync(join(root, dir))) {
    if (file.endsWith('.sip')) cases.push({ dir, name: file.slice(0, -4) });
  }
}

describe('SIP torture corpus (RFC 4475, RFC 5118)', () => {
  it('holds every RFC 4475 case and the RFC 5118 cases', () => {
    assert.equal(cases.filter((c) => c.dir === 'rfc4475').length, 49);
    assert.equal(cases.filter((c) => c.dir === 'rfc5118').length, 12);
  });

  for (const { dir, name } of cases) {
    it(`${dir}/${name}`, () => {
      const bytes = readFileSync(join(root, dir, `${name}.sip`));
      const expected = JSON.parse(readFileSync(join(root, dir, `${name}.json`), 'utf8')) as Expectation;
      const got = outcome(bytes, POLICIES[expected.policy ?? 'default']!);
      assert.equal(got.status, expected.status, `reason: ${'reason' in got ? got.reason : ''}`);
      if (expected.headers) assert.deepEqual('headers' in got ? got.headers : undefined, expected.headers);
      if (got.status !== 'ok' || !('message' in got)) return;
      const actual = fieldsOf(got.message);
      for (const [key, value] of Object.entries(expected)) {
        if (['case', 'source', 'status', 'note', 'policy', 'headers'].includes(key)) continue;
        if (key === 'statusCode' || key in actual) assert.deepEqual(actual[key], value, `${key}`);
        else assert.fail(`unknown expectation field ${key}`);
      }
      // Serialising a parsed valid message and parsing it again gives the same header text.
      const again = parseMessage(serializeMessage(got.message));
      assert.ok(again.ok);
      assert.deepEqual(again.message.headers.fields, got.message.headers.fields);
    });
  }
});
