import { DeleteItemCommand, DynamoDBClient, PutItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { TABLES, tableNames, type TableDefinition, type TableKey } from '@keyledger/dynamodb';

type Item = Record<string, AttributeValue>;
type Side = 'a' | 'b';

/** A local stack's dynalite, by port (KEYLEDGER_DYNAMODB_PORT). */
export const dynaliteClient = (port: number) =>
  new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

const encode = (item: Item | undefined) => (item ? JSON.stringify(item, (_key, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value)) : undefined);

/**
 * What DynamoDB global tables do between two Regions, for the failover drill: every item written
 * on one side appears on the other after `lagMs` (each item on its own, as global tables
 * replicate), deletes too; when both sides changed an item before it replicated, the write seen
 * last wins (last writer wins). The local-only tables (the outbox checkpoints) are not
 * replicated, as AWS has none. `pause()` holds everything back: a Region lost then loses what
 * it had not replicated yet.
 */
export class ReplicationShim {
  private readonly known = new Map<string, string | undefined>();
  private readonly pending = new Map<string, { from: Side; table: TableKey; key: Item; item: Item | undefined; encoded: string | undefined; seenAt: number }>();
  private timer: NodeJS.Timeout | undefined;
  private paused = false;
  private running: Promise<void> = Promise.resolve();
  private readonly names = tableNames('keyledger-local');
  private readonly tables = (Object.keys(TABLES) as TableKey[]).filter((key) => !(TABLES[key] as TableDefinition).localOnly);

  constructor(
    private readonly sides: Record<Side, DynamoDBClient>,
    private readonly lagMs: number,
  ) {}

  start(intervalMs = 100): void {
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.pass()).catch(() => undefined);
    }, intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  pause(): void {
    this.paused = true;
  }

  /** Everything written so far, replicated now whatever the lag (what a drill waits for before it pulls the plug). */
  async drain(): Promise<void> {
    await this.running;
    this.running = this.pass(true);
    await this.running;
  }

  private keyOf(table: TableKey, item: Item): { id: string; key: Item } {
    const definition: TableDefinition = TABLES[table];
    const key: Item = { [definition.partitionKey.name]: item[definition.partitionKey.name]! };
    if (definition.sortKey) key[definition.sortKey.name] = item[definition.sortKey.name]!;
    return { id: `${table}|${encode(key)}`, key };
  }

  private async scan(side: Side, table: TableKey): Promise<Map<string, { key: Item; item: Item }>> {
    const items = new Map<string, { key: Item; item: Item }>();
    let start: Item | undefined;
    do {
      const page = await this.sides[side].send(new ScanCommand({ TableName: this.names[table], ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) {
        const { id, key } = this.keyOf(table, item);
        items.set(id, { key, item });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  private async pass(now = false): Promise<void> {
    if (this.paused) return;
    const time = Date.now();
    for (const table of this.tables) {
      const [a, b] = await Promise.all([this.scan('a', table), this.scan('b', table)]);
      for (const id of new Set([...a.keys(), ...b.keys(), ...[...this.known.keys()].filter((known) => known.startsWith(`${table}|`))])) {
        const ea = encode(a.get(id)?.item);
        const eb = encode(b.get(id)?.item);
        if (ea === eb) {
          this.known.set(id, ea);
          this.pending.delete(id);
          continue;
        }
        const base = this.known.get(id);
        const changed: Side[] = [...(ea !== base ? ['a' as const] : []), ...(eb !== base ? ['b' as const] : [])];
        const previous = this.pending.get(id);
        // Both changed before replicating: the write seen last wins (the one not already pending).
        const from: Side = changed.length === 2 ? (previous?.from === 'a' && previous.encoded === ea ? 'b' : previous?.from === 'b' && previous.encoded === eb ? 'a' : 'b') : changed[0]!;
        const source = from === 'a' ? a.get(id) : b.get(id);
        const encoded = from === 'a' ? ea : eb;
        if (!previous || previous.from !== from || previous.encoded !== encoded) {
          this.pending.set(id, { from, table, key: (source ?? (from === 'a' ? b : a).get(id))!.key, item: source?.item, encoded, seenAt: time });
        }
      }
    }
    for (const [id, change] of this.pending) {
      if (!now && time - change.seenAt < this.lagMs) continue;
      const target = this.sides[change.from === 'a' ? 'b' : 'a'];
      if (change.item) await target.send(new PutItemCommand({ TableName: this.names[change.table], Item: change.item }));
      else await target.send(new DeleteItemCommand({ TableName: this.names[change.table], Key: change.key }));
      this.known.set(id, change.encoded);
      this.pending.delete(id);
    }
  }
}
