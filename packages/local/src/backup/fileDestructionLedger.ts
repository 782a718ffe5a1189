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

  record(entries: readonly DestructionLedgerEntry[]): Promise<void> {
    const text = entries.map((entry) => `${JSON.stringify(entry)}\n`).join('');
    // One append at a time: lines never interleave.
    const append = this.tail.then(async () => {
      const file = await open(this.path, 'a', 0o600);
      try {
        await file.writeFile(text);
        await file.sync();
      } finally {
        await file.close();
      }
    });
    this.tail = append.catch(() => undefined);
    return append;
  }

  /** Every entry, oldest first; none if the file does not exist. A last line cut short by a crash is skipped (its destruction is retried and appended again). */
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
        if (index === lines.length - 1) this.logger?.warn('destruction ledger: skipped a last line cut short', { path: this.path });
        else throw new Error(`Destruction ledger ${this.path}, line ${index + 1}: not JSON (${(error as Error).message}); repair or restore the file before starting.`, { cause: error });
      }
    });
    return entries;
  }
}
