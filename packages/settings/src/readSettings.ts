import type { z } from 'zod';
import { SETTINGS, type SettingName, type SettingValues } from './settings';

export type Environment = Record<string, string | undefined>;

/** A configuration that does not parse; the message lists every problem with its variable's name. */
export class ConfigurationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigurationError';
  }
}

/**
 * Reads the named settings from the environment once, at start-up: every value parsed with its
 * schema, every problem reported at once under its variable's name (fail fast).
 */
export function readSettings<K extends SettingName>(names: readonly K[], env: Environment): SettingValues<K> {
  const values: Partial<Record<K, unknown>> = {};
  const problems: string[] = [];
  for (const name of names) {
    const { env: variable, schema } = SETTINGS[name];
    const parsed = (schema as z.ZodType).safeParse(env[variable]);
    if (parsed.success) values[name] = parsed.data;
    else problems.push(...parsed.error.issues.map((issue) => `${variable}: ${issue.message}`));
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  return values as SettingValues<K>;
}

/** A requirement between settings (e.g. a PIN when the store is pkcs11), reported like a bad value. */
export function requireSetting(condition: boolean, name: SettingName, message: string): void {
  if (!condition) throw new ConfigurationError([`${SETTINGS[name].env}: ${message}`]);
}

/** The environment variables for the given setting texts, for a Lambda function's configuration (CDK). */
export function settingsEnvironment(values: Partial<Record<SettingName, string>>): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(values) as Array<[SettingName, string | undefined]>) {
    if (value !== undefined) environment[SETTINGS[name].env] = value;
  }
  return environment;
}

/** The environment variable of a setting (for messages and documentation). */
export const envName = (name: SettingName) => SETTINGS[name].env;
