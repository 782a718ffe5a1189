import { GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DestructionLedger, DestructionLedgerEntry } from '@keyledger/key-hierarchy/ledger';
import { LEDGER_FORMAT, LEDGER_PREFIX, ledgerObjectKey } from './layout';

export { LEDGER_FORMAT, LEDGER_PREFIX, ledgerObjectKey } from './layout';

/** Objects read at once, and object versions per page. */
const READ_CONCURRENCY = 16;
export const PAGE_VERSIONS = 200;

/** Where a page of the ledger starts (S3's version listing markers). */
export interface LedgerCursor {
  keyMarker: string;
  versionIdMarker?: string;
}

export interface LedgerPage {
  entries: DestructionLedgerEntry[];
  /** Object versions under the prefix that hold no ledger entries (key and version id): skipped, and reported. */
  skipped?: string[];
  next?: LedgerCursor;
}

/**
 * The destruction ledger in AWS: an S3 bucket with Object Lock (the CDK app makes it: versioned,
 * a default retention in compliance mode), which DynamoDB table restores do not roll back and
 * nobody can empty before the retention ends. Each destroying commit is one object, written once
 * per delivery: a second write of the same commit adds a version with the same entries.
 *
 * Reads take every version of every object, not only the current ones, and keep the union of
 * their entries: a later write cannot take back an entry an earlier, locked version holds.
 */
export class S3DestructionLedger implements DestructionLedger {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async record(entries: readonly DestructionLedgerEntry[]): Promise<void> {
    const byCommit = new Map<string, DestructionLedgerEntry[]>();
    for (const entry of entries) {
      const key = ledgerObjectKey(entry.tenant, entry.version);
      byCommit.set(key, [...(byCommit.get(key) ?? []), entry]);
    }
    for (const [key, commitEntries] of byCommit) {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: JSON.stringify({ format: LEDGER_FORMAT, version: 1, entries: commitEntries }),
          ContentType: 'application/json',
          // Object Lock requires an integrity checksum on every write.
          ChecksumAlgorithm: 'SHA256',
        }),
      );
    }
  }

  /** Every entry, oldest first per tenant (all pages of readPage). */
  async read(): Promise<DestructionLedgerEntry[]> {
    const entries: DestructionLedgerEntry[] = [];
    let cursor: LedgerCursor | undefined;
    do {
      const page = await this.readPage(cursor);
      entries.push(...page.entries);
      cursor = page.next;
    } while (cursor);
    return entries;
  }

  /**
   * One page of the ledger: the entries of up to `PAGE_VERSIONS` object versions, deduplicated,
   * and where the next page starts (none: this was the last). Pages follow the objects' keys, so
   * a tenant's entries come together, commit by commit.
   */
  async readPage(cursor?: LedgerCursor): Promise<LedgerPage> {
    const listed = await this.client.send(
      new ListObjectVersionsCommand({ Bucket: this.bucket, Prefix: LEDGER_PREFIX, MaxKeys: PAGE_VERSIONS, KeyMarker: cursor?.keyMarker, VersionIdMarker: cursor?.versionIdMarker }),
    );
    // Delete markers hide an object from listings, not its locked versions: those are read all the same.
    const versions = (listed.Versions ?? []).flatMap((version) => (version.Key ? [{ key: version.Key, versionId: version.VersionId }] : []));
    const entries = new Map<string, DestructionLedgerEntry>();
    const skipped: string[] = [];
    for (let start = 0; start < versions.length; start += READ_CONCURRENCY) {
      const batch = versions.slice(start, start + READ_CONCURRENCY);
      const bodies = await Promise.all(batch.map((version) => this.readObject(version.key, version.versionId)));
      bodies.forEach((body, index) => {
        // A locked object cannot be repaired: one that is not a ledger object is reported, not allowed to stop every restore.
        if (body === undefined) skipped.push(`${batch[index]!.key}@${batch[index]!.versionId ?? 'null'}`);
        else for (const entry of body) entries.set(JSON.stringify(entry), entry);
      });
    }
    if (listed.IsTruncated && !listed.NextKeyMarker) throw new Error('S3 answered a truncated listing of the destruction ledger without a next marker; retry.');
    const next = listed.IsTruncated ? { keyMarker: listed.NextKeyMarker!, ...(listed.NextVersionIdMarker ? { versionIdMarker: listed.NextVersionIdMarker } : {}) } : undefined;
    return { entries: [...entries.values()], ...(skipped.length > 0 ? { skipped } : {}), ...(next ? { next } : {}) };
  }

  /** The entries of one object version; undefined when it is not a ledger object. */
  private async readObject(key: string, versionId: string | undefined): Promise<DestructionLedgerEntry[] | undefined> {
    const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }));
    const text = (await object.Body?.transformToString('utf8')) ?? '';
    let parsed: { format?: unknown; entries?: unknown };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      parsed = {};
    }
    if (parsed.format !== LEDGER_FORMAT || !Array.isArray(parsed.entries)) return undefined;
    const entries = parsed.entries as DestructionLedgerEntry[];
    return entries.every(isEntry) ? entries : undefined;
  }
}

function isEntry(value: unknown): value is DestructionLedgerEntry {
  const entry = value as Partial<Record<string, unknown>> | null;
  if (typeof entry !== 'object' || entry === null || typeof entry['tenant'] !== 'string' || typeof entry['version'] !== 'number') return false;
  return entry['kind'] === 'tenant' || (entry['kind'] === 'key' && typeof entry['kid'] === 'string' && typeof entry['keyType'] === 'string');
}
