import { contracts, noQuery } from '@keyledger/http';
import { listLogsQuery, logIdPath } from './schemas';

/** What each logs operation takes; the handlers validate with it (responses.ts says what they answer). */
export const AUDIT_PROJECTOR_CONTRACT = contracts({
  listLogs: { input: { queryStringParameters: listLogsQuery } },
  getLog: { input: { pathParameters: logIdPath, queryStringParameters: noQuery } },
});
