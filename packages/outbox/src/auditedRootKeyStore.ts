import { CONTEXT_KEYS, hasErrorCode, RootKeyStoreError } from '@keyledger/domain';
import type { RecordedEvent, RootKeyOperationName } from '@keyledger/events';
import type { RootKeyDescription, RootKeyStore, UnwrapKeyInput, WrapKeyInput } from '@keyledger/root-key-store';
import type { ActivityRecorder } from './activityRecorder';

/**
 * Notes a `kms_key_management_success` or `_failure` event for every root key store operation
 * on a tenant's keys. The event carries ids, the store kind, a duration and, on failure, the
 * reason code — never the key, the wrapped key or the store's error message.
 */
export class AuditedRootKeyStore implements RootKeyStore {
  readonly kind: string;
  readonly developmentOnly: boolean;

  constructor(
    private readonly inner: RootKeyStore,
    private readonly activity: ActivityRecorder,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.kind = inner.kind;
    this.developmentOnly = inner.developmentOnly;
  }

  /** Metadata only (no key is used), so not a key management operation. */
  describeRootKey(): Promise<RootKeyDescription> {
    return this.inner.describeRootKey();
  }

  wrapKey(input: WrapKeyInput): Promise<{ wrappedKey: Buffer; algorithm: string }> {
    return this.observe('wrap', input, () => this.inner.wrapKey(input));
  }

  unwrapKey(input: UnwrapKeyInput): Promise<Buffer> {
    return this.observe('unwrap', input, () => this.inner.unwrapKey(input));
  }

  private async observe<T>(
    operation: RootKeyOperationName,
    input: WrapKeyInput | UnwrapKeyInput,
    run: () => Promise<T>,
  ): Promise<T> {
    const started = this.clock();
    const tenant = input.encryptionContext[CONTEXT_KEYS.tenant];
    const common = () => ({
      tenant: tenant ?? '',
      occurred_at: started.toISOString(),
      operation,
      key_store: this.inner.kind,
      root_kid: input.rootKid,
      kid: input.encryptionContext[CONTEXT_KEYS.kid] ?? null,
      duration_ms: Math.max(0, this.clock().getTime() - started.getTime()),
      request_id: this.activity.currentRequest()?.requestId ?? null,
    });
    let result: T;
    try {
      result = await run();
    } catch (error) {
      if (tenant) {
        const reason = error instanceof RootKeyStoreError ? error.reason : hasErrorCode(error, 'integrity_error') ? 'integrity_error' : 'internal_error';
        await this.activity.note({ detailType: 'kms_key_management_failure', detail: { ...common(), reason } } as RecordedEvent);
      }
      throw error;
    }
    if (tenant) await this.activity.note({ detailType: 'kms_key_management_success', detail: common() } as RecordedEvent);
    return result;
  }
}
