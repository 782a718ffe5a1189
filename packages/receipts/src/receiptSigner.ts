import { ValidationError } from '@keyledger/domain';
import type { RootKeyStore } from '@keyledger/root-key-store';
import { CompactSign, type JWK } from 'jose';
import { destructionReceiptPayloadSchema, RECEIPT_ALG, RECEIPT_TYP, type DestructionReceiptClaims, type DestructionReceiptPayload } from './payload';
import { createReceiptKey, unsealReceiptKey, type UnsealedReceiptKey } from './receiptKeys';
import type { ReceiptKeyRepository, StoredReceiptKey } from './receiptKeyRepository';

/** How long a receipt key signs before a new one replaces it. */
export const DEFAULT_RECEIPT_KEY_ROTATION_MS = 90 * 24 * 60 * 60 * 1000;

export interface ReceiptSignerOptions {
  keys: ReceiptKeyRepository;
  rootKeyStore: RootKeyStore;
  /** The receipts' `iss`: the deployment's base URL, say. */
  issuer: string;
  clock?: () => Date;
  rotationMs?: number;
}

const newestFirst = (a: StoredReceiptKey, b: StoredReceiptKey) => (a.createdAt === b.createdAt ? (a.kid < b.kid ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1);

/**
 * Signs destruction receipts as compact JWS (ES256) with the deployment's newest receipt key,
 * replacing it with a new one once it is `rotationMs` old. The unwrapped signing key is kept
 * in memory, so only the first receipt of a process (and of each new key) calls the root key
 * store. Two processes rotating at once each create a key; both are listed and both verify.
 */
export class ReceiptSigner {
  private readonly clock: () => Date;
  private readonly rotationMs: number;
  private current: UnsealedReceiptKey | undefined;
  private pending: Promise<UnsealedReceiptKey> | undefined;

  constructor(private readonly options: ReceiptSignerOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.rotationMs = options.rotationMs ?? DEFAULT_RECEIPT_KEY_ROTATION_MS;
  }

  /** The receipt for an executed destruction request, as a compact JWS; `jti` is the request id. */
  async sign(claims: DestructionReceiptClaims): Promise<string> {
    const now = this.clock();
    const payload: DestructionReceiptPayload = { iss: this.options.issuer, iat: Math.floor(now.getTime() / 1000), jti: claims.request_id, ...claims };
    const parsed = destructionReceiptPayloadSchema.safeParse(payload);
    if (!parsed.success) throw new ValidationError(`Receipt claims are malformed: ${parsed.error.issues.map((issue) => issue.path.join('.') || issue.message).join(', ')}.`);
    const key = await this.signingKey(now);
    return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: RECEIPT_ALG, kid: key.stored.kid, typ: RECEIPT_TYP })
      .sign(key.privateKey);
  }

  /** Public halves of every receipt key ever created, newest first: old receipts verify after rotation. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const stored = (await this.options.keys.list()).sort(newestFirst);
    return { keys: stored.map(({ kid, publicJwk }) => ({ kty: publicJwk.kty, crv: publicJwk.crv, x: publicJwk.x, y: publicJwk.y, kid, alg: RECEIPT_ALG, use: 'sig' })) };
  }

  /** Creates a new receipt key now and signs with it from here on; returns its kid. */
  async rotate(): Promise<string> {
    const key = await this.createKey(this.clock());
    return key.stored.kid;
  }

  private async signingKey(now: Date): Promise<UnsealedReceiptKey> {
    if (this.current && this.isFresh(this.current.stored, now)) return this.current;
    this.pending ??= this.loadOrCreate(now).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** The newest stored key if it is still fresh (another process may have rotated), else a new one. */
  private async loadOrCreate(now: Date): Promise<UnsealedReceiptKey> {
    const [newest] = (await this.options.keys.list()).sort(newestFirst);
    if (newest && this.isFresh(newest, now)) {
      this.current = this.current?.stored.kid === newest.kid ? this.current : await unsealReceiptKey(this.options.rootKeyStore, newest);
      return this.current;
    }
    return this.createKey(now);
  }

  /** Wrapped and stored before it signs anything: no receipt is signed by a key the JWKS lacks. */
  private async createKey(now: Date): Promise<UnsealedReceiptKey> {
    const key = await createReceiptKey(this.options.rootKeyStore, now);
    await this.options.keys.create(key.stored);
    this.current = key;
    return key;
  }

  private isFresh(key: StoredReceiptKey, now: Date): boolean {
    return now.getTime() - Date.parse(key.createdAt) < this.rotationMs;
  }
}
