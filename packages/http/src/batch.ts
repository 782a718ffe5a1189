import * as z from 'zod';
import { toErrorBody, type ErrorBody } from './errorResponse';
import { RequestValidationError } from './errors';
import { describeIssue } from './httpHandler';
import type { Logger } from '@keyledger/domain';

/** A request body that is one item, or `{batch: [item, ...]}` whose items are validated one by one. */
export type Batchable<T> = { single: T } | { batch: Array<{ ok: true; value: T } | { ok: false; error: RequestValidationError }> };

export interface BatchLimits {
  maxItems: number;
  /** Most bytes the items may carry in all (as `measure` counts them), so a batch is bounded work. */
  maxBytes: number;
  measure: (raw: unknown) => number;
}

/**
 * The body schema of a route that takes batches. A malformed batch (not an array, too many
 * items, too many bytes, other fields) is refused whole; a bad item is its own error only.
 */
export function batchable<S extends z.ZodType>(item: S, limits: BatchLimits) {
  return z.unknown().transform((raw, context): Batchable<z.output<S>> => {
    if (raw !== null && typeof raw === 'object' && !Array.isArray(raw) && 'batch' in raw) {
      const { batch, ...others } = raw as { batch: unknown };
      const problem =
        Object.keys(others).length > 0
          ? `a batch request holds only "batch" (found ${Object.keys(others).join(', ')})`
          : !Array.isArray(batch)
            ? 'batch must be an array of items'
            : batch.length === 0 || batch.length > limits.maxItems
              ? `batch must hold 1 to ${limits.maxItems} items (it holds ${batch.length})`
              : batch.reduce((sum: number, entry) => sum + limits.measure(entry), 0) > limits.maxBytes
                ? `batch items carry more than ${limits.maxBytes} bytes in all; split the batch`
                : undefined;
      if (problem) {
        context.addIssue({ code: 'custom', message: problem });
        return z.NEVER;
      }
      return {
        batch: (batch as unknown[]).map((entry, index) => {
          const parsed = item.safeParse(entry);
          return parsed.success
            ? { ok: true as const, value: parsed.data as z.output<S> }
            : { ok: false as const, error: new RequestValidationError(parsed.error.issues.map((issue) => describeIssue(`Item ${index}`, issue)).join('; '), 'invalid_body') };
        }),
      };
    }
    const parsed = item.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) context.addIssue({ code: 'custom', message: issue.message, path: issue.path as PropertyKey[] });
      return z.NEVER;
    }
    return { single: parsed.data as z.output<S> };
  });
}

/**
 * Runs each item in order, one at a time; each gets its own result or its own Auth0-shaped
 * error (a 5xx one hides its cause, which is logged), so one bad item never fails the others.
 */
export async function runBatch<T, R>(
  items: Extract<Batchable<T>, { batch: unknown }>,
  run: (value: T) => Promise<R>,
  logger: Logger,
): Promise<Array<R | ErrorBody>> {
  const results: Array<R | ErrorBody> = [];
  for (const [index, entry] of items.batch.entries()) {
    if (!entry.ok) {
      results.push(toErrorBody(entry.error).body);
      continue;
    }
    try {
      results.push(await run(entry.value));
    } catch (error) {
      const { body, expose } = toErrorBody(error);
      if (!expose) logger.error('batch item failed', { item: index, error: (error as Error)?.name, message: (error as Error)?.message });
      results.push(body);
    }
  }
  return results;
}
