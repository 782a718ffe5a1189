import { evolve, initialState, type KeyHierarchyEvent, type Logger, type TenantKeyHierarchy } from '@keyledger/domain';
import { EventSourcedRepository, type EventStore } from '@keyledger/event-store';

export type TenantRepository = EventSourcedRepository<TenantKeyHierarchy, KeyHierarchyEvent>;

/**
 * Bump when TenantKeyHierarchy's shape changes so old snapshots are replayed instead of read.
 * 3: live keys only (destroyed ones in the key catalog), key order (`seq`), retention.
 * 4: the storage version the tenant began with.
 */
export const TENANT_SNAPSHOT_SCHEMA_VERSION = 4;

export function createTenantRepository(
  eventStore: EventStore,
  options: { snapshotEvery?: number; maxAttempts?: number; logger?: Logger } = {},
): TenantRepository {
  return new EventSourcedRepository<TenantKeyHierarchy, KeyHierarchyEvent>({
    eventStore,
    initialState,
    evolve,
    snapshotSchemaVersion: TENANT_SNAPSHOT_SCHEMA_VERSION,
    snapshotEvery: options.snapshotEvery ?? 20,
    maxAttempts: options.maxAttempts ?? 8,
    logger: options.logger,
  });
}
