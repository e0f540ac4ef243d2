import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));

function run(file: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/sip-parse-entry.ts', file], {
    cwd: repo,
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('twinline sip parse', () => {
  it('prints a valid request as JSON and exits 0', () => {
    const r = run('test/fixtures/sip/rfc4475/wsinv.sip');
    assert.equal(r.code, 0, r.err);
    const json = JSON.parse(r.out);
    assert.equal(json.type, 'request');
    assert.equal(json.method, 'INVITE');
    assert.equal(json.uri, 'sip:vivekg@chair-dnrc.example.com;unknownparam');
    assert.equal(json.version, 'SIP/2.0');
    assert.deepEqual(json.headers[3], ['Call-ID', 'wsinv.ndaksdj@192.0.2.1']);
    assert.equal(json.bodyEncoding, 'utf8');
    assert.ok(json.body.startsWith('v=0\r\n'));
  });

  it('prints a UTF-8 reason phrase of a response', () => {
    const r = run('test/fixtures/sip/rfc4475/unreason.sip');
    assert.equal(r.code, 0, r.err);
    const json = JSON.parse(r.out);
    assert.equal(json.type, 'response');
    assert.equal(json.status, 200);
    assert.equal(json.reason, '= 2**3 * 5**2 но сто девяносто девять - простое');
  });

  it('base64-encodes a body that is not UTF-8', () => {
    const r = run('test/fixtures/sip/rfc4475/mpart01.sip');
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(r.out).bodyEncoding, 'base64');
  });

  it('prints the 400 a server would send for an invalid request and exits 2', () => {
    const r = run('test/fixtures/sip/rfc4475/clerr.sip');
    assert.equal(r.code, 2);
    assert.equal(JSON.parse(r.out).status, 400);
  });

  it('prints 505 for an unknown SIP version', () => {
    const r = run('test/fixtures/sip/rfc4475/badvers.sip');
    assert.equal(r.code, 2);
    assert.equal(JSON.parse(r.out).status, 505);
  });

  it('prints status 0 for a response that is silently discarded', () => {
    const r = run('test/fixtures/sip/rfc4475/bigcode.sip');
    assert.equal(r.code, 2);
    assert.equal(JSON.parse(r.out).status, 0);
  });

  it('exits 1 when the file cannot be read', () => {
    const r = run('test/fixtures/sip/no-such-file.sip');
    assert.equal(r.code, 1);
    assert.match(r.err, /ENOENT/);
  });
});
