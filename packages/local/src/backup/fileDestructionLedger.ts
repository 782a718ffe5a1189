import { open, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Logger } from '@keyledger/domain';
import type { DestructionLedger, DestructionLedgerEntry } from '@keyledger/key-hierarchy';

/**
 * The local destruction ledger: `<data dir>.destruction-ledger.jsonl`, beside the data dir, so
 * that neither a backup of the data dir nor a restore into it touches it. One JSON entry per line,
 * appended and synced to disk before the destruction's call goes on; owner-only (0600).
 */
export function destructionLedgerPath(dataDir: string): string {
  const absolute = resolve(dataDir);
  return join(dirname(absolute), `${basename(absolute)}.destruction-ledger.jsonl`);
}

export class FileDestructionLedger implements DestructionLedger {
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly logger?: Logger,
  ) {}

  /** Makes the (empty) file if there is none: its existence says that this data dir keeps a ledger, which a restore then insists on. */
  async ensure(): Promise<void> {
    await (await open(this.path, 'a', 0o600)).close();
  }

  record(entries: readonly DestructionLedgerEntry[]): Promise<void> {
    const text = entries.map((entry) => `${JSON.stringify(entry)}\n`).join('');
    // One append at a time: lines never interleave.
    const append = this.tail.then(async () => {
      const file = await open(this.path, 'a+', 0o600);
      try {
        // A line a crash cut short stays a line of its own: the new entries start on the next.
        const { size } = await file.stat();
        const last = Buffer.alloc(1);
        if (size > 0) await file.read(last, 0, 1, size - 1);
        await file.writeFile(size > 0 && last[0] !== 0x0a ? `\n${text}` : text);
        await file.sync();
      } finally {
        await file.close();
      }
    });
    this.tail = append.catch(() => undefined);
    return append;
  }

  /**
   * Every entry, oldest first; none if the file does not exist. A line a crash cut short (the
   * start of an entry, never finished) is skipped with a warning: its destruction was retried
   * and appended again. Any other line that is not an entry stops the read.
   */
  async read(): Promise<DestructionLedgerEntry[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const lines = text.split('\n');
    const entries: DestructionLedgerEntry[] = [];
    lines.forEach((line, index) => {
      if (line.trim() === '') return;
      try {
        entries.push(JSON.parse(line) as DestructionLedgerEntry);
      } catch (error) {
        if (line.startsWith('{') && !line.trimEnd().endsWith('}')) this.logger?.warn('destruction ledger: skipped a line cut short by a crash', { path: this.path, line: index + 1 });
        else throw new Error(`Destruction ledger ${this.path}, line ${index + 1}: not JSON (${(error as Error).message}); repair or restore the file before starting.`, { cause: error });
      }
    });
    return entries;
  }
}
