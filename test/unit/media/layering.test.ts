/**
 * media/ knows nothing of users: it may import node built-ins, its npm dependencies, util/ and
 * itself, never the layers above it (ARCHITECTURE.md).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../../../src/media/', import.meta.url));
const FORBIDDEN = /from '\.\.\/(pbx|mobility|admin|store|config|registrar|cli)\//;

describe('media layering', () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    it(`${file} imports nothing from the layers above`, () => {
      const text = readFileSync(join(dir, file), 'utf8');
      assert.doesNotMatch(text, FORBIDDEN);
    });
  }

  it('the barrel exports the API the call engine uses', async () => {
    const media = await import('../../../src/media/index.js');
    for (const name of [
      'createRtpRelay',
      'anchorSdp',
      'describeSdp',
      'createDtmfDetector',
      'parseDtmfInfo',
      'createDigitCollector',
      'createToneSource',
      'dialTone',
      'confirmationTone',
      'promptTone',
      'goertzelPower',
      'parseRtp',
      'serializeRtp',
    ])
      assert.equal(typeof (media as Record<string, unknown>)[name], 'function', name);
  });
});
