import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeRequest } from '../../../src/sip/message.js';
import { parseMessage } from '../../../src/sip/parse.js';
import { serializeMessage } from '../../../src/sip/serialize.js';

const dir = fileURLToPath(new URL('../../fixtures/sip/rfc4475/', import.meta.url));

function parsed(bytes: Buffer) {
  const r = parseMessage(bytes);
  if (!r.ok) assert.fail(`${r.status} ${r.reason}`);
  return r.message;
}

describe('serializeMessage', () => {
  it('reproduces the torture messages byte for byte (folding, spacing, compact names, NULs)', () => {
    for (const name of [
      'wsinv',
      'intmeth',
      'esc01',
      'escnull',
      'esc02',
      'longreq',
      'semiuri',
      'mpart01',
      'unreason',
      'noreason',
    ]) {
      const bytes = readFileSync(`${dir}${name}.sip`);
      assert.ok(serializeMessage(parsed(bytes)).equals(bytes), name);
    }
  });

  it('drops the octets after Content-Length that a datagram carried (RFC 4475 §3.1.1.8)', () => {
    const bytes = readFileSync(`${dir}dblreq.sip`);
    const out = serializeMessage(parsed(bytes));
    assert.ok(out.toString().endsWith('Content-Length: 0\r\n\r\n'));
    assert.ok(!out.toString().includes('INVITE'));
  });

  it('fixes a wrong Content-Length and keeps the field name as written', () => {
    const msg = parsed(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nl: 2\r\n\r\nhello'));
    msg.body = Buffer.from('hello!');
    assert.equal(serializeMessage(msg).toString(), 'OPTIONS sip:a@b SIP/2.0\r\nl: 6\r\n\r\nhello!');
  });

  it('adds Content-Length when missing', () => {
    const msg = makeRequest('OPTIONS', 'sip:a@b', [['Call-ID', 'x']], Buffer.from('hi'));
    assert.equal(
      serializeMessage(msg).toString(),
      'OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\nContent-Length: 2\r\n\r\nhi',
    );
  });

  it('writes an edited field from its value, untouched fields from their bytes', () => {
    const msg = parsed(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nX-A :  one\r\nX-B:\r\n two\r\nl: 0\r\n\r\n'));
    msg.headers.fields[0]!.value = 'uno';
    assert.equal(
      serializeMessage(msg).toString(),
      'OPTIONS sip:a@b SIP/2.0\r\nX-A: uno\r\nX-B:\r\n two\r\nl: 0\r\n\r\n',
    );
  });

  it('renders the start line again once it is edited', () => {
    const msg = parsed(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n'));
    if (msg.type === 'request') msg.uri = 'sip:c@d';
    assert.equal(serializeMessage(msg).toString(), 'OPTIONS sip:c@d SIP/2.0\r\nl: 0\r\n\r\n');
  });

  it('round-trips every valid corpus message through parse again to the same model', () => {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.sip'))) {
      const first = parseMessage(readFileSync(`${dir}${file}`));
      if (!first.ok) continue;
      const second = parsed(serializeMessage(first.message));
      assert.deepEqual(second.headers.fields, first.message.headers.fields, file);
      assert.deepEqual(second.body, first.message.body, file);
    }
  });
});
