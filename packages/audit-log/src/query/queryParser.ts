import type { GlobChar } from './globMatcher';
import { LogQueryError } from './queryErrors';

export type QueryNode =
  | { kind: 'term'; field: string; chars: GlobChar[]; quoted: boolean }
  | { kind: 'range'; field: string; min: string; max: string; includeMin: boolean; includeMax: boolean }
  | { kind: 'not'; operand: QueryNode }
  | { kind: 'and'; operands: QueryNode[] }
  | { kind: 'or'; operands: QueryNode[] };

/** What one query may hold: checked while parsing, before any entry is read. */
export const QUERY_LIMITS = {
  /** Terms and ranges. */
  clauses: 32,
  /** `*` and `?` over the whole query. */
  wildcards: 32,
  /** Parentheses and field groups inside each other. */
  depth: 8,
  /** Characters of one term, phrase or range bound. */
  termLength: 256,
} as const;

type Occur = 'should' | 'must' | 'mustNot';
interface Clause {
  node: QueryNode;
  occur: Occur;
}

const STOP = new Set([' ', '\t', '\n', '\r', '(', ')', '"', '[', ']', '{', '}']);
const isSpace = (char: string | undefined) => char === ' ' || char === '\t' || char === '\n' || char === '\r';

/**
 * A recursive-descent parser for the Lucene query syntax of Auth0's log search: `field:term`,
 * `field:"phrase"`, `field:(a OR b)`, `field:[min TO max]` (`{}` exclusive, `*` open), `*` and
 * `?` wildcards, `\` escapes, `AND`/`&&`, `OR`/`||`, `NOT`/`!`, `+`/`-` and parentheses, with
 * Lucene's boolean semantics: terms side by side (or joined by OR) are optional clauses, of which
 * one must match; `+` and both sides of AND are required (and then the optional ones do not
 * matter); `-` and NOT exclude.
 * It reads each character once (no backtracking), so its time is linear in the query, and it
 * refuses a query over QUERY_LIMITS. Regular expressions, fuzzy (`~`) and boosts (`^`) are refused.
 */
/** The field of a term without one (`sapi`, `"Rekey the tenant"`): Auth0 matches it against several fields. */
export const BARE_TERM_FIELD = '';

export function parseQuery(q: string, fields: ReadonlySet<string>): QueryNode {
  return new Parser(q, fields).parse();
}

class Parser {
  private pos = 0;
  private clauses = 0;
  private wildcards = 0;

  constructor(
    private readonly q: string,
    private readonly fields: ReadonlySet<string>,
  ) {}

  parse(): QueryNode {
    const node = this.sequence(0, undefined);
    this.skipSpace();
    if (this.pos < this.q.length) throw this.error(`unexpected '${this.q[this.pos]}'`);
    return node;
  }

