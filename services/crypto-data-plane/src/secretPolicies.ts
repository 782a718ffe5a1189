import type { ActivityRecorder } from '@keyledger/activity';
import {
  checkSecretRead,
  SecretReadCounter,
  type AccessRule,
  type DynamoDbSecretControls,
  type SecretAccessSummary,
  type SecretAuditMode,
  type SecretReader,
  type SecretRef,
  type SecretsService,
} from '@keyledger/data-plane';
import { zeroize, type EncryptionContext } from '@keyledger/crypto';
import type { HttpEvent } from '@keyledger/http';
import { BoundedCache, readsOnly, ReadOnlyRegionError, type Logger, type RegionRule } from '@keyledger/domain';
import type { RecordedEvent } from '@keyledger/events';

const scopeId = (scope: Omit<SecretRef, 'name'>) => `${scope.tenant}/${scope.namespace}`;

function accessedEvent(read: SecretAccessSummary): RecordedEvent {
  return {
    detailType: 'secret_accessed',
    detail: {
      tenant: read.tenant,
      occurred_at: read.lastReadAt,
      namespace: read.namespace,
      name: read.name,
      version: read.version,
      client_id: read.clientId,
      subject: read.subject,
      reads: read.reads,
      first_read_at: read.firstReadAt,
      last_read_at: read.lastReadAt,
      audit: read.audit,
    },
  };
}

/**
 * What guards and records secret reads, for one process:
 * - access rules per namespace and audit modes per secret, read from the Secrets table and kept
 *   for `cacheTtlMs` (a change made in this process applies at once; in other processes, as in
 *   other Lambda instances, within that time);
 * - the read counter, whose summaries become `secret_accessed` events.
 */
export function createSecretPolicies(options: {
  controls: DynamoDbSecretControls;
  activity: ActivityRecorder;
  /**
   * Multi-Region: outside the write Region nothing can be recorded (activity is commits), so reads
   * are not counted there, and a secret audited every_read is not answered (503, naming the
   * write Region): it must not be read unrecorded.
   */
  regions?: RegionRule;
  flushIntervalMs: number;
  cacheTtlMs: number;
  clock?: () => Date;
  logger?: Logger;
}) {
  const { controls, activity } = options;
  const now = () => (options.clock?.() ?? new Date()).getTime();
  const rules = new BoundedCache<AccessRule[]>({ maxEntries: 10_000, ttlMs: options.cacheTtlMs, now });
  const audits = new BoundedCache<SecretAuditMode>({ maxEntries: 100_000, ttlMs: options.cacheTtlMs, now });
  const counter = new SecretReadCounter({
    controls,
    flushIntervalMs: options.flushIntervalMs,
    clock: options.clock,
    logger: options.logger,
    // One commit per call (the counter passes at most 100 summaries at a time).
    summarize: (summaries) => activity.record(summaries.map(accessedEvent), { strict: true }),
  });
  const rulesOf = async (scope: Omit<SecretRef, 'name'>) => {
    const cached = rules.get(scopeId(scope));
    if (cached) return cached;
    const found = (await controls.accessRules(scope)).rules;
    rules.set(scopeId(scope), found);
    return found;
  };
  const auditOf = async (ref: SecretRef) => {
    const id = `${scopeId(ref)}/${ref.name}`;
    const cached = audits.get(id);
    if (cached) return cached;
    const found = (await controls.settings(ref)).audit;
    audits.set(id, found);
    return found;
  };

  return {
    counter,
    /** Throws SecretAccessDeniedError (403) when the first rule matching the secret leaves the reader out. */
    async beforeRead(ref: SecretRef, reader: SecretReader): Promise<void> {
      checkSecretRead(await rulesOf(ref), ref.namespace, ref.name, reader);
    },
    /** Counts the read; with every_read, resolves once it is recorded. */
    async afterRead(ref: SecretRef, version: number, reader: SecretReader): Promise<void> {
      const audit = await auditOf(ref);
      if (readsOnly(options.regions)) {
        if (audit === 'every_read') throw new ReadOnlyRegionError(options.regions!.region, options.regions!.writeRegion);
        return;
      }
      await counter.note(ref, version, reader, audit);
    },
    /** After this process changed them: its next reads use the new rules and modes. */
    forgetRules(scope: Omit<SecretRef, 'name'>): void {
      rules.delete(scopeId(scope));
    },
    forgetAudit(ref: SecretRef): void {
      audits.delete(`${scopeId(ref)}/${ref.name}`);
    },
  };
}

export type SecretPolicies = ReturnType<typeof createSecretPolicies>;

/** The reader of a value, as its token names it: the OAuth client and the subject (none when the token has no `sub`). */
export function readerOf(auth: { clientId?: string }, event: HttpEvent): SecretReader {
  const sub = event.requestContext?.authorizer?.jwt?.claims?.['sub'];
  return { clientId: auth.clientId ?? null, subject: typeof sub === 'string' ? sub : null };
}

/**
 * A value read as every route that answers one reads it (GET, a rotation's replay): the access
 * rules first, then the read, counted (or recorded, with every_read) before the value is
 * answered, as text; the bytes are zeroed either way.
 */
export async function readSecretValue(
  policies: Pick<SecretPolicies, 'beforeRead' | 'afterRead'>,
  secrets: Pick<SecretsService, 'get'>,
  query: SecretRef & { version?: number; encryptionContext?: EncryptionContext },
  reader: SecretReader,
): Promise<{ name: string; version: number; createdAt: string; value: string }> {
  const ref = { tenant: query.tenant, namespace: query.namespace, name: query.name };
  await policies.beforeRead(ref, reader);
  const read = await secrets.get(query);
  try {
    await policies.afterRead(ref, read.version, reader);
    return { name: read.name, version: read.version, createdAt: read.createdAt, value: read.value.toString('utf8') };
  } finally {
    zeroize(read.value);
  }
}
