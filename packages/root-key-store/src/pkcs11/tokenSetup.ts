import { randomBytes, randomUUID } from 'node:crypto';
import type { OaepHash } from '@keyledger/crypto';
import { RootKeyStoreError } from '@keyledger/domain';
import type * as P from 'pkcs11js';
import type { RootKeyDescription } from '../rootKeyStore';
import { findObjects, loadModule, pkcs11js, pkcs11Reason, unloadModule } from './pkcs11Module';
import { aesKeyTemplate, CKM_RSA_AES_KEY_WRAP, ephemeralKeyTemplate, oaepMechanism, REQUIRED_MECHANISMS } from './templates';

const {
  CKA_CLASS,
  CKA_ENCRYPT,
  CKA_ID,
  CKA_LABEL,
  CKA_MODULUS_BITS,
  CKA_PUBLIC_EXPONENT,
  CKA_SENSITIVE,
  CKA_TOKEN,
  CKA_UNWRAP,
  CKF_RW_SESSION,
  CKF_SERIAL_SESSION,
  CKM_AES_KEY_GEN,
  CKM_RSA_PKCS_KEY_PAIR_GEN,
  CKO_SECRET_KEY,
  CKU_USER,
} = pkcs11js;

export interface Pkcs11RootKeyStoreOptions {
  /** The PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so or CloudHSM's libcloudhsm_pkcs11.so. */
  library: string;
  tokenLabel: string;
  pin: string;
  /** Label of the environment root key in the token; created on first open when absent. */
  rootKeyLabel?: string;
  /**
   * Create the root key when the token has none (default true, for one local process). Lambda
   * passes false: concurrent cold starts would each create one, so there the operator creates it
   * once, before the first request.
   */
  createRootKey?: boolean;
  clock?: () => Date;
}

/** A logged-in session on the token, with what the store learned about it at open. */
export interface OpenToken {
  pkcs11: P.PKCS11;
  slot: Buffer;
  session: Buffer;
  rootKey: { description: RootKeyDescription; handle: Buffer };
  wrappingProfiles: OaepHash[];
  hasRsaAesKeyWrap: boolean;
}

/**
 * Finds the token, checks its mechanisms, logs in, finds (or creates) the ERK and probes the
 * OAEP hashes it unwraps with. Any failure unloads the module again.
 */
export function openToken(options: Pkcs11RootKeyStoreOptions): OpenToken {
  const pkcs11 = loadModule(options.library);
  try {
    const slot = pkcs11
      .C_GetSlotList(true)
      .find((candidate) => pkcs11.C_GetTokenInfo(candidate).label.trim() === options.tokenLabel);
    if (!slot) {
      throw new RootKeyStoreError('token_not_found', `No PKCS#11 token labelled '${options.tokenLabel}' in ${options.library}.`);
    }
    const mechanisms = pkcs11.C_GetMechanismList(slot);
    const missing = Object.entries(REQUIRED_MECHANISMS).filter(([, mechanism]) => !mechanisms.includes(mechanism));
    if (missing.length > 0) {
      throw new RootKeyStoreError('unsupported_token', `Token '${options.tokenLabel}' lacks ${missing.map(([name]) => name).join(', ')}.`);
    }
    const session = pkcs11.C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION);
    try {
      pkcs11.C_Login(session, CKU_USER, options.pin);
    } catch (error) {
      if (pkcs11Reason(error) !== 'CKR_USER_ALREADY_LOGGED_IN') {
        throw new RootKeyStoreError('hsm_login_failed', `Cannot log in to token '${options.tokenLabel}': ${pkcs11Reason(error)}.`);
      }
    }
    const rootKey = ensureRootKey(pkcs11, session, options.rootKeyLabel ?? 'keyledger-erk', options.clock?.() ?? new Date(), options.createRootKey ?? true);
    const wrappingProfiles = (['sha256', 'sha1'] as const).filter((hash) => probeOaep(pkcs11, session, hash));
    return { pkcs11, slot, session, rootKey, wrappingProfiles, hasRsaAesKeyWrap: mechanisms.includes(CKM_RSA_AES_KEY_WRAP) };
  } catch (error) {
    unloadModule(options.library);
    if (error instanceof RootKeyStoreError) throw error;
    throw new RootKeyStoreError('hsm_error', `Cannot open PKCS#11 token '${options.tokenLabel}': ${pkcs11Reason(error)}.`);
  }
}

