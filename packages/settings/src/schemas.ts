import { NAMESPACE_PATTERN } from '@keyledger/domain';
import * as z from 'zod';

/** A whole number within [min, max], from its decimal text. */
export function wholeNumber(unit: string, { min, max }: { min: number; max: number }) {
  return z
    .string()
    .regex(/^\d+$/, `must be a whole number of ${unit}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}

export const port = () => wholeNumber('a port number', { min: 0, max: 65_535 });

export const DEFAULT_NAMESPACES = 'default,secrets';

/** Comma-separated namespace names, each given a key per tenant; duplicates and blanks dropped. */
export const namespaceListSchema = z
  .string()
  .default(DEFAULT_NAMESPACES)
  .transform((value) => [...new Set(value.split(',').map((name) => name.trim()).filter(Boolean))])
  .refine((names) => names.length > 0, 'must name at least one namespace')
  .refine(
    (names) => names.every((name) => NAMESPACE_PATTERN.test(name)),
    'namespaces are 1-63 lowercase letters, digits, - or _, starting with a letter or digit',
  );

export const nonEmpty = () =>
  z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be text') }).min(1, 'must not be empty');

/** An AWS Region's name, such as eu-west-1 (optional). */
export const awsRegion = () => z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS Region such as eu-west-1').optional();
