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
} from '@keyledger/data-plane';
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
