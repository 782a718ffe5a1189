import { InvalidArgumentError } from 'commander';
import { parseInstant } from '@keyledger/settings';

/** Option parser for whole numbers (pages, sizes, seconds, milliseconds). */
export function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number.');
  return Number(value);
}

/** Option parser for an instant: ISO 8601 with a time zone only (what the API takes), never what `Date` would guess. */
export function instant(value: string): Date {
  const parsed = parseInstant(value);
  if ('error' in parsed) throw new InvalidArgumentError(`${parsed.error}.`);
  return parsed.instant;
}
