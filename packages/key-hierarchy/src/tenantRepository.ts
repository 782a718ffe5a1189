import { evolve, initialState, type KeyHierarchyEvent, type Logger, type TenantKeyHierarchy } from '@keyledger/domain';
import { EventSourcedRepository, type EventStore } from '@keyledger/event-store';

/** Bump when TenantKeyHierarchy's shape changes so old snapshots are replayed instead of read. */
export const TENANT_SNAPSHOT_SCHEMA_VERSION = 2;

export function createTenantRepository(
  eventStore: EventStore,
  options: { snapshotEvery?: number; maxAttempts?: number; logger?: Logger } = {},
): EventSourcedRepository<TenantKeyHierarchy, KeyHierarchyEvent> {
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
