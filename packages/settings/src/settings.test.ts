import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { durationMs, formatDuration } from './duration';
import { ConfigurationError, readSettings, settingsEnvironment } from './readSettings';
import { SETTINGS, type SettingName } from './settings';

describe('settings', () => {
  it('are read by name from their variables, with defaults, and every problem is named at once', () => {
    expect(readSettings(['namespaces', 'retireQuietPeriod', 'port'], { KEYLEDGER_NAMESPACES: 'a, b,a', KEYLEDGER_PORT: '9000' })).toEqual({
      namespaces: ['a', 'b'],
      retireQuietPeriod: 7 * 86_400_000,
      port: 9000,
    });
    const read = () => readSettings(['port', 'retireQuietPeriod', 'eventsTable'], { KEYLEDGER_PORT: 'x', KEYLEDGER_RETIRE_QUIET_PERIOD: '7 days' });
    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow(/KEYLEDGER_PORT: must be a whole number[\s\S]*KEYLEDGER_RETIRE_QUIET_PERIOD: must be an ISO 8601 duration[\s\S]*KEYLEDGER_EVENTS_TABLE: is required/);
  });

  it('give the CDK app the environment of a function, by setting name', () => {
    expect(settingsEnvironment({ eventsTable: 'keyledger-prod-Events', retireQuietPeriod: 'P3D', namespaces: undefined })).toEqual({
      KEYLEDGER_EVENTS_TABLE: 'keyledger-prod-Events',
      KEYLEDGER_RETIRE_QUIET_PERIOD: 'P3D',
    });
  });

  it('are all in the README (the tables are set by the CDK app, each function its own)', () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    const documented = (Object.keys(SETTINGS) as SettingName[]).filter((name) => !name.endsWith('Table') && name !== 'eventBusName');
    expect(documented.filter((name) => !readme.includes(SETTINGS[name].env))).toEqual([]);
  });
});

describe('ISO 8601 durations', () => {
  it.each([
    ['P7D', 7 * 86_400_000],
    ['PT60S', 60_000],
    ['PT0S', 0],
    ['P1DT12H', 36 * 3_600_000],
    ['P2W', 14 * 86_400_000],
    ['PT1.5S', 1_500],
  ])('reads %s', (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });

  it.each(['', 'P', 'PT', '7D', 'P1M', 'P1Y', 'xP7D', 'P7Dx', 'P7D ', `P${'9'.repeat(40)}D`])('refuses %j', (text) => {
    expect(durationMs(text)).toBeUndefined();
  });

  it('formats milliseconds back as the shortest duration', () => {
    expect([0, 60_000, 7 * 86_400_000, 36 * 3_600_000 + 1_500].map(formatDuration)).toEqual(['PT0S', 'PT1M', 'P7D', 'P1DT12H1.5S']);
  });
});
