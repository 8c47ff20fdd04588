/**
 * Fast non-cryptographic hashes of strings, for the places that need many of them per second
 * and no secrecy: the repeat index of a read and the ledger's check that a line still holds the
 * same token. No hash is reversible into a token (they keep at most 64 bits of a 64- to
 * 200-character token), and none is used where a digest is expected: that stays SHA-256.
 */

/**
 * Two unsigned 32-bit hashes of a string, together a 64-bit hash: two lanes over the same
 * characters, each a different multiply-xor walk, each finished with an avalanche step
 * (shift-xor-multiply, constants with good bit diffusion) so that one changed character flips
 * about half of the output bits. Our own construction.
 */
export function hashParts(value: string): [number, number] {
  let a = 0x811c9dc5 ^ value.length;
  let b = 0x6a09e667;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b + code, 0x9e3779b1);
    b = (b << 13) | (b >>> 19);
  }
  return [avalanche(a ^ Math.imul(b, 0x27d4eb2f)), avalanche(b ^ 0x5bd1e995)];
}

function avalanche(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A 52-bit hash as a plain number (exact in a double), for comparing values that already share
 * a 64-bit key or a line: a mismatch is certain, a match wrong with a chance of 1 in 2^52.
 */
export function hash52(value: string): number {
  const [hi, lo] = hashParts(value);
  return hi * 0x100000 + (lo >>> 12);
}
