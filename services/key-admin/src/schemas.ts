import { booleanParameter, wholeNumberParameter } from '@keyledger/http';
import { z } from 'zod';

export { noQuery } from '@keyledger/http';

/** Auth0 pagination: page from 0, per_page 1..100 (default 50), include_totals. */
export const listKeysQuery = z
  .object({
    page: wholeNumberParameter('page', { min: 0 }).default(0),
    per_page: wholeNumberParameter('per_page', { min: 1, max: 100 }).default(50),
    include_totals: booleanParameter('include_totals').default(false),
  })
  .strict();

export const kidPath = z.object({
  kid: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_.:-]+$/, 'kid may hold only letters, digits and . _ : -'),
});
