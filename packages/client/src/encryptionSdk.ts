/**
 * @keyledger/client/encryption-sdk: keyledger as the key provider of the AWS Encryption SDK for
 * JavaScript (`@aws-crypto/client-node`, an optional peer dependency). Messages stay in the
 * Encryption SDK's format; each data key is made and unwrapped by keyledger, so the SDK's
 * `NodeCachingMaterialsManager` bounds the keyledger calls as it bounds KMS calls.
 */
import {
  EncryptedDataKey,
  KeyringNode,
  KeyringTraceFlag,
  needs,
  unwrapDataKey,
  type NodeDecryptionMaterial,
  type NodeEncryptionMaterial,
} from '@aws-crypto/client-node';
import type { KeyledgerClient } from './client';

/** The providerId of every encrypted data key this keyring writes; its providerInfo is the namespace. */
export const KEYLEDGER_PROVIDER_ID = 'keyledger';

/** What the keyring needs of a client: data-keys, and the service-side encrypt and decrypt. */
export type KeyringClient = Pick<KeyledgerClient, 'generateDataKey' | 'serverEncrypt' | 'serverDecrypt'>;

/** Options of a KeyledgerKeyring. */
export interface KeyledgerKeyringOptions {
  /** A KeyledgerClient whose token has `create:data_keys` (encrypt), `decrypt`, and `encrypt` (as a child of a multi-keyring). */
  client: KeyringClient;
  /** The keyledger namespace whose keys wrap the data keys. */
  namespace: string;
}

const GENERATED = KeyringTraceFlag.WRAPPING_KEY_GENERATED_DATA_KEY;
const ENCRYPTED = KeyringTraceFlag.WRAPPING_KEY_ENCRYPTED_DATA_KEY | KeyringTraceFlag.WRAPPING_KEY_SIGNED_ENC_CTX;
const DECRYPTED = KeyringTraceFlag.WRAPPING_KEY_DECRYPTED_DATA_KEY | KeyringTraceFlag.WRAPPING_KEY_VERIFIED_ENC_CTX;

/**
 * An Encryption SDK keyring backed by keyledger. On encrypt it asks data-keys for a 256-bit data
 * key bound to the message's encryption context (or, when an earlier keyring made the data key,
 * has keyledger encrypt it) and stores the wrapped key as the EDK (providerId `keyledger`,
 * providerInfo the namespace). On decrypt it has keyledger decrypt its EDK with the message's
 * context. Algorithm suites with 256-bit data keys only (the SDK's defaults).
 */
export class KeyledgerKeyring extends KeyringNode {
  readonly namespace: string;
  private readonly client: KeyringClient;

  constructor({ client, namespace }: KeyledgerKeyringOptions) {
    super();
    needs(typeof namespace === 'string' && namespace.length > 0, 'KeyledgerKeyring needs a namespace.');
    this.client = client;
    this.namespace = namespace;
  }

  async _onEncrypt(material: NodeEncryptionMaterial): Promise<NodeEncryptionMaterial> {
    needs(material.suite.keyLengthBytes === 32, 'keyledger data keys are 256 bits: use an algorithm suite with a 256-bit data key.');
    const encryptionContext = { ...material.encryptionContext };
    if (!material.hasUnencryptedDataKey) {
      const answer = await this.client.generateDataKey(this.namespace, { encryption_context: encryptionContext });
      const trace = { keyNamespace: KEYLEDGER_PROVIDER_ID, keyName: this.namespace, flags: GENERATED | ENCRYPTED };
      material.setUnencryptedDataKey(new Uint8Array(Buffer.from(answer.plaintext_key, 'base64')), trace);
      return material.addEncryptedDataKey(this.edk(answer.ciphertext_key), ENCRYPTED);
    }
    const dataKey = unwrapDataKey(material.getUnencryptedDataKey());
    const answer = (await this.client.serverEncrypt(this.namespace, {
      plaintext: Buffer.from(dataKey).toString('base64'),
      encryption_context: encryptionContext,
    })) as { ciphertext: string };
    return material.addEncryptedDataKey(this.edk(answer.ciphertext), ENCRYPTED);
  }

  async _onDecrypt(material: NodeDecryptionMaterial, encryptedDataKeys: EncryptedDataKey[]): Promise<NodeDecryptionMaterial> {
    const ours = encryptedDataKeys.filter((edk) => edk.providerId === KEYLEDGER_PROVIDER_ID && edk.providerInfo === this.namespace);
    const errors: unknown[] = [];
    for (const edk of ours) {
      try {
        const answer = (await this.client.serverDecrypt(this.namespace, {
          ciphertext: Buffer.from(edk.encryptedDataKey).toString('base64'),
          encryption_context: { ...material.encryptionContext },
        })) as { plaintext: string };
        const trace = { keyNamespace: KEYLEDGER_PROVIDER_ID, keyName: this.namespace, flags: DECRYPTED };
        return material.setUnencryptedDataKey(new Uint8Array(Buffer.from(answer.plaintext, 'base64')), trace);
      } catch (error) {
        // Another EDK (or another keyring of a multi-keyring) may still open the message.
        errors.push(error);
      }
    }
    if (errors.length > 0) {
      throw new Error(`keyledger could not decrypt the data key: ${errors.map((error) => (error as Error).message).join('; ')}`, { cause: errors[0] });
    }
    return material;
  }

  private edk(ciphertextBase64: string): EncryptedDataKey {
    return new EncryptedDataKey({ providerId: KEYLEDGER_PROVIDER_ID, providerInfo: this.namespace, encryptedDataKey: new Uint8Array(Buffer.from(ciphertextBase64, 'base64')) });
  }
}
