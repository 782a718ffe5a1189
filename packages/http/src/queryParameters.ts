import * as z from 'zod';

/** A whole-number query parameter, e.g. `page` or `per_page`; the messages name the parameter. */
export function wholeNumberParameter(name: string, { min, max }: { min: number; max?: number }) {
  const bounded = z.number().int().min(min, `${name} must be at least ${min}`);
  return z
    .string()
    .regex(/^\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .pipe(max === undefined ? bounded : bounded.max(max, `${name} must be at most ${max}`));
}

/** A `true`/`false` query parameter, e.g. `include_totals`. */
export function booleanParameter(name: string) {
  return z.enum(['true', 'false'], { message: `${name} must be true or false` }).transform((value) => value === 'true');
}

/** For routes that take no query parameters: any given is an error that names it. */
export const noQuery = z.object({}).strict();
