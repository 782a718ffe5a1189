import { CONTEXT_KEYS, hasErrorCode } from '@keyledger/domain';
import type { RecordedEvent, RootKeyOperationName } from '@keyledger/events';
import {
  DelegatingRootKeyStore,
  type CustomerKeyRef,
  type ImportKeyMaterialInput,
  type IssuedWrappingKey,
  type RootKeyStore,
  type UnwrapKeyInput,
  type WrapKeyInput,
  type WrappingKeyRequest,
} from '@keyledger/root-key-store';
import type { ActivityRecorder } from './activityRecorder';

interface Subject {
  tenant: string | undefined;
  rootKid: string | null;
  kid: string | null;
}

/**
 * Notes a `kms_key_management_success` or `_failure` event for every root key store operation
 * on a tenant's keys. The event carries ids, the store kind, a duration and, on failure, the
 * reason code — never the key, the wrapped key or the store's error message.
 */
export class AuditedRootKeyStore extends DelegatingRootKeyStore {
  constructor(
    inner: RootKeyStore,
    private readonly activity: ActivityRecorder,
    private readonly clock: () => Date = () => new Date(),
  ) {
    super(inner);
  }

  // describeRootKey is metadata only (no key is used), so not a key management operation.

  override wrapKey(input: WrapKeyInput): Promise<{ wrappedKey: Buffer; algorithm: string }> {
    return this.observe('wrap', wrapped(input), () => this.inner.wrapKey(input));
  }

  override unwrapKey(input: UnwrapKeyInput): Promise<Buffer> {
    return this.observe('unwrap', wrapped(input), () => this.inner.unwrapKey(input));
  }

  override async createCustomerKey(input: { tenant: string }): Promise<{ kid: string }> {
    const subject: Subject = { tenant: input.tenant, rootKid: null, kid: null };
    return this.observe('create', subject, async () => {
      const created = await this.inner.createCustomerKey(input);
      subject.rootKid = created.kid;
      return created;
    });
  }

  override createWrappingKey(input: WrappingKeyRequest): Promise<IssuedWrappingKey> {
    return this.observe('create-wrapping-key', customerKey(input), () => this.inner.createWrappingKey(input));
  }

  override importKeyMaterial(input: ImportKeyMaterialInput): Promise<void> {
    return this.observe('import', customerKey(input), () => this.inner.importKeyMaterial(input));
  }

  override revertImport(ref: CustomerKeyRef): Promise<void> {
    return this.observe('revert-import', customerKey(ref), () => this.inner.revertImport(ref));
  }

  override discardWrappingKeys(ref: CustomerKeyRef): Promise<void> {
    return this.observe('delete-wrapping-key', customerKey(ref), () => this.inner.discardWrappingKeys(ref));
  }

  override deleteCustomerKey(ref: CustomerKeyRef): Promise<void> {
    return this.observe('delete', customerKey(ref), () => this.inner.deleteCustomerKey(ref));
  }

  private async observe<T>(operation: RootKeyOperationName, subject: Subject, run: () => Promise<T>): Promise<T> {
    const started = this.clock();
    const common = () => ({
      tenant: subject.tenant ?? '',
      occurred_at: started.toISOString(),
      operation,
      key_store: this.inner.kind,
      root_kid: subject.rootKid,
      kid: subject.kid,
      duration_ms: Math.max(0, this.clock().getTime() - started.getTime()),
      request_id: this.activity.currentRequest()?.requestId ?? null,
    });
    let result: T;
    try {
      result = await run();
    } catch (error) {
      if (subject.tenant) {
        await this.activity.note({ detailType: 'kms_key_management_failure', detail: { ...common(), reason: failureReason(error) } } as RecordedEvent);
      }
      throw error;
    }
    if (subject.tenant) await this.activity.note({ detailType: 'kms_key_management_success', detail: common() } as RecordedEvent);
    return result;
  }
}

function wrapped(input: WrapKeyInput | UnwrapKeyInput): Subject {
  return {
    tenant: input.encryptionContext[CONTEXT_KEYS.tenant],
    rootKid: input.rootKid,
    kid: input.encryptionContext[CONTEXT_KEYS.kid] ?? null,
  };
}

const customerKey = (ref: CustomerKeyRef): Subject => ({ tenant: ref.tenant, rootKid: ref.kid, kid: null });

/** The stable reason code: RootKeyStoreError and KeyImportError carry one; others by error code. */
function failureReason(error: unknown): string {
  const reason = (error as { reason?: unknown })?.reason;
  if (typeof reason === 'string' && /^[a-z0-9_]+$/.test(reason)) return reason;
  if (hasErrorCode(error, 'integrity_error')) return 'integrity_error';
  if (hasErrorCode(error, 'concurrency_conflict')) return 'concurrency_conflict';
  if (hasErrorCode(error, 'validation_error')) return 'invalid_request';
  return 'internal_error';
}
