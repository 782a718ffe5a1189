/**
 * Capped exponential backoff with full jitter: a random delay in [0, min(max, base·2^(n−1))) before
 * retry n (1-based). Every retry loop in keyledger (KMS calls, stream conflicts, PutEvents, the
 * local outbox) waits with this.
 */
export function backoffDelay(retry: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** (retry - 1)));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
