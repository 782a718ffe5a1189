export const JOB_STATES = ['running', 'succeeded', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];
export const JOB_TYPES = ['reencrypt-secrets'] as const;
export type JobType = (typeof JOB_TYPES)[number];

/** A background job of one tenant. `checkpoint` is the job type's own record of where it is. */
export interface Job {
  id: string;
  tenant: string;
  type: JobType;
  state: JobState;
  /** Items done so far, and the items there are (an estimate while running; exact once finished). */
  done: number;
  total: number;
  startedAt: string;
  finishedAt: string | null;
  /** What started it: a rekey (automatically) or a call. */
  cause: 'rekey' | 'manual';
  /** The namespaces it works on. */
  namespaces: string[];
  /** Why it failed, for people; null unless failed. */
  error: string | null;
  /** Type-specific counters shown with the job (e.g. moved / already current). */
  details: Record<string, number>;
  checkpoint: unknown;
}

/** Job ids sort like their start times: `rj_<13-digit ms>_<8 hex>`. */
export function jobId(startedAtMs: number, suffix: string): string {
  return `rj_${String(startedAtMs).padStart(13, '0')}_${suffix}`;
}

export const JOB_ID_PATTERN = /^rj_\d{13}_[0-9a-f]{8}$/;
