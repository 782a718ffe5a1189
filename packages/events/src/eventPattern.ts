import * as z from 'zod';

/**
 * EventBridge event patterns, for the in-process bus: the subset keyledger's local rules need,
 * with EventBridge's semantics. A pattern is an object whose leaves are arrays of matchers
 * (any one matches); every field of the pattern must match; an array field in the event matches
 * when any of its elements does. Matchers: a literal (string, number, boolean, null), `prefix`,
 * `suffix`, `equals-ignore-case`, `anything-but` (literal, list or `{prefix}`), `exists` and `numeric`.
 */
export type EventPattern = { [field: string]: EventPattern | Matcher[] };

type Literal = string | number | boolean | null;
type Matcher =
  | Literal
  | { prefix: string }
  | { suffix: string }
  | { 'equals-ignore-case': string }
  | { 'anything-but': Literal | Literal[] | { prefix: string } }
  | { exists: boolean }
  | { numeric: (string | number)[] };

const literal = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const matcher = z.union([
  literal,
  z.strictObject({ prefix: z.string() }),
  z.strictObject({ suffix: z.string() }),
  z.strictObject({ 'equals-ignore-case': z.string() }),
  z.strictObject({ 'anything-but': z.union([literal, z.array(literal).min(1), z.strictObject({ prefix: z.string() })]) }),
  z.strictObject({ exists: z.boolean() }),
  z.strictObject({ numeric: z.array(z.union([z.string(), z.number()])).min(2).max(4) }),
]);
export class InvalidEventPatternError extends Error {
  readonly code = 'invalid_event_pattern';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventPatternError';
  }
}

function assertPattern(pattern: unknown, path: string): asserts pattern is EventPattern {
  if (pattern === null || typeof pattern !== 'object' || Array.isArray(pattern)) {
    throw new InvalidEventPatternError(`${path || 'The pattern'} must be an object.`);
  }
  const entries = Object.entries(pattern);
  if (entries.length === 0) throw new InvalidEventPatternError(`${path || 'The pattern'} needs at least one field.`);
  for (const [field, rule] of entries) {
    const where = path ? `${path}.${field}` : field;
    if (Array.isArray(rule)) {
      if (rule.length === 0) throw new InvalidEventPatternError(`${where} needs at least one matcher.`);
      rule.forEach((candidate, index) => {
        if (!matcher.safeParse(candidate).success) {
          throw new InvalidEventPatternError(`${where}[${index}] is not a supported matcher: ${JSON.stringify(candidate)}.`);
        }
      });
    } else if (rule !== null && typeof rule === 'object') {
      assertPattern(rule, where);
    } else {
      throw new InvalidEventPatternError(`${where} must be an array of matchers or a nested pattern.`);
    }
  }
}

/** Validates a pattern (e.g. from a rules file); the error names the field that is wrong. */
export function parseEventPattern(pattern: unknown): EventPattern {
  assertPattern(pattern, '');
  return pattern;
}

const NUMERIC_OPERATORS: Record<string, (a: number, b: number) => boolean> = {
  '=': (a, b) => a === b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

function matchesNumeric(conditions: (string | number)[], value: unknown): boolean {
  if (typeof value !== 'number') return false;
  for (let i = 0; i + 1 < conditions.length; i += 2) {
    const compare = NUMERIC_OPERATORS[String(conditions[i])];
    if (!compare || !compare(value, Number(conditions[i + 1]))) return false;
  }
  return true;
}

function matchesValue(rule: Matcher, value: unknown): boolean {
  if (rule === null || typeof rule !== 'object') return value === rule;
  if ('prefix' in rule) return typeof value === 'string' && value.startsWith(rule.prefix);
  if ('suffix' in rule) return typeof value === 'string' && value.endsWith(rule.suffix);
  if ('equals-ignore-case' in rule) return typeof value === 'string' && value.toLowerCase() === rule['equals-ignore-case'].toLowerCase();
  if ('numeric' in rule) return matchesNumeric(rule.numeric, value);
  if ('anything-but' in rule) {
    const excluded = rule['anything-but'];
    if (excluded !== null && typeof excluded === 'object' && !Array.isArray(excluded)) {
      return typeof value === 'string' && !value.startsWith(excluded.prefix);
    }
    return !(Array.isArray(excluded) ? excluded : [excluded]).includes(value as Literal);
  }
  return false; // `exists` is decided on the field, not on a value
}

function matchesField(rules: Matcher[], present: boolean, value: unknown): boolean {
  return rules.some((rule) => {
    if (rule !== null && typeof rule === 'object' && 'exists' in rule) return rule.exists === present;
    if (!present) return false;
    const values = Array.isArray(value) ? value : [value];
    return values.some((candidate) => matchesValue(rule, candidate));
  });
}

/** Whether an event (EventBridge shape: `source`, `detail-type`, `detail`, ...) matches a pattern. */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  const fields = event !== null && typeof event === 'object' ? (event as Record<string, unknown>) : {};
  return Object.entries(pattern).every(([field, rule]) => {
    const present = Object.prototype.hasOwnProperty.call(fields, field) && fields[field] !== undefined;
    if (Array.isArray(rule)) return matchesField(rule, present, fields[field]);
    const nested = fields[field];
    if (!present || nested === null || typeof nested !== 'object' || Array.isArray(nested)) {
      // Only `exists: false` leaves can match below a missing object.
      return matchesPattern(rule, {});
    }
    return matchesPattern(rule, nested);
  });
}
