import { randomFillSync } from 'node:crypto';

const IV_BYTES = 12;
const POOL_BYTES = IV_BYTES * 341;

/**
 * 96-bit IVs cut from a buffer of CSPRNG output, each handed out once: `randomBytes(12)` per
 * message costs more than AES-GCM of 1 KiB. Each refill allocates a new buffer, so an IV handed
 * out earlier is never overwritten.
 */
export class IvPool {
  private pool = Buffer.alloc(0);
  private offset = 0;

  next(): Buffer {
    if (this.offset + IV_BYTES > this.pool.length) {
      this.pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
      this.offset = 0;
    }
    const iv = this.pool.subarray(this.offset, this.offset + IV_BYTES);
    this.offset += IV_BYTES;
    return iv;
  }
}
