import { SecretReadCounter, type SecretAccessSummary } from './secretReadCounter';
import type { DynamoDbSecretControls, SecretUsageRecord } from './secretControls';

/** The counter's store, in memory, failing as a test says. */
function store(fail: (usage: SecretUsageRecord & { name: string }, call: number) => Error | undefined) {
  const counts = new Map<string, number>();
  let calls = 0;
  const controls = {
    addUsage: async (ref: { name: string }, usage: SecretUsageRecord) => {
      calls += 1;
      const error = fail({ ...usage, name: ref.name }, calls);
      if (error) throw error;
      counts.set(ref.name, (counts.get(ref.name) ?? 0) + usage.reads);
    },
  } as unknown as DynamoDbSecretControls;
  return { controls, counts };
}

const ref = (name: string) => ({ tenant: 'acme', namespace: 'secrets', name });
const reader = { clientId: 'svc-orders', subject: 'svc-orders@clients' };

describe('the secret read counter', () => {
  it('a failed flush writes again only what it could not write: no count and no summary twice', async () => {
    let flaky = true;
    const { controls, counts } = store((usage) => (usage.name === 'b' && flaky ? new Error('throttled') : undefined));
    const summaries: SecretAccessSummary[][] = [];
    let summaryFails = true;
    const counter = new SecretReadCounter({
      controls,
      flushIntervalMs: 60_000,
      summarize: async (batch) => {
        if (summaryFails) {
          summaryFails = false;
          throw new Error('event store unavailable');
        }
        summaries.push([...batch]);
      },
    });
    counter.note(ref('a'), 1, reader, 'summary');
    counter.note(ref('b'), 1, reader, 'summary');
    counter.note(ref('a'), 1, reader, 'summary');
    await counter.flush();
    expect(Object.fromEntries(counts)).toEqual({ a: 2 });
    expect(summaries).toEqual([]);
    flaky = false;
    await counter.flush();
    expect(Object.fromEntries(counts)).toEqual({ a: 2, b: 1 });
    expect(summaries.flat().map((summary) => [summary.name, summary.reads])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    await counter.flush();
    expect(summaries.flat()).toHaveLength(2);
  });

  it('drops a count DynamoDB refuses as invalid (it would fail every flush), keeping the others', async () => {
    const { controls, counts } = store((usage) => (usage.name === 'poison' ? Object.assign(new Error('key too large'), { name: 'ValidationException' }) : undefined));
    const summaries: SecretAccessSummary[] = [];
    const counter = new SecretReadCounter({ controls, flushIntervalMs: 60_000, summarize: async (batch) => void summaries.push(...batch) });
    counter.note(ref('poison'), 1, reader, 'summary');
    counter.note(ref('fine'), 1, reader, 'summary');
    await counter.flush();
    await counter.flush();
    expect(Object.fromEntries(counts)).toEqual({ fine: 1 });
    expect(summaries.map((summary) => summary.name)).toEqual(['fine']);
  });

  it('every_read records the read before it resolves, and fails the read when it cannot', async () => {
    const { controls, counts } = store(() => undefined);
    const recorded: string[] = [];
    let down = false;
    const counter = new SecretReadCounter({
      controls,
      flushIntervalMs: 60_000,
      summarize: async (batch) => {
        if (down) throw new Error('event store unavailable');
        recorded.push(...batch.map((summary) => `${summary.name}:${summary.reads}:${summary.audit}`));
      },
    });
    await counter.note(ref('audited'), 3, reader, 'every_read');
    expect(recorded).toEqual(['audited:1:every_read']);
    expect(Object.fromEntries(counts)).toEqual({ audited: 1 });
    down = true;
    await expect(counter.note(ref('audited'), 3, reader, 'every_read')).rejects.toThrow('event store unavailable');
  });
});
