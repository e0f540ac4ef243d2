import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  alawToLinear,
  decodeG711,
  encodeG711,
  linearToAlaw,
  linearToUlaw,
  ulawToLinear,
} from '../../../src/media/g711.js';

describe('G.711 µ-law', () => {
  it('encodes silence as 0xFF', () => assert.equal(linearToUlaw(0), 0xff));
  it('encodes full-scale positive as 0x80 and negative as 0x00', () => {
    assert.equal(linearToUlaw(32767), 0x80);
    assert.equal(linearToUlaw(-32768), 0x00);
  });
  it('decodes the known code words', () => {
    assert.equal(ulawToLinear(0xff), 0);
    assert.equal(ulawToLinear(0x7f), 0);
    assert.equal(ulawToLinear(0x80), 32124);
    assert.equal(ulawToLinear(0x00), -32124);
    assert.equal(ulawToLinear(0xfe), 8);
  });
  it('re-encodes every decoded code word to itself (except negative zero)', () => {
    for (let c = 0; c < 256; c++) {
      if (c === 0x7f) continue;
      assert.equal(linearToUlaw(ulawToLinear(c)), c, `code ${c}`);
    }
  });
  it('keeps the round-trip error within the segment step', () => {
    for (let s = -32000; s <= 32000; s += 37) {
      const back = ulawToLinear(linearToUlaw(s));
      assert.ok(Math.abs(back - s) <= Math.max(8, Math.abs(s) / 16), `${s} → ${back}`);
    }
  });
  it('is monotonic', () => {
    let last = -Infinity;
    for (let s = -32768; s <= 32767; s += 11) {
      const v = ulawToLinear(linearToUlaw(s));
      assert.ok(v >= last);
      last = v;
    }
  });
});

describe('G.711 A-law', () => {
  it('encodes silence as 0xD5', () => assert.equal(linearToAlaw(0), 0xd5));
  it('encodes full-scale positive as 0xAA and negative as 0x2A', () => {
    assert.equal(linearToAlaw(32767), 0xaa);
    assert.equal(linearToAlaw(-32768), 0x2a);
  });
  it('decodes the known code words', () => {
    assert.equal(alawToLinear(0xd5), 8);
    assert.equal(alawToLinear(0x55), -8);
    assert.equal(alawToLinear(0xaa), 32256);
    assert.equal(alawToLinear(0x2a), -32256);
  });
  it('re-encodes every decoded code word to itself', () => {
    for (let c = 0; c < 256; c++) assert.equal(linearToAlaw(alawToLinear(c)), c, `code ${c}`);
  });
  it('keeps the round-trip error within the segment step', () => {
    for (let s = -32000; s <= 32000; s += 37) {
      const back = alawToLinear(linearToAlaw(s));
      assert.ok(Math.abs(back - s) <= Math.max(16, Math.abs(s) / 16), `${s} → ${back}`);
    }
  });
});

describe('buffer encode/decode', () => {
  it('round-trips a block for both laws', () => {
    const pcm = Int16Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin(i / 5)));
    for (const codec of ['PCMU', 'PCMA'] as const) {
      const back = decodeG711(codec, encodeG711(codec, pcm));
      assert.equal(back.length, 160);
      for (let i = 0; i < 160; i++) assert.ok(Math.abs(back[i]! - pcm[i]!) <= 300);
    }
  });
});
