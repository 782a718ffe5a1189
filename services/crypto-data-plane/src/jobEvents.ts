import type { ReencryptionJobs, SecretRotations } from '@keyledger/data-plane';
import { silentLogger, type Logger } from '@keyledger/domain';
import type { BusEvent, KeyStateChangedDetail } from '@keyledger/events';
import type { JobRunner } from '@keyledger/jobs';

/** Creates the rekey's job (once, however often the event arrives); resolves with its id. */
export async function startJobForRekey(jobs: ReencryptionJobs, event: BusEvent<unknown>): Promise<{ tenant: string; id: string }> {
  const detail = event.detail as KeyStateChangedDetail;
  const job = await jobs.startAfterRekey(detail.tenant, { tmkKid: detail.kid, occurredAt: detail.occurred_at });
  return { tenant: job.tenant, id: job.id };
}

/**
 * The jobs Lambda: EventBridge rules invoke it with a rekey's event (create the job and run it),
 * a manual job's start (run it), a schedule (resume every job whose lease has expired), or the
 * rotation schedule's `{"pass": "rotations"}` (rotate the secrets that are due). Each
 * run stops in time for the Lambda's deadline; the schedule picks up what is left.
 */
export function createJobEventHandler(deps: { jobs: ReencryptionJobs; runner: JobRunner; rotations: Pick<SecretRotations, 'runDue'>; logger?: Logger }) {
  const logger = deps.logger ?? silentLogger;
  return async function jobEventHandler(event: BusEvent<unknown> | { source: string; 'detail-type': string } | { pass: 'rotations' }, context?: { getRemainingTimeInMillis(): number }) {
    // The rotation schedule (every minute): the secrets whose scheduled rotation is due.
    if ('pass' in event && event.pass === 'rotations') {
      const rotated = await deps.rotations.runDue();
      logger.info('scheduled rotation pass done', { rotated });
      return;
    }
    if (!('detail-type' in event)) return;
    const deadlineMs = Date.now() + Math.max(0, (context?.getRemainingTimeInMillis() ?? 60_000) - 30_000);
    const detailType = event['detail-type'];
    if (detailType === 'kms_key_state_changed') {
      const { tenant, id } = await startJobForRekey(deps.jobs, event as BusEvent<unknown>);
      await deps.runner.run(tenant, id, { deadlineMs });
      return;
    }
    if (detailType === 'job_progress') {
      const detail = (event as BusEvent<{ tenant: string; job_id: string }>).detail;
      await deps.runner.run(detail.tenant, detail.job_id, { deadlineMs });
      return;
    }
    // A scheduled run: every runnable job whose lease is free.
    for (const { tenant, id } of await deps.runner.runnableJobs()) {
      if (Date.now() >= deadlineMs) break;
      await deps.runner.run(tenant, id, { deadlineMs });
    }
    logger.info('scheduled job pass done');
  };
}
