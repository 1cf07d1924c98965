import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { sha256, leadingZeroBits, solvePoW } from '../../src/pow.js';

const hex = (b) => Buffer.from(b).toString('hex');

test('sha256 agrees with Node for every length around the block edges', () => {
  for (let n = 0; n < 300; n++) {
    const input = Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff));
    assert.equal(hex(sha256(input)), createHash('sha256').update(input).digest('hex'), `length ${n}`);
  }
});

test('leadingZeroBits', () => {
  assert.equal(leadingZeroBits(new Uint8Array([0x80])), 0);
  assert.equal(leadingZeroBits(new Uint8Array([0x01])), 7);
  assert.equal(leadingZeroBits(new Uint8Array([0, 0, 0x10])), 19);
  assert.equal(leadingZeroBits(new Uint8Array(32)), 256);
});

test('solvePoW finds the first counter, with crypto.subtle and without', async () => {
  const nonce = 'v1.10.1700000600000.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA';
  let want = 0;
  while (leadingZeroBits(createHash('sha256').update(`${nonce}:${want}`).digest()) < 10) want++;
  const progress = [];
  assert.equal(await solvePoW(nonce, 10, { onProgress: (f) => progress.push(f) }), want);
  assert.equal(await solvePoW(nonce, 10, { digest: null, batch: 64 }), want);
  const plain = await solvePoW(nonce, 10, { digest: async (b) => sha256(b), batch: 100 });
  assert.equal(plain, want);
  assert.ok(progress.every((f, i) => f > 0 && f < 1 && (i === 0 || f >= progress[i - 1])), 'progress grows below 1');
  const ctl = new AbortController();
  ctl.abort();
  await assert.rejects(solvePoW(nonce, 30, { signal: ctl.signal }), { name: 'AbortError' });
});
