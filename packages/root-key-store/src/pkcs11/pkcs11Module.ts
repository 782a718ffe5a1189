import { RootKeyStoreError } from '@keyledger/domain';
import * as pkcs11Namespace from 'pkcs11js';
import type * as P from 'pkcs11js';

/**
 * pkcs11js is CommonJS with exports Node's ESM loader cannot detect: from an ES module bundle its
 * namespace holds only `default`. That is module.exports in both module systems.
 */
export const pkcs11js: typeof pkcs11Namespace = (pkcs11Namespace as unknown as { default?: typeof pkcs11Namespace }).default ?? pkcs11Namespace;

/** Modules loaded by this process: C_Initialize and C_Finalize are per process, not per store. */
const modules = new Map<string, { module: P.PKCS11; users: number }>();

export function loadModule(library: string): P.PKCS11 {
  const loaded = modules.get(library);
  if (loaded) {
    loaded.users += 1;
    return loaded.module;
  }
  const module = new pkcs11js.PKCS11();
  try {
    module.load(library);
    module.C_Initialize();
  } catch (error) {
    throw new RootKeyStoreError('hsm_unavailable', `Cannot load the PKCS#11 module ${library}: ${pkcs11Reason(error)}.`);
  }
  modules.set(library, { module, users: 1 });
  return module;
}

export function unloadModule(library: string): void {
  const loaded = modules.get(library);
  if (!loaded || (loaded.users -= 1) > 0) return;
  modules.delete(library);
  loaded.module.C_Finalize();
  loaded.module.close();
}

/** The CKR_ name of a PKCS#11 failure; never more (messages may echo inputs). */
export function pkcs11Reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return /CKR_[A-Z_]+/.exec(message)?.[0] ?? (error as Error)?.name ?? 'error';
}

export const label = (handle: P.PKCS11, session: Buffer, object: Buffer) =>
  handle.C_GetAttributeValue(session, object, [{ type: pkcs11js.CKA_LABEL }])[0]?.value?.toString() ?? '';

export function findObjects(pkcs11: P.PKCS11, session: Buffer, template: P.Template): Buffer[] {
  pkcs11.C_FindObjectsInit(session, template);
  try {
    const found: Buffer[] = [];
    for (let batch = pkcs11.C_FindObjects(session, 64); batch.length > 0; batch = pkcs11.C_FindObjects(session, 64)) found.push(...batch);
    return found;
  } finally {
    pkcs11.C_FindObjectsFinal(session);
  }
}

/** A CK_ULONG attribute value (4 or 8 bytes, little-endian on the platforms we run on). */
export function ulong(value: Buffer | undefined): number {
  if (!value || value.length === 0) return 0;
  return value.length >= 8 ? Number(value.readBigUInt64LE(0)) : value.readUIntLE(0, value.length);
}
