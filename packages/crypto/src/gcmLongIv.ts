import { createCipheriv } from 'node:crypto';

/**
 * node:crypto refuses GCM IVs longer than 128 bytes; SP 800-38D allows up to 2^64-1 bits.
 * For IVs other than 96 bits GCM derives the pre-counter block J0 = GHASH_H(IV ‖ pad ‖ len),
 * so any long IV has an equivalent 16-byte IV X with the same J0:
 *   J0 = ((X·H) ⊕ L128)·H   ⇒   X = ((J0·H⁻¹) ⊕ L128)·H⁻¹.
 * Computing X here lets node:crypto do the actual encryption. keyledger itself only ever
 * uses 96-bit IVs; this exists so the primitive is complete (Wycheproof's long-IV vectors).
 */
export const NODE_MAX_GCM_IV_BYTES = 128;

const R = 0xe1n << 120n;
const MASK128 = (1n << 128n) - 1n;

function toBigInt(block: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(block).toString('hex') || '0'}`);
}

function toBlock(value: bigint): Buffer {
  return Buffer.from(value.toString(16).padStart(32, '0'), 'hex');
}

/** Multiplication in GF(2^128) with GCM's bit order (SP 800-38D, algorithm 1). */
function gfMultiply(x: bigint, y: bigint): bigint {
  let z = 0n;
  let v = y;
  for (let i = 127n; i >= 0n; i -= 1n) {
    if ((x >> i) & 1n) z ^= v;
    v = v & 1n ? (v >> 1n) ^ R : v >> 1n;
  }
  return z & MASK128;
}

/** h^(2^128 - 2) = h⁻¹ for h ≠ 0, by square-and-multiply. */
function gfInverse(h: bigint): bigint {
  let result = 1n << 127n; // the multiplicative identity in GCM's reflected representation
  let base = h;
  let exponent = (1n << 128n) - 2n;
  while (exponent > 0n) {
    if (exponent & 1n) result = gfMultiply(result, base);
    base = gfMultiply(base, base);
    exponent >>= 1n;
  }
  return result;
}

function ghash(h: bigint, data: Uint8Array): bigint {
  let y = 0n;
  for (let offset = 0; offset < data.length; offset += 16) {
    y = gfMultiply(y ^ toBigInt(data.subarray(offset, offset + 16)), h);
  }
  return y;
}

function lengthBlock(bits: bigint): bigint {
  return bits & ((1n << 64n) - 1n);
}

export function equivalentShortIv(key: Uint8Array, iv: Uint8Array): Buffer {
  const ecb = createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
  ecb.setAutoPadding(false);
  const h = toBigInt(Buffer.concat([ecb.update(Buffer.alloc(16)), ecb.final()]));
  const padded = Buffer.alloc(Math.ceil(iv.length / 16) * 16 + 16);
  Buffer.from(iv).copy(padded);
  padded.writeBigUInt64BE(BigInt(iv.length) * 8n, padded.length - 8);
  const j0 = ghash(h, padded);
  const hInverse = gfInverse(h);
  return toBlock(gfMultiply(gfMultiply(j0, hInverse) ^ lengthBlock(128n), hInverse));
}
