import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKUP_FORMAT, BACKUP_VERSION, readBackupFile, writeBackupFile, type Item } from './backupFile';
import { destructionLedgerPath, FileDestructionLedger } from './fileDestructionLedger';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keyledger-backup-file-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const header = { format: BACKUP_FORMAT, version: BACKUP_VERSION, created_at: '2026-12-02T00:00:00.000Z', ledger_entries: 2 } as const;
const items: Array<{ table: 'events' | 'keyMaterial'; item: Item }> = [
  { table: 'events', item: { stream_id: { S: 'tenant/acme' }, version: { N: '1' }, nested: { M: { list: { L: [{ S: 'x' }, { B: Buffer.from([0, 255]) }] } } } } },
  { table: 'keyMaterial', item: { tenant: { S: 'acme' }, wrapped: { B: Buffer.from('wrapped bytes') }, set: { BS: [Buffer.from([1]), Buffer.from([2, 3])] } } },
];
async function* each() {
  yield* items;
}

describe('the backup file', () => {
  it('round-trips every attribute type (binary included), owner-only, and refuses to overwrite', async () => {
    const file = join(dir, 'b.backup');
    expect(await writeBackupFile(file, header, each())).toEqual({ events: 1, keyMaterial: 1 });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const read = await readBackupFile(file);
    expect(read.header).toEqual(header);
    expect(read.tables).toEqual({ events: 1, keyMaterial: 1 });
    expect(read.items.map(({ table, item }) => ({ table, item: JSON.parse(JSON.stringify(item, (_k, v: unknown) => (Buffer.isBuffer(v) ? [...v] : v))) as unknown }))).toEqual(
      items.map(({ table, item }) => ({ table, item: JSON.parse(JSON.stringify(item, (_k, v: unknown) => (Buffer.isBuffer(v) ? [...v] : v))) as unknown })),
    );
    await expect(writeBackupFile(file, header, each())).rejects.toThrow(/EEXIST/);
  });

  it('refuses a file cut short, edited, or whose counts do not match its items', async () => {
    const file = join(dir, 'b.backup');
    await writeBackupFile(file, header, each());
    const text = await readFile(file, 'utf8');
    await writeFile(join(dir, 'cut'), text.slice(0, text.lastIndexOf('{"sha256"')));
    await expect(readBackupFile(join(dir, 'cut'))).rejects.toThrow(/not the digest \(the file was cut short\?\)/);
    await writeFile(join(dir, 'edited'), text.replace('tenant/acme', 'tenant/evil'));
    await expect(readBackupFile(join(dir, 'edited'))).rejects.toThrow(/digest does not match/);
    // Counts that do not match the items, under a digest that does (made to match): refused all the same.
    const body = text.slice(0, text.lastIndexOf('{"sha256"')).replace('{"tables":{"events":1,', '{"tables":{"events":2,');
    await writeFile(join(dir, 'counted'), `${body}${JSON.stringify({ sha256: createHash('sha256').update(body).digest('hex') })}\n`);
    await expect(readBackupFile(join(dir, 'counted'))).rejects.toThrow(/counts 2 items of events, the file holds 1/);
  });
});

describe('the file destruction ledger', () => {
  it('lives beside the data dir, appends owner-only, and skips a last line cut short by a crash', async () => {
    expect(destructionLedgerPath(join(dir, 'data'))).toBe(join(dir, 'data.destruction-ledger.jsonl'));
    const ledger = new FileDestructionLedger(join(dir, 'ledger.jsonl'));
    expect(await ledger.read()).toEqual([]);
    const entry = { kind: 'key' as const, tenant: 'acme', kid: 'k1', keyType: 'tenant-encryption-key' as const, cause: 'retire', destroyedAt: '2026-12-02T00:00:00.000Z', version: 4 };
    await Promise.all([ledger.record([entry]), ledger.record([{ kind: 'tenant', tenant: 'acme', destroyedAt: '2026-12-02T00:00:01.000Z', version: 5 }])]);
    expect((await stat(ledger.path)).mode & 0o777).toBe(0o600);
    await writeFile(ledger.path, `${await readFile(ledger.path, 'utf8')}{"kind":"key","ten`);
    expect(await ledger.read()).toEqual([entry, { kind: 'tenant', tenant: 'acme', destroyedAt: '2026-12-02T00:00:01.000Z', version: 5 }]);
    // The next append starts on a line of its own: the torn line stays skipped, the new entry reads.
    await ledger.record([{ ...entry, kid: 'k2' }]);
    expect((await ledger.read()).map((read) => (read.kind === 'key' ? read.kid : 'tenant'))).toEqual(['k1', 'tenant', 'k2']);
    await writeFile(ledger.path, `garbage\n${JSON.stringify(entry)}\n`);
    await expect(ledger.read()).rejects.toThrow(/line 1: not JSON/);
  });
});
