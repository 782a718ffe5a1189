import { InvalidArgumentError } from 'commander';

/** Option parser for whole numbers (pages, sizes, seconds, milliseconds). */
export function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number.');
  return Number(value);
}
