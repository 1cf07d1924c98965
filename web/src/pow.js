// The proof of work of self-registration (docs/API.md, "Self-registration"):
// find a counter such that SHA-256(nonce + ":" + counter) starts with
// `bits` zero bits. Hashes go through crypto.subtle, in batches, yielding
// to the event loop between them so the page stays responsive. Browsers
// offer crypto.subtle only in secure contexts (HTTPS, localhost); a game
// served over plain HTTP on a LAN, offline, gets the same SHA-256 in
// JavaScript instead (sha256 below), which the unit tests check against
// Node's.

const encoder = new TextEncoder();

/** leadingZeroBits counts the zero bits at the start of a digest. */
export function leadingZeroBits(bytes) {
  let n = 0;
  for (const b of bytes) {
    if (b === 0) {
      n += 8;
      continue;
    }
    return n + Math.clz32(b) - 24;
  }
  return n;
}

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const W = new Uint32Array(64);

/** sha256 returns the SHA-256 digest (32 bytes) of a byte array. */
export function sha256(bytes) {
  const n = bytes.length;
  const end = ((n + 9 + 63) >> 6) * 64;
  const buf = new Uint8Array(end);
  buf.set(bytes);
  buf[n] = 0x80;
  const hi = Math.floor(n / 0x20000000);
  const lo = (n * 8) >>> 0;
  buf[end - 8] = hi >>> 24; buf[end - 7] = hi >>> 16; buf[end - 6] = hi >>> 8; buf[end - 5] = hi;
  buf[end - 4] = lo >>> 24; buf[end - 3] = lo >>> 16; buf[end - 2] = lo >>> 8; buf[end - 1] = lo;
  const hs = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  for (let off = 0; off < end; off += 64) {
    for (let i = 0; i < 16; i++) {
      const j = off + i * 4;
      W[i] = (buf[j] << 24) | (buf[j + 1] << 16) | (buf[j + 2] << 8) | buf[j + 3];
    }
    for (let i = 16; i < 64; i++) {
      const x = W[i - 15];
      const y = W[i - 2];
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
    }
    let [a, b, c, d, e, f, g, h] = hs;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    hs[0] += a; hs[1] += b; hs[2] += c; hs[3] += d; hs[4] += e; hs[5] += f; hs[6] += g; hs[7] += h;
  }
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    out[i * 4] = hs[i] >>> 24; out[i * 4 + 1] = hs[i] >>> 16; out[i * 4 + 2] = hs[i] >>> 8; out[i * 4 + 3] = hs[i];
  }
  return out;
}

/** subtleDigest is crypto.subtle's SHA-256, or null where there is none. */
function subtleDigest() {
  const subtle = globalThis.crypto && globalThis.crypto.subtle;
  if (!subtle || typeof subtle.digest !== 'function') return null;
  return async (bytes) => new Uint8Array(await subtle.digest('SHA-256', bytes));
}

const yieldToPage = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * solvePoW finds the first counter that solves a challenge. It reports
 * progress as the share of the expected work done (capped below 1) to
 * onProgress(fraction, tries), between batches, and stops with an
 * AbortError when signal aborts. digest overrides the hash (tests; null
 * is the JavaScript SHA-256).
 */
export async function solvePoW(nonce, bits, { onProgress, signal, batch = 256, digest } = {}) {
  // digest null: the JavaScript SHA-256, as where crypto.subtle is missing.
  const subtle = digest === undefined ? subtleDigest() : digest;
  const expected = 2 ** bits;
  for (let start = 0; ; start += batch) {
    if (signal && signal.aborted) throw new DOMException('proof of work stopped', 'AbortError');
    const inputs = [];
    for (let i = 0; i < batch; i++) inputs.push(encoder.encode(`${nonce}:${start + i}`));
    const hashes = subtle ? await Promise.all(inputs.map(subtle)) : inputs.map(sha256);
    for (let i = 0; i < batch; i++) {
      if (leadingZeroBits(hashes[i]) >= bits) return start + i;
    }
    const tries = start + batch;
    if (onProgress) onProgress(Math.min(0.99, 1 - Math.exp(-tries / expected)), tries);
    // A batch of synchronous hashes holds the page: let it breathe.
    await yieldToPage();
  }
}
