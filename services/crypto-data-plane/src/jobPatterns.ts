import { EVENT_SOURCE, type EventPattern } from '@keyledger/events';

// The events that start re-encryption jobs: the local bus subscribes with these patterns, and the
// CDK app's EventBridge rules are made from them (so this module imports nothing heavy).

/** The event that starts a rekey's re-encryption job: the new TMK of a rekey, created. */
export const REKEY_PATTERN: EventPattern = {
  source: [EVENT_SOURCE],
  'detail-type': ['kms_key_state_changed'],
  detail: { key_type: ['tenant-master-key'], cause: ['rekey'], from: [null] },
};

/**
 * A job started by a call: the progress event its creation records (in AWS, the Lambda that runs
 * jobs is started by it). A runner's later reports have a total, or a count done.
 */
export const MANUAL_JOB_PATTERN: EventPattern = {
  source: [EVENT_SOURCE],
  'detail-type': ['job_progress'],
  detail: { state: ['running'], done: [0], total: [0], cause: ['manual'] },
};
