import { createHash } from 'node:crypto';
import type { ActivityRecorder } from '@keyledger/activity';
import { DynamoDbRotationQueue, SecretReencryption, SecretRotations, type DynamoDbSecretControls, type SecretRotatedNotice, type SecretStore } from '@keyledger/data-plane';
import type { Logger } from '@keyledger/domain';
import type { RecordedEvent } from '@keyledger/events';
import type { DataPlaneCore } from './core';

export { createDataPlaneCore, type DataPlaneCore, type DataPlaneCoreOptions } from './core';
export { createJobEventHandler } from './jobEvents';

function rotatedEvent(notice: SecretRotatedNotice): RecordedEvent {
  return {
    detailType: 'secret_rotated',
    detail: {
      tenant: notice.tenant,
      occurred_at: notice.rotatedAt,
      namespace: notice.namespace,
      name: notice.name,
      version: notice.version,
      previous_version: notice.previousVersion,
      cause: 'schedule',
      period: notice.period,
      due_at: notice.due,
      pruned_versions: notice.pruned,
    },
  };
}

/**
 * The data plane's background work, beside its API (in AWS the jobs function, a bundle of its
 * own; locally the stack's schedulers): the re-encryption of stored secrets, and scheduled
 * rotations, each announced once by a `secret_rotated` event (its activity record's id is made
 * from the secret and the due time, so a second pass for the same due time writes nothing).
 */
export function createDataPlaneWorkers(
  core: Pick<DataPlaneCore, 'dataPlane' | 'secrets'>,
  options: {
    store: SecretStore;
    secretControls: DynamoDbSecretControls;
    /** The rotations-due index (the Secrets table). */
    rotationQueue: DynamoDbRotationQueue;
    activity: ActivityRecorder;
    logger: Logger;
    clock?: () => Date;
    /** Tests only: see SecretReencryption. */
    afterReencryptionPageWrites?: (pages: number) => void;
  },
) {
  const { store, activity, logger, clock } = options;
  const reencryption = new SecretReencryption({ store, dataPlane: core.dataPlane, clock, logger, afterPageWrites: options.afterReencryptionPageWrites });
  const rotations = new SecretRotations({
    secrets: core.secrets,
    store,
    controls: options.secretControls,
    queue: options.rotationQueue,
    clock,
    logger,
    announce: async (notice) => {
      const id = `rot-${createHash('sha256').update(`${notice.namespace}/${notice.name}@${notice.due}`).digest('hex').slice(0, 32)}`;
      await activity.recordOnce(id, [rotatedEvent(notice)]);
    },
  });
  return { reencryption, rotations };
}
