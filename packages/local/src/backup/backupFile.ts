import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { TABLES, type TableKey } from '@keyledger/dynamodb';

/**
 * The local backup file (`keyledger backup create`): JSON lines, owner-only (0600).
 * - line 1, the header: `{"format": "keyledger-backup", "version": 1, "created_at", "ledger_entries"}`;
 * - one line per item: `{"table": <table key>, "item": <the DynamoDB item>}` (binary values as `{"$b64": ...}`);
 * - the counts: `{"tables": {<table>: <items>}}`, written once the items are (one pass over the tables);
 * - the last line: `{"sha256": <hex of every byte before it>}`, so a cut or edited file is refused.
 * It holds what the tables hold (wrapped keys, secret ciphertexts, the audit log), never the root
 * key or the dev issuer's key, which stay in the data dir.
 */
export const BACKUP_FORMAT = 'keyledger-backup';
export const BACKUP_VERSION = 1;

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  version: number;
  created_at: string;
  /** Entries of the destruction ledger beside the data dir when the backup was taken. */
  ledger_entries?: number;
}

export type Item = Record<string, AttributeValue>;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** AttributeValues as JSON: binary as base64 under `$b64` (JSON has no bytes). */
function encode(value: AttributeValue): Json {
  if (value.B !== undefined) return { B: { $b64: Buffer.from(value.B).toString('base64') } };
  if (value.BS !== undefined) return { BS: value.BS.map((bytes) => ({ $b64: Buffer.from(bytes).toString('base64') })) };
  if (value.M !== undefined) return { M: Object.fromEntries(Object.entries(value.M).map(([name, inner]) => [name, encode(inner)])) };
  if (value.L !== undefined) return { L: value.L.map(encode) };
  return value as unknown as Json;
}

function decode(value: Record<string, unknown>): AttributeValue {
  const bytes = (b64: unknown) => Buffer.from(String((b64 as { $b64?: string }).$b64 ?? ''), 'base64');
  if (value['B'] !== undefined) return { B: bytes(value['B']) };
  if (value['BS'] !== undefined) return { BS: (value['BS'] as unknown[]).map(bytes) };
  if (value['M'] !== undefined) return { M: decodeItem(value['M'] as Record<string, Record<string, unknown>>) };
  if (value['L'] !== undefined) return { L: (value['L'] as Array<Record<string, unknown>>).map(decode) };
  return value as unknown as AttributeValue;
}

const decodeItem = (item: Record<string, Record<string, unknown>>): Item => Object.fromEntries(Object.entries(item).map(([name, value]) => [name, decode(value)]));

export type TableCounts = Partial<Record<TableKey, number>>;

/** Writes a backup to `file`, which must not exist yet (created 0600); the digest covers every line before it. Resolves with the counts it wrote. */
export async function writeBackupFile(file: string, header: BackupHeader, items: AsyncIterable<{ table: TableKey; item: Item }>): Promise<TableCounts> {
  const tables: TableCounts = {};
  const handle = await open(file, 'wx', 0o600);
  try {
    const digest = createHash('sha256');
    let pending = '';
    const flush = async (force: boolean) => {
      if (pending.length === 0 || (!force && pending.length < 64 * 1024)) return;
      const chunk = pending;
      pending = '';
      digest.update(chunk);
      await handle.write(chunk);
    };
    pending += `${JSON.stringify(header)}\n`;
    for await (const { table, item } of items) {
      tables[table] = (tables[table] ?? 0) + 1;
      pending += `${JSON.stringify({ table, item: Object.fromEntries(Object.entries(item).map(([name, value]) => [name, encode(value)])) })}\n`;
      await flush(false);
    }
    pending += `${JSON.stringify({ tables })}\n`;
    await flush(true);
    await handle.write(`${JSON.stringify({ sha256: digest.digest('hex') })}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return tables;
}

export class BackupFileError extends Error {
  constructor(file: string, problem: string) {
    super(`${file} is not a usable keyledger backup: ${problem}.`);
    this.name = 'BackupFileError';
  }
}

/** Reads and checks a backup: the digest, the header, every line; the items by table. */
export async function readBackupFile(file: string): Promise<{ header: BackupHeader; tables: TableCounts; items: Array<{ table: TableKey; item: Item }> }> {
  const text = await readFile(file, 'utf8');
  const end = text.lastIndexOf('\n', text.length - 2);
  if (end < 0) throw new BackupFileError(file, 'it has no digest line');
  const body = text.slice(0, end + 1);
  let recorded: unknown;
  try {
    recorded = (JSON.parse(text.slice(end + 1)) as { sha256?: unknown }).sha256;
  } catch {
    recorded = undefined;
  }
  if (typeof recorded !== 'string') throw new BackupFileError(file, 'its last line is not the digest (the file was cut short?)');
  if (createHash('sha256').update(body).digest('hex') !== recorded) throw new BackupFileError(file, 'its digest does not match its content (the file was changed or damaged)');
  const lines = body.split('\n').filter((line) => line !== '');
  const header = JSON.parse(lines[0]!) as BackupHeader;
  if (header.format !== BACKUP_FORMAT) throw new BackupFileError(file, `its format is ${JSON.stringify(header.format)}, not ${BACKUP_FORMAT}`);
  if (header.version !== BACKUP_VERSION) throw new BackupFileError(file, `it is version ${header.version}; this keyledger reads version ${BACKUP_VERSION}`);
  const { tables } = JSON.parse(lines.at(-1)!) as { tables?: TableCounts };
  if (lines.length < 2 || !tables) throw new BackupFileError(file, 'it has no counts line');
  const items = lines.slice(1, -1).map((line, index) => {
    const parsed = JSON.parse(line) as { table: TableKey; item: Record<string, Record<string, unknown>> };
    if (!(parsed.table in TABLES)) throw new BackupFileError(file, `line ${index + 2} names no table of this keyledger (${parsed.table})`);
    return { table: parsed.table, item: decodeItem(parsed.item) };
  });
  for (const [table, count] of Object.entries(tables)) {
    const found = items.filter((entry) => entry.table === table).length;
    if (found !== count) throw new BackupFileError(file, `it counts ${count} items of ${table}, the file holds ${found}`);
  }
  return { header, tables, items };
}
