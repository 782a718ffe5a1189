import { logQuery } from './logFilters';

describe('logQuery', () => {
  it('joins the filters the API understands', () => {
    expect(logQuery({ type: '', from: '', to: '', search: '' })).toBe('');
    expect(logQuery({ type: 'sapi', from: '2026-11-01', to: '', search: '  rekey ' })).toBe('type:sapi AND date:[2026-11-01 TO *] AND rekey');
    expect(logQuery({ type: '', from: '', to: '2026-11-30', search: '' })).toBe('date:[* TO 2026-11-30]');
  });
});
