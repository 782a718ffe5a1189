import { ValidationError } from '@keyledger/domain';
import { parse, type AstNode, type BinaryNode, type RangeNode, type TermNode } from 'lucene';
import type { LogEntry } from './logEntry';

export type LogPredicate = (entry: LogEntry) => boolean;

/** Fields `q` can search, as Auth0's log search names them. */
const FIELDS: Record<string, (entry: LogEntry) => string | undefined> = {
  type: (entry) => entry.type,
  date: (entry) => entry.date,
  log_id: (entry) => entry.log_id,
  client_id: (entry) => entry.client_id,
  ip: (entry) => entry.ip,
  user_agent: (entry) => entry.user_agent,
};

/**
 * Parses Auth0's log search syntax (Lucene query string) into a predicate: `type:sapi`,
 * `type:(sapi OR fapi)`, `type:kms_*`, `date:[2026-11-01 TO 2026-11-30]` (a date-only upper
 * bound includes its whole day), `date:{2026-11-01 TO *}`, `date:2026-11-23`, combined with
 * AND, OR, NOT and parentheses. As in Lucene, terms side by side are OR'ed.
 */
export function parseLogQuery(q: string | undefined): LogPredicate {
  if (q === undefined || q.trim() === '') return () => true;
  let ast: AstNode;
  try {
    ast = parse(q);
  } catch (error) {
    throw new ValidationError(`Query parameter q: not a valid search query (${(error as Error).message.split('\n')[0]}).`);
  }
  return compile(ast, undefined);
}

function isRange(node: AstNode): node is RangeNode {
  return 'term_min' in node;
}
function isTerm(node: AstNode): node is TermNode {
  return 'term' in node && !('left' in node);
}

function compile(node: AstNode, inheritedField: string | undefined): LogPredicate {
  if (isRange(node)) return rangePredicate(node, fieldOf(node.field, inheritedField));
  if (isTerm(node)) {
    let field = node.field;
    let negate = node.prefix === '-';
    if (field.startsWith('-') || field.startsWith('+')) {
      negate = field.startsWith('-');
      field = field.slice(1);
    }
    const predicate = termPredicate(node, fieldOf(field, inheritedField));
    return negate ? (entry) => !predicate(entry) : predicate;
  }
  const binary = node as BinaryNode;
  const field = binary.field && binary.field !== '<implicit>' ? binary.field : inheritedField;
  const left = compile(binary.left, field);
  const negated = binary.start === 'NOT' || binary.start === '!';
  const leftSide: LogPredicate = negated ? (entry) => !left(entry) : left;
  if (!binary.right) return leftSide;
  const right = compile(binary.right, field);
  switch (binary.operator) {
    case 'AND':
    case '&&':
      return (entry) => leftSide(entry) && right(entry);
    case 'AND NOT':
      return (entry) => leftSide(entry) && !right(entry);
    case 'OR NOT':
      return (entry) => leftSide(entry) || !right(entry);
    default: // OR, ||, and Lucene's implicit operator
      return (entry) => leftSide(entry) || right(entry);
  }
}

function fieldOf(field: string, inherited: string | undefined): string {
  const name = field === '<implicit>' ? inherited : field;
  if (!name) throw new ValidationError('Query parameter q: name the field to search, e.g. type:sapi.');
  if (!FIELDS[name]) {
    throw new ValidationError(`Query parameter q: cannot search on '${name}'; searchable fields are ${Object.keys(FIELDS).join(', ')}.`);
  }
  return name;
}

function termPredicate(node: TermNode, field: string): LogPredicate {
  const read = FIELDS[field]!;
  if (field === 'date' && !/[*?]/.test(node.term)) {
    const bounds = dateBounds(node.term);
    return (entry) => {
      const time = Date.parse(read(entry) ?? '');
      return time >= bounds.start && time < bounds.end;
    };
  }
  if (!node.quoted && /[*?]/.test(node.term)) {
    const pattern = new RegExp(`^${node.term.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    return (entry) => pattern.test(read(entry) ?? '');
  }
  return (entry) => read(entry) === node.term;
}

function rangePredicate(node: RangeNode, field: string): LogPredicate {
  const read = FIELDS[field]!;
  const includeMin = node.inclusive === 'both' || node.inclusive === 'left';
  const includeMax = node.inclusive === 'both' || node.inclusive === 'right';
  if (field === 'date') {
    const min = node.term_min === '*' ? -Infinity : includeMin ? dateBounds(node.term_min).start : dateBounds(node.term_min).end;
    const max = node.term_max === '*' ? Infinity : includeMax ? dateBounds(node.term_max).end : dateBounds(node.term_max).start;
    return (entry) => {
      const time = Date.parse(read(entry) ?? '');
      return time >= min && time < max;
    };
  }
  return (entry) => {
    const value = read(entry) ?? '';
    const aboveMin = node.term_min === '*' || (includeMin ? value >= node.term_min : value > node.term_min);
    const belowMax = node.term_max === '*' || (includeMax ? value <= node.term_max : value < node.term_max);
    return aboveMin && belowMax;
  };
}

/** [start, end) in ms of a date (a whole UTC day) or a date-time (that millisecond). */
function dateBounds(value: string): { start: number; end: number } {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const start = Date.parse(`${value}T00:00:00.000Z`);
    if (!Number.isNaN(start)) return { start, end: start + 86_400_000 };
  }
  const time = Date.parse(value.replace(/\\:/g, ':'));
  if (Number.isNaN(time)) throw new ValidationError(`Query parameter q: '${value}' is not a date (use YYYY-MM-DD or an ISO 8601 date-time).`);
  return { start: time, end: time + 1 };
}
