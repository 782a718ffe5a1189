/**
 * The lifecycle section of `npm run bench`: rekeys over HTTP against the local server, in the
 * steady state (the previous generation retired after each) and with a history that only grows
 * (no retirement), and rewrap against decrypt followed by encrypt, in process.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { createLocalDynamoDbClient, EVENTS_ATTR, SNAPSHOTS_ATTR, tableNames } from '@keyledger/dynamodb';
import { tenantStreamId } from '@keyledger/domain';
import { freePort, runCli, stackEnv, startServer } from '../support/localProcess';
import type { keyledgerInProcess } from './contenders';
import { median, opsPerSecond } from './measure';

const STEADY_REKEYS = 500;
const GROWING_REKEYS = 300;
const SCOPES = 'read:encryption_keys create:encryption_keys update:encryption_keys delete:encryption_keys';

interface Key {
  kid: string;
  type: string;
  state: string;
}

export interface LifecycleResults {
  steady: {
    rekeys: number;
    /** The 10th and the last rekey, as measured, and as the median of the 10 around each (one sample is one GC pause away from noise). */
    rekey_10_ms: number;
    rekey_last_ms: number;
    ratio_last_to_10th: number;
    rekey_10_median_ms: number;
    rekey_last_median_ms: number;
    median_ratio_last_to_10th: number;
    first_10_mean_ms: number;
    last_10_mean_ms: number;
    ratio_last_10_to_2_11: number;
    /** The same at 300 rekeys (the check). */
    ratio_291_300_to_2_11: number;
    snapshot_bytes: number;
  };
  growing: { rekeys: number; live_keys: number; rekey_first_ms: number; rekey_last_ms: number; total_s: number; snapshot_bytes: number; load_tail_commits: number };
  rewrap: { rewrap_1k_ops: number; decrypt_encrypt_1k_ops: number; ratio: number };
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Rekeys over HTTP against a fresh local server; fails on any non-2xx. */
export async function measureLifecycleOverHttp(): Promise<Pick<LifecycleResults, 'steady' | 'growing'>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'keyledger-bench-lifecycle-'));
  const dynamodbPort = await freePort();
  const env = { ...stackEnv(await freePort(), dataDir), KEYLEDGER_RETIRE_QUIET_PERIOD: 'PT0S', KEYLEDGER_DYNAMODB_PORT: String(dynamodbPort) };
  const server = await startServer(env);
  const dynamodb = createLocalDynamoDbClient(`http://127.0.0.1:${dynamodbPort}`);
  const tables = tableNames('keyledger-local');
  try {
    const tokenFor = async (tenant: string) => (await runCli(['token', '--tenant', tenant, '--scope', SCOPES], env)).stdout.trim();
    const call = async (token: string, method: string, path: string) => {
      const response = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
      if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return response.status === 204 ? undefined : ((await response.json()) as unknown);
    };
    const timedRekey = async (token: string) => {
      const start = performance.now();
      await call(token, 'POST', '/api/v2/keys/encryption/rekey');
      return performance.now() - start;
    };
    const snapshot = async (tenant: string) => {
      const { Item } = await dynamodb.send(new GetItemCommand({ TableName: tables.snapshots, Key: { [SNAPSHOTS_ATTR.streamId]: { S: tenantStreamId(tenant) } }, ConsistentRead: true }));
      return { bytes: Buffer.byteLength(Item?.[SNAPSHOTS_ATTR.state]?.S ?? ''), version: Number(Item?.[SNAPSHOTS_ATTR.version]?.N ?? 0) };
    };
    const commitsAfter = async (tenant: string, version: number) => {
      const { Count } = await dynamodb.send(
        new QueryCommand({
          TableName: tables.events,
          KeyConditionExpression: '#s = :s AND #v > :v',
          ExpressionAttributeNames: { '#s': EVENTS_ATTR.streamId, '#v': EVENTS_ATTR.version },
          ExpressionAttributeValues: { ':s': { S: tenantStreamId(tenant) }, ':v': { N: String(version) } },
          Select: 'COUNT',
        }),
      );
      return Count ?? 0;
    };

    // Steady state: after each rekey, the generation it deactivated is retired.
    const steadyToken = await tokenFor('bench-steady');
    const steady: number[] = [];
    for (let i = 0; i < STEADY_REKEYS; i += 1) {
      const keys = (await call(steadyToken, 'GET', '/api/v2/keys/encryption?per_page=6')) as Key[];
      const previous = keys.filter((key) => key.type === 'tenant-encryption-key' && key.state === 'active').map((key) => key.kid);
      steady.push(await timedRekey(steadyToken));
      for (const kid of previous) await call(steadyToken, 'DELETE', `/api/v2/keys/encryption/${kid}`);
    }

    // A history that only grows: 300 rekeys and no retirement (600 live deactivated namespace keys at the end).
    const growingToken = await tokenFor('bench-growing');
    const started = performance.now();
    const growing: number[] = [];
    for (let i = 0; i < GROWING_REKEYS; i += 1) growing.push(await timedRekey(growingToken));
    const totalS = (performance.now() - started) / 1000;
    const growingSnapshot = await snapshot('bench-growing');
    const pageOne = (await call(growingToken, 'GET', '/api/v2/keys/encryption?per_page=1&include_totals=true')) as { total: number };
    // The listing pages through all of it, newest first, without a gap or a repeat.
    const listed: Key[] = [];
    for (let page = 0; ; page += 1) {
      const keys = (await call(growingToken, 'GET', `/api/v2/keys/encryption?per_page=100&page=${page}`)) as Array<Key & { created_at: string }>;
      if (keys.length === 0) break;
      listed.push(...keys);
    }
    if (listed.length !== pageOne.total || new Set(listed.map((key) => key.kid)).size !== listed.length) {
      throw new Error(`the listing gave ${listed.length} keys (${new Set(listed.map((key) => key.kid)).size} distinct) of ${pageOne.total}`);
    }

    return {
      steady: {
        rekeys: STEADY_REKEYS,
        rekey_10_ms: round(steady[9]!),
        rekey_last_ms: round(steady.at(-1)!),
        ratio_last_to_10th: round(steady.at(-1)! / steady[9]!, 2),
        rekey_10_median_ms: round(median(steady.slice(5, 15))),
        rekey_last_median_ms: round(median(steady.slice(-10))),
        median_ratio_last_to_10th: round(median(steady.slice(-10)) / median(steady.slice(5, 15)), 2),
        first_10_mean_ms: round(mean(steady.slice(1, 11))),
        last_10_mean_ms: round(mean(steady.slice(-10))),
        ratio_last_10_to_2_11: round(mean(steady.slice(-10)) / mean(steady.slice(1, 11)), 2),
        ratio_291_300_to_2_11: round(mean(steady.slice(290, 300)) / mean(steady.slice(1, 11)), 2),
        snapshot_bytes: (await snapshot('bench-steady')).bytes,
      },
      growing: {
        rekeys: GROWING_REKEYS,
        live_keys: pageOne.total - GROWING_REKEYS,
        rekey_first_ms: round(growing[0]!),
        rekey_last_ms: round(growing.at(-1)!),
        total_s: round(totalS),
        snapshot_bytes: growingSnapshot.bytes,
        load_tail_commits: await commitsAfter('bench-growing', growingSnapshot.version),
      },
    };
  } finally {
    dynamodb.destroy();
    await server.stop('SIGTERM');
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Rewrap of a 1 KiB envelope under a deactivated key, against decrypting it and encrypting the plaintext again. */
export async function measureRewrap(keyledger: Awaited<ReturnType<typeof keyledgerInProcess>>, rounds: number, roundMs: number): Promise<LifecycleResults['rewrap']> {
  const request = { tenant: keyledger.tenant, namespace: 'default', encryptionContext: { purpose: 'bench' } };
  const { ciphertext } = await keyledger.dataPlane.encrypt({ ...request, plaintext: randomBytes(1024) });
  await keyledger.keyHierarchy.rekey(keyledger.tenant);
  keyledger.dataPlane.forget(keyledger.tenant, []);
  await keyledger.dataPlane.rewrap({ ...request, ciphertext });
  const rewraps: number[] = [];
  const roundTrips: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    rewraps.push(await opsPerSecond(() => keyledger.dataPlane.rewrap({ ...request, ciphertext }), { durationMs: roundMs }));
    roundTrips.push(
      await opsPerSecond(async () => {
        const plaintext = await keyledger.dataPlane.decrypt({ ...request, ciphertext });
        await keyledger.dataPlane.encrypt({ ...request, plaintext });
      }, { durationMs: roundMs }),
    );
  }
  const rewrap = Math.round(median(rewraps));
  const roundTrip = Math.round(median(roundTrips));
  return { rewrap_1k_ops: rewrap, decrypt_encrypt_1k_ops: roundTrip, ratio: round(rewrap / roundTrip, 2) };
}
