import type { LogEntry } from './chainRule';
import { readWholeChain } from './verifyChain';

const entry = (sequence: number) => ({ log_id: String(sequence).padStart(20, '0') + 'a'.repeat(32) }) as LogEntry;
const log = Array.from({ length: 25 }, (_, index) => entry(index + 1));

/** Checkpoint pages of `log`, each with the head header as it was when the page was read. */
function reader(head: string) {
  const calls: Array<string | undefined> = [];
  const read = async (from: string | undefined, take: number) => {
    calls.push(from);
    const start = from ? log.findIndex((item) => item.log_id === from) + 1 : 0;
    return { entries: log.slice(start, start + take), headHeader: head };
  };
  return { calls, read };
}

describe('readWholeChain', () => {
  it('reads every checkpoint page from the first entry and takes the head from the first page', async () => {
    const { calls, read } = reader(`25;${log[24]!.log_id};abc`);
    const progress: number[] = [];
    const { entries, head } = await readWholeChain(read, { pageSize: 10, onProgress: (count) => progress.push(count) });
    expect(entries).toEqual(log);
    expect(head).toEqual({ sequence: 25, log_id: log[24]!.log_id, hash: 'abc' });
    expect(calls).toEqual([undefined, log[9]!.log_id, log[19]!.log_id]);
    expect(progress).toEqual([10, 20, 25]);
  });

  it('stops past maxEntries with a pointer to keyledger logs verify', async () => {
    await expect(readWholeChain(reader('').read, { pageSize: 10, maxEntries: 20 })).rejects.toThrow('more than 20 entries: verify it with `keyledger logs verify`');
  });
});
