import { LOG_ID_PATTERN } from '@keyledger/audit-log';
import { booleanParameter, wholeNumberParameter } from '@keyledger/http';
import * as z from 'zod';
import { SORTABLE_FIELDS } from './logSearch';

export { noQuery } from '@keyledger/http';

const searchQuery = z.string().max(2_000).optional();

/** Auth0's GET /api/v2/logs parameters; `search` is what the current Auth0 SDKs send for `q`. */
export const listLogsQuery = z
  .object({
    q: searchQuery,
    search: searchQuery,
    page: wholeNumberParameter('page', { min: 0, max: 999 }).optional(),
    per_page: wholeNumberParameter('per_page', { min: 0, max: 100 }).optional(),
    include_totals: booleanParameter('include_totals').optional(),
    sort: z
      .enum(
        SORTABLE_FIELDS.flatMap((field) => [`${field}:1`, `${field}:-1`]),
        { message: `sort must be <field>:1 or <field>:-1, the field one of ${SORTABLE_FIELDS.join(', ')}` },
      )
      .optional(),
    fields: z
      .string()
      .regex(/^[a-z_]+(,[a-z_]+)*$/, 'fields must be a comma-separated list of field names')
      .optional(),
    include_fields: booleanParameter('include_fields').optional(),
    from: z.string().regex(LOG_ID_PATTERN, 'from must be a log_id').optional(),
    take: wholeNumberParameter('take', { min: 1, max: 100 }).optional(),
  })
  .strict()
  .refine((query) => query.q === undefined || query.search === undefined, { message: 'send the search as q or as search, not both', path: ['search'] });

export const logIdPath = z.object({
  id: z.string().regex(LOG_ID_PATTERN, 'id must be a log_id'),
});