/**
 * The ERK is a token AES-256 key with the configured label, created on first start when
 * absent. Its CKA_ID holds its kid and creation time (PKCS#11 keys keep no timestamps).
 */
function ensureRootKey(
  pkcs11: P.PKCS11,
  session: Buffer,
  rootKeyLabel: string,
  now: Date,
  create: boolean,
): { description: RootKeyDescription; handle: Buffer } {
  const found = findObjects(pkcs11, session, [
    { type: CKA_CLASS, value: CKO_SECRET_KEY },
    { type: CKA_LABEL, value: rootKeyLabel },
  ]);
  if (found.length > 1) throw new RootKeyStoreError('ambiguous_root_key', `Token holds ${found.length} keys labelled '${rootKeyLabel}'.`);
  let handle = found[0];
  if (!handle && !create) {
    throw new RootKeyStoreError(
      'root_key_not_found',
      `Token holds no key labelled '${rootKeyLabel}'; create the environment root key once (README, "Deploy to AWS") before the first request.`,
    );
  }
  if (!handle) {
    const id = Buffer.from(JSON.stringify({ kid: `erk-${randomUUID()}`, created_at: now.toISOString() }));
    handle = pkcs11.C_GenerateKey(session, { mechanism: CKM_AES_KEY_GEN }, aesKeyTemplate(rootKeyLabel, id, 32));
  }
  const id = pkcs11.C_GetAttributeValue(session, handle, [{ type: CKA_ID }])[0]?.value?.toString() ?? '';
  let parsed: { kid?: unknown; created_at?: unknown } = {};
  try {
    parsed = JSON.parse(id) as typeof parsed;
  } catch {
    // reported below
  }
  if (typeof parsed.kid !== 'string' || !/^erk-[0-9a-f-]{36}$/.test(parsed.kid) || typeof parsed.created_at !== 'string') {
    throw new RootKeyStoreError('invalid_root_key', `Key '${rootKeyLabel}' in the token was not created by keyledger (its CKA_ID holds no keyledger id).`);
  }
  return { description: { kid: parsed.kid, createdAt: parsed.created_at }, handle };
}

/** Does the token unwrap with RSA-OAEP and this hash? Tried on throw-away session keys. */
function probeOaep(pkcs11: P.PKCS11, session: Buffer, hash: OaepHash): boolean {
  const keys = pkcs11.C_GenerateKeyPair(
    session,
    { mechanism: CKM_RSA_PKCS_KEY_PAIR_GEN },
    [
      { type: CKA_TOKEN, value: false },
      { type: CKA_ENCRYPT, value: true },
      { type: CKA_MODULUS_BITS, value: 1024 },
      { type: CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
    ],
    [
      { type: CKA_TOKEN, value: false },
      { type: CKA_UNWRAP, value: true },
      { type: CKA_SENSITIVE, value: true },
    ],
  );
  try {
    const secret = randomBytes(32);
    pkcs11.C_EncryptInit(session, oaepMechanism(hash), keys.publicKey);
    const encrypted = pkcs11.C_Encrypt(session, secret, Buffer.alloc(256));
    const unwrapped = pkcs11.C_UnwrapKey(session, oaepMechanism(hash), keys.privateKey, encrypted, ephemeralKeyTemplate());
    pkcs11.C_DestroyObject(session, unwrapped);
    return true;
  } catch {
    return false;
  } finally {
    pkcs11.C_DestroyObject(session, keys.publicKey);
    pkcs11.C_DestroyObject(session, keys.privateKey);
  }
}
