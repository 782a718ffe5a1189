import { z } from 'zod';

const whole = (name: string, { min, max }: { min: number; max: number }) =>
  z
    .string()
    .regex(/^\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .pipe(z.number().int().min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`));

const bool = (name: string) => z.enum(['true', 'false'], { message: `${name} must be true or false` }).transform((value) => value === 'true');

/** Auth0's GET /api/v2/logs parameters. */
export const listLogsQuery = z
  .object({
    q: z.string().max(2_000).optional(),
    page: whole('page', { min: 0, max: 999 }).optional(),
    per_page: whole('per_page', { min: 1, max: 100 }).optional(),
    include_totals: bool('include_totals').optional(),
    sort: z.enum(['date:1', 'date:-1'], { message: 'sort must be date:1 or date:-1' }).optional(),
    fields: z
      .string()
      .regex(/^[a-z_]+(,[a-z_]+)*$/, 'fields must be a comma-separated list of field names')
      .optional(),
    include_fields: bool('include_fields').optional(),
    from: z.string().regex(/^\d{20}[0-9a-f]{32}$/, 'from must be a log_id').optional(),
    take: whole('take', { min: 1, max: 100 }).optional(),
  })
  .strict();

export const logIdPath = z.object({
  id: z.string().regex(/^\d{20}[0-9a-f]{32}$/, 'id must be a log_id'),
});

export const noQuery = z.object({}).strict();
