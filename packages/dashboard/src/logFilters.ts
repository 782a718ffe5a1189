export interface LogFilters {
  type: string;
  /** YYYY-MM-DD (an <input type="date">), or "". */
  from: string;
  to: string;
  search: string;
}

/**
 * The Lucene query of the audit view's filters, in the syntax GET /api/v2/logs takes (its own
 * parser checks it and says what is wrong): a date-only upper bound includes its whole day.
 */
export function logQuery({ type, from, to, search }: LogFilters): string {
  const parts: string[] = [];
  if (type) parts.push(`type:${type}`);
  if (from || to) parts.push(`date:[${from || '*'} TO ${to || '*'}]`);
  if (search.trim()) parts.push(search.trim());
  return parts.join(' AND ');
}
