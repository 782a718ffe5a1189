import { readSettings, type Environment } from '@keyledger/settings';
import { DEFAULT_DATA_PLANE_LIMITS, type DataPlaneLimits } from './limits';

const LIMIT_SETTINGS = ['keyStateTtlMs', 'namespaceKeyTtlMs', 'maxNamespaceKeys', 'dataKeyMaxMessages', 'dataKeyMaxBytes', 'dataKeyMaxAgeMs'] as const;

/**
 * The data plane's cache settings, read once at start-up; unset ones take the defaults of
 * limits.ts. The per-key message limit cannot exceed NIST SP 800-38D's 2^32 invocations for
 * random IVs (the setting's schema says so).
 */
export function readDataPlaneLimits(env: Environment): DataPlaneLimits {
  const settings = readSettings(LIMIT_SETTINGS, env);
  const limits: DataPlaneLimits = { ...DEFAULT_DATA_PLANE_LIMITS };
  for (const name of LIMIT_SETTINGS) {
    const value = settings[name];
    if (value !== undefined) limits[name] = value;
  }
  return limits;
}
