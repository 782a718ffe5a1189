/**
 * Hostile log searches against 10,000 entries, in the process that serves them (the
 * audit-projector's handler over dynalite, as the local stack runs it), while the event loop's
 * delay is sampled: the figure the hardening issue targets (p99 <= 100 ms).
 */
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { DynamoDbAuditLogStore, GENESIS_HASH, logIdFor, type LogEntry } from '@keyledger/audit-log';
import { createAuditProjectorHandlers } from '@keyledger/audit-projector';
import { startLocalDynamoDb } from '@keyledger/dynamodb';
import { httpEvent } from '@keyledger/http/testing';
import type { Context } from 'aws-lambda';

const ENTRIES = 10_000;
const SECONDS = 10;
const TENANT = 'bench';

/** Queries that pass the parser and cost the most: wildcards over long, attacker-written fields. */
export const HOSTILE_QUERIES = [
  'log_id:*?*?*?*?*?*?x',
  `log_id:${'*?'.repeat(15)}x`,
  'user_agent:*aaaaaaaaaaaaaaab*',
  `user_agent:${'*a'.repeat(15)}*b`,
  `(${Array.from({ length: 8 }, (_, i) => `user_agent:*a${'a'.repeat(i)}b*`).join(' OR ')}) AND NOT type:sapi`,
];

export interface HostileSearchResults {
  entries: number;
  seconds: number;
  queries: number;
  answered_200: number;
  answered_400: number;
  slowest_query_ms: number;
  event_loop_p99_ms: number;
  event_loop_max_ms: number;
}

function entry(sequence: number): LogEntry {
  return {
    log_id: logIdFor(sequence, randomUUID()),
    date: new Date(Date.UTC(2026, 10, 1) + sequence * 1000).toISOString(),
    type: sequence % 3 === 0 ? 'fapi' : 'sapi',
    description: 'bench entry',
    details: {},
    client_id: `client-${sequence % 17}`,
    ip: '127.0.0.1',
    // A caller chooses its own User-Agent: the worst case for wildcards.
    user_agent: 'a'.repeat(512),
    tenant_name: TENANT,
    environment_name: 'bench',
    integrity: { sequence, previous_log_id: null, previous_hash: GENESIS_HASH, hash: GENESIS_HASH },
  };
}

export async function measureHostileSearch(): Promise<HostileSearchResults> {
  const dynamo = await startLocalDynamoDb();
  try {
    const store = new DynamoDbAuditLogStore({ client: dynamo.client, tableName: dynamo.tables.auditLog });
    for (let start = 1; start <= ENTRIES; start += 50) {
      await Promise.all(Array.from({ length: Math.min(50, ENTRIES - start + 1) }, (_, i) => store.putEntry(TENANT, entry(start + i))));
    }
    const { listLogs } = createAuditProjectorHandlers({ store, tenantClaim: 'tenant_id' });
    const claims = { sub: 'bench', tenant_id: TENANT, scope: 'read:logs' };
    const delay = monitorEventLoopDelay({ resolution: 5 });
    const results = { queries: 0, answered_200: 0, answered_400: 0, slowest_query_ms: 0 };
    delay.enable();
    const deadline = performance.now() + SECONDS * 1000;
    // Two searches at a time, like two attackers; each scans the whole log (include_totals).
    await Promise.all(
      [0, 1].map(async (lane) => {
        for (let i = lane; performance.now() < deadline; i += 2) {
          const q = HOSTILE_QUERIES[i % HOSTILE_QUERIES.length]!;
          const started = performance.now();
          const answer = await listLogs(httpEvent('GET /api/v2/logs', { claims, query: { q, include_totals: 'true' } }), {} as Context);
          results.slowest_query_ms = Math.max(results.slowest_query_ms, performance.now() - started);
          results.queries += 1;
          if (answer.statusCode === 200) results.answered_200 += 1;
          else if (answer.statusCode === 400) results.answered_400 += 1;
          else throw new Error(`hostile search ${q} answered ${answer.statusCode}: ${answer.body}`);
        }
      }),
    );
    delay.disable();
    return {
      entries: ENTRIES,
      seconds: SECONDS,
      ...results,
      slowest_query_ms: Math.round(results.slowest_query_ms),
      event_loop_p99_ms: Math.round((delay.percentile(99) / 1e6) * 10) / 10,
      event_loop_max_ms: Math.round((delay.max / 1e6) * 10) / 10,
    };
  } finally {
    await dynamo.stop();
  }
}
