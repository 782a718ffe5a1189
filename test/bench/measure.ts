import { performance } from 'node:perf_hooks';

export type Operation = () => unknown;

/** Calls per second of `operation`, counted over at least `durationMs` after a warm-up; awaits it if it returns a promise. */
export async function opsPerSecond(operation: Operation, { durationMs, warmUpMs = 300 }: { durationMs: number; warmUpMs?: number }): Promise<number> {
  const run = async (ms: number) => {
    const start = performance.now();
    let count = 0;
    let elapsed = 0;
    while (elapsed < ms) {
      // Batches keep the clock out of the measurement.
      for (let i = 0; i < 64; i += 1) {
        const result = operation();
        if (result instanceof Promise) await result;
      }
      count += 64;
      elapsed = performance.now() - start;
    }
    return (count * 1000) / elapsed;
  };
  await run(warmUpMs);
  return run(durationMs);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