  /** Clauses side by side (or joined by OR) up to the end or a closing parenthesis. */
  private sequence(depth: number, field: string | undefined): QueryNode {
    const clauses: Clause[] = [];
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.q.length || this.peek() === ')') break;
      if (clauses.length > 0 && (this.keyword('OR') || this.symbol('||'))) this.skipSpace();
      clauses.push(this.conjunction(depth, field));
    }
    if (clauses.length === 0) throw this.error('expected a search term');
    return combine(clauses);
  }

  /** Clauses joined by AND. */
  private conjunction(depth: number, field: string | undefined): Clause {
    const first = this.clause(depth, field);
    const operands = [first];
    for (;;) {
      const before = this.pos;
      this.skipSpace();
      if (!(this.keyword('AND') || this.symbol('&&'))) {
        this.pos = before;
        break;
      }
      operands.push(this.clause(depth, field));
    }
    if (operands.length === 1) return first;
    // As in Lucene, AND makes the clauses on both sides required.
    return { node: { kind: 'and', operands: operands.map(applyOccur) }, occur: 'must' };
  }

  private clause(depth: number, field: string | undefined): Clause {
    this.skipSpace();
    let negations = 0;
    while (this.keyword('NOT') || this.symbol('!')) {
      negations += 1;
      this.skipSpace();
    }
    for (const operator of ['AND', 'OR'] as const) {
      if (this.keyword(operator, false)) throw this.error(`'${operator}' needs a search term on each side`);
    }
    let occur: Occur = 'should';
    if (this.peek() === '+' || this.peek() === '-') {
      occur = this.peek() === '+' ? 'must' : 'mustNot';
      this.pos += 1;
    }
    if (this.pos >= this.q.length) throw this.error(negations > 0 || occur !== 'should' ? 'expected a search term after the operator' : 'expected a search term');
    const node = this.primary(depth, field);
    // As in Lucene, NOT is the same as -: the clause must not match (NOT -a: a is a plain clause again).
    if (negations % 2 === 1) occur = occur === 'mustNot' ? 'should' : 'mustNot';
    return { node, occur };
  }

  private primary(depth: number, field: string | undefined): QueryNode {
    const char = this.peek();
    if (char === '(') return this.group(depth, field);
    if (char === ')') throw this.error("unexpected ')'");
    if (char === '"') return this.phrase(field ?? BARE_TERM_FIELD);
    if (char === '[' || char === '{') return this.range(this.need(field));
    if (char === '/') throw this.error('regular expressions are not supported; use * and ? wildcards');
    const start = this.pos;
    const chars = this.word(false);
    if (this.peek() !== ':') return this.term(field ?? BARE_TERM_FIELD, chars);
    const name = this.q.slice(start, this.pos);
    this.pos += 1;
    if (chars.some((c) => c.wildcard) || !this.fields.has(name)) {
      throw new LogQueryError(`cannot search on '${name.slice(0, 64)}'; searchable fields are ${[...this.fields].join(', ')}.`);
    }
    const next = this.peek();
    if (next === '(') return this.group(depth, name);
    if (next === '"') return this.phrase(name);
    if (next === '[' || next === '{') return this.range(name);
    if (next === '/') throw this.error('regular expressions are not supported; use * and ? wildcards');
    if (next === undefined || isSpace(next)) throw this.error(`expected a value after '${name}:'`);
    return this.term(name, this.word(true));
  }

  private group(depth: number, field: string | undefined): QueryNode {
    if (depth + 1 > QUERY_LIMITS.depth) throw new LogQueryError(`too deeply nested: at most ${QUERY_LIMITS.depth} levels of parentheses.`);
    this.pos += 1;
    const node = this.sequence(depth + 1, field);
    if (this.peek() !== ')') throw this.error("expected ')'");
    this.pos += 1;
    return node;
  }

  /** A bare word; in a value, `:` is an ordinary character (dates: `date:2026-11-23T10:00:00Z`). */
  private word(value: boolean): GlobChar[] {
    const chars: GlobChar[] = [];
    while (this.pos < this.q.length) {
      const char = this.q[this.pos]!;
      if (STOP.has(char) || (char === ':' && !value)) break;
      if (char === '^' || char === '~') throw this.error(`boosts (^) and fuzzy searches (~) are not supported; escape it as \\${char}`);
      if (char === '\\') chars.push({ char: this.escaped(), wildcard: false });
      else {
        chars.push({ char, wildcard: char === '*' || char === '?' });
        this.pos += 1;
      }
      this.limitLength(chars.length);
    }
    if (chars.length === 0) throw this.error('expected a search term');
    return chars;
  }

  private phrase(field: string): QueryNode {
    this.pos += 1;
    const chars: GlobChar[] = [];
    for (;;) {
      const char = this.q[this.pos];
      if (char === undefined) throw this.error('a quoted phrase is not closed');
      if (char === '"') break;
      if (char === '\\') chars.push({ char: this.escaped(), wildcard: false });
      else {
        chars.push({ char, wildcard: false });
        this.pos += 1;
      }
      this.limitLength(chars.length);
    }
    this.pos += 1;
    this.countClause();
    return { kind: 'term', field, chars, quoted: true };
  }

  private range(field: string): QueryNode {
    const includeMin = this.q[this.pos] === '[';
    this.pos += 1;
    this.skipSpace();
    const min = this.bound();
    this.skipSpace();
    if (!this.keyword('TO')) throw this.error("a range needs 'TO' between its bounds: [min TO max]");
    this.skipSpace();
    const max = this.bound();
    this.skipSpace();
    const close = this.peek();
    if (close !== ']' && close !== '}') throw this.error("a range ends with ']' (inclusive) or '}' (exclusive)");
    this.pos += 1;
    this.countClause();
    return { kind: 'range', field, min, max, includeMin, includeMax: close === ']' };
  }

  private bound(): string {
    let text = '';
    while (this.pos < this.q.length) {
      const char = this.q[this.pos]!;
      if (isSpace(char) || char === ']' || char === '}' || char === '[' || char === '{') break;
      if (char === '\\') text += this.escaped();
      else {
        text += char;
        this.pos += 1;
      }
      this.limitLength(text.length);
    }
    if (text === '') throw this.error('expected a range bound (a value, or * for none)');
    return text;
  }

  private term(field: string, chars: GlobChar[]): QueryNode {
    this.countClause();
    this.wildcards += chars.filter((c) => c.wildcard).length;
    if (this.wildcards > QUERY_LIMITS.wildcards) throw new LogQueryError(`too many wildcards: at most ${QUERY_LIMITS.wildcards} * and ? in one query.`);
    return { kind: 'term', field, chars, quoted: false };
  }

  private escaped(): string {
    const char = this.q[this.pos + 1];
    if (char === undefined) throw this.error('the query ends with a lone backslash');
    this.pos += 2;
    return char;
  }

  private need(field: string | undefined): string {
    if (field === undefined) throw new LogQueryError('name the field of a range, e.g. date:[2026-11-01 TO *].');
    return field;
  }

  private countClause(): void {
    this.clauses += 1;
    if (this.clauses > QUERY_LIMITS.clauses) throw new LogQueryError(`too many terms: at most ${QUERY_LIMITS.clauses} terms and ranges in one query.`);
  }

  private limitLength(length: number): void {
    if (length > QUERY_LIMITS.termLength) throw new LogQueryError(`a term is longer than ${QUERY_LIMITS.termLength} characters.`);
  }

  /** Consumes an operator word (followed by a space, a parenthesis or the end). */
  private keyword(word: string, consume = true): boolean {
    if (!this.q.startsWith(word, this.pos)) return false;
    const after = this.q[this.pos + word.length];
    if (after !== undefined && !isSpace(after) && after !== '(') return false;
    if (consume) this.pos += word.length;
    return true;
  }

  private symbol(text: string): boolean {
    if (!this.q.startsWith(text, this.pos)) return false;
    this.pos += text.length;
    return true;
  }

  private skipSpace(): void {
    while (isSpace(this.q[this.pos])) this.pos += 1;
  }

  private peek(): string | undefined {
    return this.q[this.pos];
  }

  private error(what: string): LogQueryError {
    return new LogQueryError(`not a valid search query: ${what} at position ${this.pos + 1}.`);
  }
}

function applyOccur(clause: Clause): QueryNode {
  return clause.occur === 'mustNot' ? { kind: 'not', operand: clause.node } : clause.node;
}

/** Lucene's boolean clauses: every `+` and no `-`; without `+`, also one of the plain clauses. */
function combine(clauses: Clause[]): QueryNode {
  if (clauses.length === 1) return applyOccur(clauses[0]!);
  const must = clauses.filter((c) => c.occur === 'must').map((c) => c.node);
  const should = clauses.filter((c) => c.occur === 'should').map((c) => c.node);
  const mustNot = clauses.filter((c) => c.occur === 'mustNot').map((c) => ({ kind: 'not', operand: c.node }) as QueryNode);
  const positive = must.length > 0 ? must : should.length === 0 ? [] : should.length === 1 ? should : [{ kind: 'or', operands: should } as QueryNode];
  const all = [...positive, ...mustNot];
  return all.length === 1 ? all[0]! : { kind: 'and', operands: all };
}
