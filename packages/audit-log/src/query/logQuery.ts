import type { LogEntry } from '../logEntry';
import { compileGlob, matchGlob, type WorkMeter } from './globMatcher';
import { LogQueryError, QueryTooExpensiveError } from './queryErrors';
import { BARE_TERM_FIELD, parseQuery, type QueryNode } from './queryParser';

/**
 * The fields `q` can search: Auth0's sixteen searchable fields, by its names. keyledger's
 * entries have `type`, `date`, `log_id`, `description`, and on API calls `client_id`, `user_id`,
 * `ip` and `user_agent`; a field an entry does not have matches nothing (as in Auth0, where
 * e.g. `connection` is absent from Management API entries).
 */
export const SEARCHABLE_FIELDS = [
  'client_id',
  'client_name',
  'connection',
  'connection_id',
  'description',
  'date',
  'hostname',
  'ip',
  'log_id',
  'organization_id',
  'user_id',
  'user_name',
  'user_agent',
  'strategy',
  'strategy_type',
  'type',
] as const;
/** What a term without a field is matched against (any of them), as in Auth0. */
export const BARE_TERM_FIELDS = ['user_name', 'connection', 'client_name', 'type', 'ip', 'log_id', 'description'] as const;

const readField = (field: string) => (entry: LogEntry) => {
  const value = (entry as unknown as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : undefined;
};
const FIELDS = new Map<string, (entry: LogEntry) => string | undefined>(SEARCHABLE_FIELDS.map((field) => [field, readField(field)]));
const FIELD_NAMES: ReadonlySet<string> = new Set(FIELDS.keys());

/** The work one search may do: characters compared by the matcher, and entries read. */
export const SEARCH_BUDGET = { steps: 5_000_000, entries: 100_000 } as const;

/** A parsed `q`: tests entries, and counts what that costs against its budget. */
export interface LogSearch {
  matches(entry: LogEntry): boolean;
  /** Matcher steps spent so far (each character compared or value read is one). */
  readonly steps: number;
  /** Entries tested so far. */
  readonly entries: number;
}

type Predicate = (entry: LogEntry, meter: WorkMeter) => boolean;

/**
 * Parses Auth0's log search syntax (see queryParser.ts) into a search: `type:sapi`,
 * `type:(sapi OR fapi)`, `type:kms_*`, `date:[2026-11-01 TO 2026-11-30]` (a date-only upper
 * bound includes its whole day), `date:{2026-11-01 TO *}`, `date:2026-11-23`, combined with
 * AND, OR, NOT and parentheses. Wildcards are matched without backtracking (globMatcher.ts);
 * every character compared is charged to a budget, and a search that spends it all, or reads
 * more than SEARCH_BUDGET.entries entries, ends with QueryTooExpensiveError.
 */
export function parseLogQuery(q: string | undefined, budget: { steps: number; entries: number } = SEARCH_BUDGET): LogSearch {
  const predicate: Predicate = q === undefined || q.trim() === '' ? () => true : compile(parseQuery(q, FIELD_NAMES));
  let steps = 0;
  let entries = 0;
  const meter: WorkMeter = {
    spend(count) {
      steps += count;
      if (steps > budget.steps) {
        throw new QueryTooExpensiveError(`Query parameter q: the search is too expensive (over ${budget.steps} matcher steps); use fewer wildcards or narrow it with type: or date:.`);
      }
    },
  };
  return {
    matches(entry) {
      entries += 1;
      if (entries > budget.entries) {
        throw new QueryTooExpensiveError(`Query parameter q: the search read ${budget.entries} entries without filling the page; narrow it with date:[... TO ...] or read with from/take checkpoints.`);
      }
      return predicate(entry, meter);
    },
    get steps() {
      return steps;
    },
    get entries() {
      return entries;
    },
  };
}

function compile(node: QueryNode): Predicate {
  switch (node.kind) {
    case 'term':
      return termPredicate(node);
    case 'range':
      return rangePredicate(node);
    case 'not': {
      const operand = compile(node.operand);
      return (entry, meter) => !operand(entry, meter);
    }
    case 'and': {
      const operands = node.operands.map(compile);
      return (entry, meter) => operands.every((operand) => operand(entry, meter));
    }
    case 'or': {
      const operands = node.operands.map(compile);
      return (entry, meter) => operands.some((operand) => operand(entry, meter));
    }
  }
}

function termPredicate(node: Extract<QueryNode, { kind: 'term' }>): Predicate {
  if (node.field === BARE_TERM_FIELD) {
    const operands = BARE_TERM_FIELDS.map((field) => termPredicate({ ...node, field }));
    return (entry, meter) => operands.some((operand) => operand(entry, meter));
  }
  const read = FIELDS.get(node.field)!;
  const text = node.chars.map((c) => c.char).join('');
  const wildcard = node.chars.some((c) => c.wildcard);
  if (node.field === 'date' && !wildcard) {
    const bounds = dateBounds(text);
    return (entry, meter) => {
      meter.spend(1);
      const time = Date.parse(read(entry) ?? '');
      return time >= bounds.start && time < bounds.end;
    };
  }
  if (wildcard) {
    const glob = compileGlob(node.chars);
    return (entry, meter) => matchGlob(glob, read(entry) ?? '', meter);
  }
  return (entry, meter) => {
    meter.spend(text.length || 1);
    return read(entry) === text;
  };
}

function rangePredicate(node: Extract<QueryNode, { kind: 'range' }>): Predicate {
  const read = FIELDS.get(node.field)!;
  const { includeMin, includeMax } = node;
  if (node.field === 'date') {
    const min = node.min === '*' ? -Infinity : includeMin ? dateBounds(node.min).start : dateBounds(node.min).end;
    const max = node.max === '*' ? Infinity : includeMax ? dateBounds(node.max).end : dateBounds(node.max).start;
    return (entry, meter) => {
      meter.spend(1);
      const time = Date.parse(read(entry) ?? '');
      return time >= min && time < max;
    };
  }
  return (entry, meter) => {
    const value = read(entry) ?? '';
    meter.spend(Math.min(value.length, Math.max(node.min.length, node.max.length)) || 1);
    const aboveMin = node.min === '*' || (includeMin ? value >= node.min : value > node.min);
    const belowMax = node.max === '*' || (includeMax ? value <= node.max : value < node.max);
    return aboveMin && belowMax;
  };
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** [start, end) in ms of a date (a whole UTC day) or a date-time (that millisecond). */
function dateBounds(value: string): { start: number; end: number } {
  if (DATE_ONLY.test(value)) {
    const start = Date.parse(`${value}T00:00:00.000Z`);
    if (!Number.isNaN(start)) return { start, end: start + 86_400_000 };
  }
  const time = value.length <= 40 ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) throw new LogQueryError(`'${value.slice(0, 40)}' is not a date (use YYYY-MM-DD or an ISO 8601 date-time).`);
  return { start: time, end: time + 1 };
}
