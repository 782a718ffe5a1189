import { ValidationError } from '@keyledger/domain';

/** `q` is not a search keyledger can run: a syntax error, an unknown field, or over the query budget. */
export class LogQueryError extends ValidationError {
  readonly errorCode = 'invalid_query_string';

  constructor(message: string) {
    super(`Query parameter q: ${message}`);
  }
}

/** A search that would do more work than one request may (matcher steps or entries scanned). */
export class QueryTooExpensiveError extends ValidationError {
  readonly errorCode = 'query_too_expensive';
}
