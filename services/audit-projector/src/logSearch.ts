import canonicalize from 'canonicalize';
import { parseLogQuery, SEARCH_BUDGET, withAuth0Id, type DynamoDbAuditLogStore, type LogEntry } from '@keyledger/audit-log';
import { json, RequestValidationError, type HttpResult } from '@keyledger/http';
import type { ListLogsQuery } from './handlers';

/** Auth0 serves at most the first 1,000 results of a search; checkpoints have no limit. */
const SEARCH_WINDOW = 1_000;
export const DEFAULT_PER_PAGE = 50;
/**
 * Entries per read of a search. Small pages keep each slice of a long search short (the event
 * loop turns between pages); with dynalite in the same process, 1 MB pages held it for 100 ms.
 */
const SEARCH_PAGE_SIZE = 100;

/** The fields Auth0's `sort` takes (`<field>:1` ascending, `<field>:-1` descending). */
export const SORTABLE_FIELDS = [
  'date',
  'connection',
  'client_id',
  'client_name',
  'ip',
  'user_id',
  'user_name',
  'description',
  'user_agent',
  'type',
  'details',
  'strategy',
  'strategy_type',
] as const;
export type SortableField = (typeof SORTABLE_FIELDS)[number];

/**
 * One page of a search, newest first unless `sort` says otherwise. By date, entries stream in
 * log order and the read stops once the page is full. By any other field the newest
 * SEARCH_BUDGET.entries entries are read and only the best `(page + 1) × per_page` matches kept,
 * so memory stays bounded by the 1,000-result window; ties keep log order.
 */
export async function searchPage(store: DynamoDbAuditLogStore, tenant: string, query: ListLogsQuery): Promise<HttpResult> {
  const page = query.page ?? 0;
  const perPage = query.per_page ?? DEFAULT_PER_PAGE;
  if ((page + 1) * perPage > SEARCH_WINDOW) {
    throw new RequestValidationError(`Search results are limited to the first ${SEARCH_WINDOW}; use from/take checkpoints to read further.`, 'invalid_query_string');
  }
  const [field, direction] = (query.sort ?? 'date:-1').split(':') as [SortableField, '1' | '-1'];
  const search = parseLogQuery(query.q ?? query.search);
  const start = page * perPage;
  const byDate = field === 'date';
  const entries = store.entries(tenant, { ascending: byDate && direction === '1', pageSize: SEARCH_PAGE_SIZE });
  let logs: LogEntry[] = [];
  let total = 0;
  if (byDate) {
    for await (const entry of entries) {
      // A full page with its budget of entries read: the total counted so far is a lower bound.
      if (search.entries >= SEARCH_BUDGET.entries && logs.length === perPage) break;
      if (!search.matches(entry)) continue;
      if (total >= start && logs.length < perPage) logs.push(entry);
      total += 1;
      if (!query.include_totals && logs.length === perPage) break;
    }
  } else {
    const keep = start + perPage;
    const order = compareBy(field, direction === '1' ? 1 : -1);
    let best: Array<{ entry: LogEntry; position: number }> = [];
    for await (const entry of entries) {
      // Past the budget of entries read, the sort covers the newest SEARCH_BUDGET.entries (and the total is a lower bound).
      if (search.entries >= SEARCH_BUDGET.entries) break;
      if (!search.matches(entry)) continue;
      best.push({ entry, position: total });
      total += 1;
      if (best.length > 2 * keep + SEARCH_PAGE_SIZE) best = best.sort(order).slice(0, keep);
    }
    logs = best.sort(order).slice(start, keep).map(({ entry }) => entry);
  }
  const shaped = logs.map((entry) => withAuth0Id(project(entry, query.fields, query.include_fields ?? true)));
  return json(200, query.include_totals ? { start, limit: perPage, length: shaped.length, total, logs: shaped } : shaped);
}

const sortValue = (entry: LogEntry, field: SortableField): string => {
  const value = (entry as unknown as Record<string, unknown>)[field];
  if (typeof value === 'string') return value;
  return value === undefined ? '' : (canonicalize(value) ?? '');
};

function compareBy(field: SortableField, sign: 1 | -1) {
  return (a: { entry: LogEntry; position: number }, b: { entry: LogEntry; position: number }) => {
    const x = sortValue(a.entry, field);
    const y = sortValue(b.entry, field);
    return x === y ? a.position - b.position : x < y ? -sign : sign;
  };
}

/** Auth0's fields/include_fields projection. */
function project(entry: LogEntry, fields: string | undefined, include: boolean): Partial<LogEntry> {
  if (!fields) return entry;
  const names = new Set(fields.split(','));
  return Object.fromEntries(Object.entries(entry).filter(([name]) => names.has(name) === include)) as Partial<LogEntry>;
}
