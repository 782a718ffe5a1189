import { KEY_CHANGE_CAUSES, KEY_STATES, KEY_TYPES } from '@keyledger/domain';
import * as z from 'zod';
import { DETAIL_TYPES } from './detailTypes';

/**
 * keyledger's public event contract (DESIGN.md, Events). Each event is published on the bus
 * with `Source` = EVENT_SOURCE, `DetailType` = its type, and a `Detail` that starts with the
 * envelope fields below. Additive changes keep `schema_version`; anything else bumps it.
 */
export const EVENT_SOURCE = 'keyledger';
export const SCHEMA_VERSION = 1;

export { DETAIL_TYPES };
export type DetailType = (typeof DETAIL_TYPES)[number];

const envelope = {
  event_id: z.uuid().describe('Unique id of the event. Delivery is at least once: consumers dedupe on it.'),
  tenant: z.string().min(1).describe('The tenant the event belongs to.'),
  occurred_at: z.iso.datetime().describe('When it happened (ISO 8601, UTC).'),
  schema_version: z.literal(SCHEMA_VERSION).describe('Version of this detail schema.'),
};

export const ROOT_KEY_OPERATIONS = [
  'create',
  'create-wrapping-key',
  'wrap',
  'unwrap',
  'import',
  'revert-import',
  'delete-wrapping-key',
  'delete',
  'rekey',
] as const;
export type RootKeyOperationName = (typeof ROOT_KEY_OPERATIONS)[number];

const keyStateChanged = z
  .strictObject({
    ...envelope,
    kid: z.string().min(1).describe('The key whose state changed.'),
    key_type: z.enum(KEY_TYPES),
    from: z.enum(KEY_STATES).nullable().describe('State before the change; null when the key was just created.'),
    to: z.enum(KEY_STATES).describe('State after the change.'),
    cause: z.enum(KEY_CHANGE_CAUSES).describe('The command that changed it.'),
    parent_kid: z.string().nullable().describe('The key wrapping this key when it was created; null for root keys and for later transitions.'),
    namespace: z.string().nullable().describe('Namespace of a tenant-encryption-key; null otherwise.'),
  })
  .describe('A key of the tenant hierarchy was created or changed state.');

const rootKeyOperation = {
  ...envelope,
  operation: z.enum(ROOT_KEY_OPERATIONS).describe('The root key store operation.'),
  key_store: z.string().min(1).describe('The root key store: software, kms or pkcs11.'),
  root_kid: z.string().nullable().describe('The root key used; null when not known.'),
  kid: z.string().nullable().describe('The key wrapped or unwrapped under the root key, when there is one (null for operations on a customer-provided root key itself).'),
  duration_ms: z.number().int().nonnegative(),
  request_id: z.string().nullable().describe('The API request that caused it, when there was one.'),
};

const keyManagementSuccess = z
  .strictObject(rootKeyOperation)
  .describe('A root key store operation succeeded.');

const keyManagementFailure = z
  .strictObject({
    ...rootKeyOperation,
    reason: z
      .string()
      .regex(/^[a-z0-9_]+$/)
      .describe('Stable reason code, e.g. throttled, access_denied, unavailable, invalid_ciphertext. Never key material.'),
  })
  .describe('A root key store operation failed.');

const apiCall = {
  ...envelope,
  request_id: z.string().min(1),
  method: z.string().min(1),
  path: z.string().min(1).describe('The request path as called.'),
  route: z.string().min(1).describe('The route template, e.g. "POST /api/v2/keys/encryption/rekey".'),
  operation: z.string().min(1).describe('What the route does.'),
  status: z.number().int().min(100).max(599),
  actor: z.strictObject({
    sub: z.string().nullable().describe('The token subject.'),
    client_id: z.string().nullable().describe('The OAuth client (azp or client_id claim).'),
    scopes: z.array(z.string()),
  }),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
};

const successApiOperation = z.strictObject(apiCall).describe('A Management API call succeeded (sapi).');

const failedApiOperation = z
  .strictObject({
    ...apiCall,
    error_code: z.string().nullable().describe('The errorCode of the error response.'),
  })
  .describe('A Management API call failed (fapi).');

const jobProgress = z
  .strictObject({
    ...envelope,
    job_id: z.string().min(1).describe('The job (GET /v1/jobs/{id}).'),
    job_type: z.enum(['reencrypt-secrets']).describe('What the job does: reencrypt-secrets moves stored secret versions under the active namespace keys.'),
    state: z.enum(['running', 'succeeded', 'failed']),
    done: z.number().int().nonnegative().describe('Items done so far.'),
    total: z.number().int().nonnegative().describe('Items in all: an estimate while running, exact once finished.'),
    cause: z.enum(['rekey', 'manual']).describe('What started it: a rekey, or POST /v1/secrets/reencrypt.'),
    namespaces: z.array(z.string()).describe('The namespaces it works on.'),
    error: z.string().nullable().describe('Why it failed; null unless failed. Never key material or secret values.'),
  })
  .describe('A background job started (done 0), made progress (at most every few seconds), or finished.');

