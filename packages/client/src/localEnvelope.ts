import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { EncryptionContext } from './apiTypes';
import { encodeEncryptionContext } from './context';
import { encodeClientHeader, IV_BYTES, parseClientEnvelope, TAG_BYTES } from './envelope';
import { KeyledgerEnvelopeError } from './errors';
import { KeyCache, type CachedKey } from './keyCache';
import { resolveDataKeyLimits, type DataKeyLimits } from './limits';
import { IvPool } from './randomIv';

/** The two keyledger calls local envelope encryption needs. */
export interface DataKeySource {
  /** POST /v1/namespaces/{ns}/data-keys: a fresh data key, in the clear and wrapped (base64). */
  generateDataKey(namespace: string, context: EncryptionContext): Promise<{ plaintext_key: string; ciphertext_key: string; kid: string }>;
  /** POST /v1/namespaces/{ns}/decrypt of a wrapped data key: its plaintext (base64). */
  unwrapDataKey(namespace: string, ciphertextKey: string, context: EncryptionContext): Promise<string>;
}

interface DecryptionKey extends CachedKey {
  /** The envelope's AAD: header | canonical encryption context (the same for every message under this key and context). */
  readonly aad: Buffer;
}

interface EncryptionKey extends DecryptionKey {
  readonly header: Buffer;
  readonly kid: string;
  messages: number;
  bytes: number;
}

/** What the local envelope cache holds and has done. */
export interface EnvelopeStats {
  /** data-keys calls made. */
  dataKeysGenerated: number;
  /** decrypt calls made to unwrap a data key. */
  dataKeysUnwrapped: number;
  /** Data keys cached for encryption, and for decryption. */
  encryptionKeysCached: number;
  decryptionKeysCached: number;
}

const AES = 'aes-256-gcm';

/**
 * Envelope encryption in the client: AES-256-GCM under a data key from keyledger, fetched once per
 * (namespace, encryption context) and reused within the data key bounds (`DataKeyLimits`);
 * decryption unwraps each data key through keyledger once and caches it.
 */
export class LocalEnvelopeCrypto {
  readonly limits: DataKeyLimits;
  private readonly encryptionKeys: KeyCache<EncryptionKey>;
  private readonly decryptionKeys: KeyCache<DecryptionKey>;
  private readonly ivs = new IvPool();
  private generated = 0;
  private unwrapped = 0;

  constructor(
    private readonly source: DataKeySource,
    limits: Partial<DataKeyLimits> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.limits = resolveDataKeyLimits(limits);
    this.encryptionKeys = new KeyCache(this.limits.maxEncryptionKeys, now);
    this.decryptionKeys = new KeyCache(this.limits.maxDecryptionKeys, now);
  }

  async encrypt(namespace: string, plaintext: Uint8Array, context: EncryptionContext = {}): Promise<Uint8Array> {
    if (plaintext.length > this.limits.maxBytes) throw new RangeError(`A message is at most maxBytes (${this.limits.maxBytes}) bytes.`);
    // The cache id names the context by its sorted entries; the canonical bytes are made (and checked) once per data key.
    const id = `${namespace}\u0000${contextId(context)}`;
    for (;;) {
      const entry = await this.encryptionKeys.getOrLoad(id, () => this.fetchDataKey(namespace, context));
      // From here to the cipher nothing awaits, so no other call can use or retire this key in between.
      // A key not used yet serves the call that waited for it, however short maxAgeMs is.
      const expired = entry.messages > 0 && entry.expiresAt <= this.now();
      if (entry.retired || expired || entry.messages >= this.limits.maxMessages || entry.bytes + plaintext.length > this.limits.maxBytes) {
        this.encryptionKeys.delete(id, entry);
        continue;
      }
      entry.messages += 1;
      entry.bytes += plaintext.length;
      const { header } = entry;
      const iv = this.ivs.next();
      const cipher = createCipheriv(AES, entry.key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(entry.aad);
      const out = Buffer.allocUnsafe(header.length + IV_BYTES + plaintext.length + TAG_BYTES);
      header.copy(out, 0);
      iv.copy(out, header.length);
      const body = cipher.update(plaintext);
      body.copy(out, header.length + IV_BYTES);
      const final = cipher.final();
      final.copy(out, header.length + IV_BYTES + body.length);
      cipher.getAuthTag().copy(out, out.length - TAG_BYTES);
      return out;
    }
  }

  async decrypt(namespace: string, ciphertext: Uint8Array, context: EncryptionContext = {}): Promise<Uint8Array> {
    const envelope = parseClientEnvelope(ciphertext);
    const wrapped = envelope.wrappedDataKey.toString('base64');
    const id = decryptionId(namespace, wrapped, contextId(context));
    for (;;) {
      const entry = await this.decryptionKeys.getOrLoad(id, () => this.unwrap(namespace, wrapped, envelope.header, context));
      if (entry.retired) continue;
      const decipher = createDecipheriv(AES, entry.key, envelope.iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(entry.aad);
      decipher.setAuthTag(envelope.tag);
      try {
        return Buffer.concat([decipher.update(envelope.ciphertext), decipher.final()]);
      } catch (error) {
        throw new KeyledgerEnvelopeError('The client envelope does not open with this namespace and encryption context.', { cause: error });
      }
    }
  }

  stats(): EnvelopeStats {
    return {
      dataKeysGenerated: this.generated,
      dataKeysUnwrapped: this.unwrapped,
      encryptionKeysCached: this.encryptionKeys.size,
      decryptionKeysCached: this.decryptionKeys.size,
    };
  }

  /** Zeroes and forgets every cached data key (the next encrypt and decrypt ask keyledger again). */
  clear(): void {
    this.encryptionKeys.clear();
    this.decryptionKeys.clear();
  }

  private async fetchDataKey(namespace: string, context: EncryptionContext): Promise<EncryptionKey> {
    const encodedContext = encodeEncryptionContext(context);
    this.generated += 1;
    const answer = await this.source.generateDataKey(namespace, context);
    const key = dataKeyBytes(answer.plaintext_key);
    const header = encodeClientHeader(Buffer.from(answer.ciphertext_key, 'base64'));
    const aad = Buffer.concat([header, encodedContext]);
    // Not put in the decryption cache: decryption always goes through keyledger once (the decrypt scope, the key's state).
    return { key, header, aad, kid: answer.kid, messages: 0, bytes: 0, expiresAt: this.now() + this.limits.maxAgeMs };
  }

  private async unwrap(namespace: string, wrapped: string, header: Buffer, context: EncryptionContext): Promise<DecryptionKey> {
    const aad = Buffer.concat([header, encodeEncryptionContext(context)]);
    this.unwrapped += 1;
    const key = dataKeyBytes(await this.source.unwrapDataKey(namespace, wrapped, context));
    return { key, aad, expiresAt: this.now() + this.limits.maxAgeMs };
  }
}

/**
 * A context's name in the cache ids: its entries sorted by key, as JSON (one string per distinct
 * context; a non-string value is refused when the context is first encoded).
 */
function contextId(context: EncryptionContext): string {
  const keys = Object.keys(context);
  if (keys.length > 1) keys.sort();
  let id = '';
  for (const key of keys) id += `${JSON.stringify(key)}:${JSON.stringify(context[key])},`;
  return id;
}

const decryptionId = (namespace: string, wrappedBase64: string, context: string) => `${namespace}\u0000${wrappedBase64}\u0000${context}`;

function dataKeyBytes(base64: string): Buffer {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) {
    key.fill(0);
    throw new KeyledgerEnvelopeError('keyledger answered a data key that is not 256 bits.');
  }
  return key;
}
