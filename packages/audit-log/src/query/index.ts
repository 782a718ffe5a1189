export { parseLogQuery, SEARCH_BUDGET, type LogSearch } from './logQuery';
export { QUERY_LIMITS } from './queryParser';
export { LogQueryError, QueryTooExpensiveError } from './queryErrors';