const destructionRequest = (description: string) =>
  z
    .strictObject({
      ...envelope,
      request_id: z.string().min(1).describe('The destruction request (GET /v1/destruction-requests/{id}).'),
      action: z.enum(['retire_key', 'delete_cprk', 'shred_tenant']).describe('What it destroys.'),
      kids: z.array(z.string()).describe('The keys it names.'),
      state: z.enum(['pending', 'approved', 'cancelled', 'expired', 'executed', 'failed']).describe('The request\'s state after this step.'),
      requested_by: z.strictObject({ sub: z.string(), client_id: z.string().nullable() }).describe('Who asked for it (token subject and client).'),
      approvals: z.array(z.strictObject({ sub: z.string(), at: z.iso.datetime() })).describe('Approvals so far, each by another subject than the requester.'),
      required_approvals: z.number().int().min(0).max(5),
      scheduled_for: z.iso.datetime().describe('Not executed before this instant (the waiting period).'),
      expires_at: z.iso.datetime().describe('Expires at this instant if approvals are still missing.'),
      reason: z.string().nullable().describe('Why it ended: who cancelled it, that it expired, or why its execution failed; null otherwise.'),
    })
    .describe(description);

const secretRef = {
  namespace: z.string().min(1).describe('The namespace of the secret.'),
  name: z.string().min(1).describe('The secret\'s name.'),
};

const secretRotated = z
  .strictObject({
    ...envelope,
    ...secretRef,
    version: z.number().int().positive().describe('The new version: read it to pick up the new value (the event never carries it).'),
    previous_version: z.number().int().positive().nullable().describe('The version before it, still readable while clients roll over; null when there was none.'),
    cause: z.enum(['schedule']).describe('What rotated it: its rotation schedule.'),
    period: z.string().describe('The schedule\'s period (ISO 8601 duration).'),
    due_at: z.iso.datetime().describe('The due time this rotation was for (one rotation per due time, however late).'),
    pruned_versions: z.array(z.number().int().positive()).describe('Older versions deleted by the schedule\'s `keep`.'),
  })
  .describe('A secret was rotated by its schedule: a new random version, announced once per due time.');

const secretAccessed = z
  .strictObject({
    ...envelope,
    ...secretRef,
    version: z.number().int().positive().describe('The version read.'),
    client_id: z.string().nullable().describe('The reader\'s OAuth client (azp or client_id claim).'),
    subject: z.string().nullable().describe('The reader\'s token subject.'),
    reads: z.number().int().positive().describe('Reads counted: over one flush interval (audit summary), or 1 (audit every_read).'),
    first_read_at: z.iso.datetime(),
    last_read_at: z.iso.datetime(),
    audit: z.enum(['summary', 'every_read']).describe('The secret\'s audit mode: summary (counts per flush interval) or every_read (one event per read).'),
  })
  .describe('A secret version was read: a summary of one caller\'s reads over a flush interval, or one read.');

const secretAccessRulesChanged = z
  .strictObject({
    ...envelope,
    namespace: z.string().min(1).describe('The namespace the rules guard.'),
    rules: z
      .array(z.strictObject({ match: z.string(), read: z.strictObject({ clients: z.array(z.string()), subjects: z.array(z.string()) }) }))
      .describe('The rules now in force, in order (the first matching rule decides).'),
    changed_by: z.string().describe('Who changed them (token subject).'),
  })
  .describe('A namespace\'s secret access rules were replaced.');

export const DETAIL_SCHEMAS = {
  kms_key_state_changed: keyStateChanged,
  kms_key_management_success: keyManagementSuccess,
  kms_key_management_failure: keyManagementFailure,
  sapi: successApiOperation,
  fapi: failedApiOperation,
  job_progress: jobProgress,
  destruction_requested: destructionRequest('A destructive call under the destruction policy opened a request: it waits for its approvals and its waiting period (notify approvers from this).'),
  destruction_approved: destructionRequest('A subject other than the requester approved a destruction request.'),
  destruction_cancelled: destructionRequest('A destruction request was cancelled, or expired without its approvals (`state` says which); nothing was destroyed.'),
  destruction_executed: destructionRequest('A destruction request executed: its keys are destroyed (kms_key_state_changed events of the same commit say how).'),
  destruction_failed: destructionRequest('A destruction request could not execute (for example its key was in use by then); nothing was destroyed.'),
  secret_rotated: secretRotated,
  secret_accessed: secretAccessed,
  secret_access_rules_changed: secretAccessRulesChanged,
} as const satisfies Record<DetailType, z.ZodType>;

export type DetailOf<T extends DetailType> = z.output<(typeof DETAIL_SCHEMAS)[T]>;
export type KeyStateChangedDetail = DetailOf<'kms_key_state_changed'>;
export type KeyManagementSuccessDetail = DetailOf<'kms_key_management_success'>;
export type KeyManagementFailureDetail = DetailOf<'kms_key_management_failure'>;
export type SuccessApiOperationDetail = DetailOf<'sapi'>;
export type FailedApiOperationDetail = DetailOf<'fapi'>;
export type JobProgressDetail = DetailOf<'job_progress'>;

/** One integration event: what goes on the bus as (DetailType, Detail). */
export type IntegrationEvent = { [T in DetailType]: { detailType: T; detail: DetailOf<T> } }[DetailType];

/** The fields every detail shares; producers fill them in when the event is committed. */
export type EnvelopeField = keyof typeof envelope;
/** An event as a producer records it, before it has an id and a tenant stamp. */
export type RecordedEvent = {
  [T in DetailType]: { detailType: T; detail: Omit<DetailOf<T>, 'event_id' | 'schema_version'> };
}[DetailType];

export function isDetailType(value: string): value is DetailType {
  return (DETAIL_TYPES as readonly string[]).includes(value);
}

/** Validates a detail against its schema; throws a ZodError saying what is wrong. */
export function parseIntegrationEvent(detailType: string, detail: unknown): IntegrationEvent {
  if (!isDetailType(detailType)) throw new Error(`Unknown detail-type '${detailType}'.`);
  return { detailType, detail: DETAIL_SCHEMAS[detailType].parse(detail) } as IntegrationEvent;
}
