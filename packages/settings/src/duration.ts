import { parse, pattern, type Duration } from 'iso8601-duration';
import * as z from 'zod';

const MAX_DURATION_TEXT = 32;
/** The library's grammar, anchored: its own pattern also matches inside longer texts. */
const WHOLE_DURATION = new RegExp(`^${pattern.source}$`);
const UNIT_MS: Array<[keyof Duration, number]> = [
  ['weeks', 7 * 86_400_000],
  ['days', 86_400_000],
  ['hours', 3_600_000],
  ['minutes', 60_000],
  ['seconds', 1_000],
];

/**
 * An ISO 8601 duration (`P7D`, `PT60S`, `P1DT12H`) in milliseconds, or undefined when it is not
 * one. Years and months are refused: their length depends on the calendar, and keyledger's
 * periods (quiet periods, intervals, retention) must mean the same number of seconds everywhere.
 */
export function durationMs(text: string): number | undefined {
  if (text.length === 0 || text.length > MAX_DURATION_TEXT || !WHOLE_DURATION.test(text.replace(/,/g, '.'))) return undefined;
  let duration: Duration;
  try {
    duration = parse(text);
  } catch {
    return undefined;
  }
  if (text.endsWith('T') || (duration.years ?? 0) > 0 || (duration.months ?? 0) > 0) return undefined;
  return Math.round(UNIT_MS.reduce((sum, [unit, ms]) => sum + (duration[unit] ?? 0) * ms, 0));
}

/** Formats milliseconds as the shortest ISO 8601 duration of days, hours, minutes and seconds. */
export function formatDuration(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  let rest = ms - days * 86_400_000;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  const seconds = (rest - minutes * 60_000) / 1000;
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds ? `${seconds}S` : ''}`;
  if (!days && !time) return 'PT0S';
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}

/** A zod schema for an ISO 8601 duration text, parsed to milliseconds within [min, max]. */
export function isoDuration({ minMs = 0, maxMs }: { minMs?: number; maxMs: number }) {
  return z.string().transform((text, context) => {
    const ms = durationMs(text);
    if (ms === undefined) {
      context.addIssue({ code: 'custom', message: 'must be an ISO 8601 duration of weeks, days, hours, minutes and seconds, e.g. P7D or PT60S' });
      return z.NEVER;
    }
    if (ms < minMs || ms > maxMs) {
      context.addIssue({ code: 'custom', message: `must be between ${formatDuration(minMs)} and ${formatDuration(maxMs)}` });
      return z.NEVER;
    }
    return ms;
  });
}
