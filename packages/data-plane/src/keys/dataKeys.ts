import { AES_256_KEY_BYTES, encodeEncryptionContext, generateAes256Key, open, seal, zeroize, type EncryptionContext } from '@keyledger/crypto';
import { CONTEXT_KEYS as C } from '@keyledger/domain';
import { dataKeyAad, EMPTY_CONTEXT_BYTES, encodeHeader, type DataKeyBinding } from '../envelope/envelope';
import { UndecryptableError } from '../errors';

/** A fresh data key, wrapped by the namespace key, and the envelope header that carries it. */
export function newDataKey(namespaceKey: Buffer, binding: DataKeyBinding) {
  const dataKey = generateAes256Key();
  const wrappedDataKey = seal(namespaceKey, dataKey, dataKeyAad(binding));
  return { dataKey, wrappedDataKey, header: encodeHeader(binding.kid, wrappedDataKey) };
}

/** The data key of an envelope; any failure is the one UndecryptableError (no oracle). */
export function unwrapDataKey(namespaceKey: Buffer, wrapped: Buffer, binding: DataKeyBinding): Buffer {
  let dataKey: Buffer;
  try {
    dataKey = open(namespaceKey, wrapped, dataKeyAad(binding));
  } catch {
    throw new UndecryptableError();
  }
  if (dataKey.length !== AES_256_KEY_BYTES) {
    zeroize(dataKey);
    throw new UndecryptableError();
  }
  return dataKey;
}

/** The same data key under another namespace key: a new format-2 header for it. */
export function rewrapDataKey(dataKey: Buffer, namespaceKey: Buffer, binding: DataKeyBinding): Buffer {
  return encodeHeader(binding.kid, seal(namespaceKey, dataKey, dataKeyAad(binding)));
}

export function contextBytes(context: EncryptionContext | undefined): Buffer {
  if (!context) return EMPTY_CONTEXT_BYTES;
  for (const _key in context) return encodeEncryptionContext(context);
  return EMPTY_CONTEXT_BYTES;
}

export function bindingBytes(tenant: string, namespace: string, extra?: EncryptionContext): Buffer {
  return encodeEncryptionContext({ ...extra, [C.tenant]: tenant, [C.namespace]: namespace });
}
