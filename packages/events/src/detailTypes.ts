/** Every event type keyledger publishes, with no dependency: the dashboard's audit filter imports it too (`@keyledger/events/detail-types`). */
export const DETAIL_TYPES = [
  'kms_key_state_changed',
  'kms_key_management_success',
  'kms_key_management_failure',
  'sapi',
  'fapi',
  'job_progress',
  'destruction_requested',
  'destruction_approved',
  'destruction_cancelled',
  'destruction_executed',
  'destruction_failed',
  'secret_rotated',
  'secret_accessed',
  'secret_access_rules_changed',
] as const;
