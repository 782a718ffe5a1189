import * as z from 'zod';

const DATE_TIME = z.iso.datetime({ offset: true });
const MAX_INSTANT_TEXT = 64;

/** How an instant is written, for messages and help texts. */
export const ISO_INSTANT_FORMAT = 'an ISO 8601 date-time with a time zone, e.g. 2026-06-30T00:00:00Z or 2026-06-30T02:00:00+02:00';

/**
 * The instant an ISO 8601 date-time names (a calendar date, a time to the second or finer, and
 * `Z` or an offset), to the millisecond (finer digits are dropped: commit times are milliseconds);
 * else a message that says what is wrong. Nothing else `Date` would guess at is taken.
 */
export function parseInstant(text: string): { instant: Date } | { error: string } {
  if (text.length <= MAX_INSTANT_TEXT && DATE_TIME.safeParse(text).success) {
    const instant = new Date(text);
    if (!Number.isNaN(instant.getTime())) return { instant };
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return { error: `must be ${ISO_INSTANT_FORMAT}, not a date alone (which time zone's midnight?)` };
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)) {
    return { error: `has no time zone: add Z (UTC) or an offset such as +02:00 (${ISO_INSTANT_FORMAT})` };
  }
  if (/^\d{4}-\d{2}-\d{2}T[\d:.]+ \d{2}:\d{2}$/.test(text)) {
    return { error: `has a space where its offset's sign should be: in a query string a + means a space, so send it as %2B (${ISO_INSTANT_FORMAT})` };
  }
  return { error: `must be ${ISO_INSTANT_FORMAT}` };
}

/** A zod schema for an instant (see parseInstant), parsed to a Date; `what` says what it is for when it is missing. */
export function isoInstant(what: string) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? `is required: ${what}, as ${ISO_INSTANT_FORMAT}` : `must be a string, as ${ISO_INSTANT_FORMAT}`) })
    .transform((text, context) => {
      const parsed = parseInstant(text);
      if ('error' in parsed) {
        context.addIssue({ code: 'custom', message: parsed.error });
        return z.NEVER;
      }
      return parsed.instant;
    });
}
