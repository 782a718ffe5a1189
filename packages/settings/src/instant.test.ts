import { isoInstant, parseInstant } from './instant';

describe('ISO 8601 instants', () => {
  it.each([
    ['2026-06-30T00:00:00Z', '2026-06-30T00:00:00.000Z'],
    ['2026-06-30T00:00:00.123Z', '2026-06-30T00:00:00.123Z'],
    // Finer than a millisecond: dropped, never rounded up past a commit of that millisecond.
    ['2026-06-30T00:00:00.123999Z', '2026-06-30T00:00:00.123Z'],
    ['2026-06-30T02:00:00+02:00', '2026-06-30T00:00:00.000Z'],
    ['2026-06-29T19:30:00-04:30', '2026-06-30T00:00:00.000Z'],
    ['2024-02-29T12:00:00Z', '2024-02-29T12:00:00.000Z'],
  ])('%s is %s', (text, iso) => {
    expect(parseInstant(text)).toEqual({ instant: new Date(iso) });
  });

  it.each([
    ['2026-06-30', /not a date alone/],
    ['2026-06-30T00:00:00', /has no time zone: add Z \(UTC\) or an offset/],
    ['2026-06-30T00:00', /has no time zone/],
    ['2026-06-30T02:00:00 02:00', /has a space where its offset's sign should be: in a query string a \+ means a space, so send it as %2B/],
    ['2026-02-29T00:00:00Z', /must be an ISO 8601 date-time with a time zone/],
    ['2026-06-30T24:00:00Z', /must be an ISO 8601 date-time/],
    ['30 June 2026', /must be an ISO 8601 date-time/],
    ['1782777600000', /must be an ISO 8601 date-time/],
    ['', /must be an ISO 8601 date-time/],
  ])('%j is refused: %s', (text, message) => {
    const parsed = parseInstant(text);
    expect('error' in parsed && parsed.error).toMatch(message);
  });

  it('as a schema: a Date, or an issue that says what is wrong (and what it is for when missing)', () => {
    const schema = isoInstant('the instant to list the keys as of');
    expect(schema.parse('2026-06-30T00:00:00Z')).toEqual(new Date('2026-06-30T00:00:00Z'));
    expect(schema.safeParse(undefined).error?.issues[0]?.message).toMatch(/^is required: the instant to list the keys as of, as an ISO 8601 date-time/);
    expect(schema.safeParse('yesterday').error?.issues[0]?.message).toMatch(/^must be an ISO 8601 date-time/);
  });
});
