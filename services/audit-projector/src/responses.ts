import { LOG_ID_PATTERN } from '@keyledger/audit-log';
import { DETAIL_TYPES } from '@keyledger/events';
import { responsesOf } from '@keyledger/http';
import * as z from 'zod';
import type { AUDIT_PROJECTOR_CONTRACT } from './contract';

const logId = z.string().regex(LOG_ID_PATTERN);

/** A tenant log event: Auth0's fields plus its link in the hash chain. */
const logEntry = z.strictObject({
  _id: logId.meta({ description: 'Auth0\'s `_id`: the same value as `log_id`.' }),
  log_id: logId,
  date: z.string().meta({ format: 'date-time' }),
  type: z.enum(DETAIL_TYPES),
  description: z.string(),
  details: z.record(z.string(), z.unknown()),
  client_id: z.string().optional(),
  user_id: z.string().optional(),
  ip: z.string().optional(),
  user_agent: z.string().optional(),
  tenant_name: z.string(),
  environment_name: z.string(),
  integrity: z.strictObject({
    sequence: z.number().int().min(1),
    previous_log_id: logId.nullable(),
    previous_hash: z.string(),
    hash: z.string(),
  }),
});
export const logEntrySchema = logEntry.meta({ id: 'LogEvent' });
/** With `fields`, an entry holds only the fields asked for. */
const projected = logEntry.partial();

const CHAIN_HEAD = 'keyledger: the tenant\'s chain head, `<sequence>;<log_id>;<hash>` (for `keyledger logs verify`).';

/** What each logs operation answers (the OpenAPI document; not bundled into the Lambda). */
export const AUDIT_PROJECTOR_RESPONSES = responsesOf<typeof AUDIT_PROJECTOR_CONTRACT>()({
  listLogs: {
      200: {
        description:
          'A page of log events: a search newest first (with include_totals: `{start, limit, length, total, logs}`), or with from/take the events after `from`, oldest first.',
        schema: z.union([z.array(projected), z.strictObject({ start: z.number().int(), limit: z.number().int(), length: z.number().int(), total: z.number().int(), logs: z.array(projected) })]),
        headers: { 'x-keyledger-chain-head': CHAIN_HEAD, link: 'With from/take: the next checkpoint page, `<...>; rel="next"`.' },
      },
    },
  getLog: { 200: { description: 'One log event.', schema: logEntrySchema } },
});
