import { z } from 'zod';

const integerParameter = (name: string, { min, max, fallback }: { min: number; max?: number; fallback: number }) =>
  z
    .string()
    .regex(/^\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .pipe(max === undefined ? z.number().int().min(min) : z.number().int().min(min).max(max, `${name} must be at most ${max}`))
    .optional()
    .transform((value) => value ?? fallback);

/** Auth0 pagination: page from 0, per_page 1..100 (default 50), include_totals. */
export const listKeysQuery = z
  .object({
    page: integerParameter('page', { min: 0, fallback: 0 }),
    per_page: integerParameter('per_page', { min: 1, max: 100, fallback: 50 }),
    include_totals: z
      .enum(['true', 'false'], { message: 'include_totals must be true or false' })
      .optional()
      .transform((value) => value === 'true'),
  })
  .strict();

export const kidPath = z.object({
  kid: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_.:-]+$/, 'kid may hold only letters, digits and . _ : -'),
});

export const noQuery = z.object({}).strict();
