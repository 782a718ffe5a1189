import type { RecordedEvent } from '@keyledger/events';
import type { Job } from '@keyledger/jobs';
import type { ActivityRecorder } from './activityRecorder';

/** A job's progress as its `job_progress` event (counts and state; never a secret or key). */
export function jobProgressEvent(job: Job): RecordedEvent {
  return {
    detailType: 'job_progress',
    detail: {
      tenant: job.tenant,
      occurred_at: new Date().toISOString(),
      job_id: job.id,
      job_type: job.type,
      state: job.state,
      done: job.done,
      total: job.total,
      cause: job.cause,
      namespaces: job.namespaces,
      error: job.error,
    },
  };
}

/** For JobRunner's onProgress: each report a commit of its own in the outbox, so it reaches the bus like any event. */
export function recordJobProgress(activity: ActivityRecorder) {
  return (job: Job) => activity.record([jobProgressEvent(job)]);
}
