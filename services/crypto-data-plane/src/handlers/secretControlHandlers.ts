import { SECRET_ALPHABETS, SecretNotFoundError, type DynamoDbSecretControls, type RotationSchedule, type SecretRef, type SecretsService } from '@keyledger/data-plane';
import type { Logger } from '@keyledger/domain';
import type { ActivityRecorder } from '@keyledger/activity';
import { createRouteHandler, json, noContent, routeFor, type RouteHandler } from '@keyledger/http';
import { durationMs } from '@keyledger/settings';
import { CRYPTO_DATA_PLANE_CONTRACT as C } from '../contract';
import type { SecretPolicies } from '../secretPolicies';

export type SecretControlOperation =
  | 'getSecretRotation'
  | 'putSecretRotation'
  | 'deleteSecretRotation'
  | 'putSecretAudit'
  | 'getSecretUsage'
  | 'getSecretAccessRules'
  | 'putSecretAccessRules';

export interface SecretControlDependencies {
  secrets: SecretsService;
  controls: DynamoDbSecretControls;
  policies: SecretPolicies;
  activity: ActivityRecorder;
  clock?: () => Date;
}

const alphabetName = (characters: string) => (Object.entries(SECRET_ALPHABETS).find(([, chars]) => chars === characters)?.[0] ?? null);

export function rotationView(ref: SecretRef, rotation: RotationSchedule) {
  const alphabet = alphabetName(rotation.characters);
  return {
    name: ref.name,
    namespace: ref.namespace,
    period: rotation.period,
    length: rotation.length,
    alphabet,
    characters: alphabet === null ? rotation.characters : null,
    keep: rotation.keep,
    last_rotated_at: rotation.lastRotatedAt,
    last_version: rotation.lastVersion,
    next_rotation_at: rotation.nextRotationAt,
  };
}

export const rotationSummary = (rotation: RotationSchedule | null) =>
  rotation ? { period: rotation.period, last_rotated_at: rotation.lastRotatedAt, next_rotation_at: rotation.nextRotationAt } : null;

/**
 * Rotation schedules, audit modes, read counts and access rules of secrets. Changes (the PUTs
 * and DELETE) are wrapped by `recordChanges` (sapi/fapi); a change of the access rules is also a
 * `secret_access_rules_changed` event in the same commit.
 */
export function createSecretControlHandlers(
  deps: SecretControlDependencies,
  common: { tenantClaim: string; logger?: Logger },
  recordChanges: (handler: RouteHandler) => RouteHandler,
): Record<SecretControlOperation, RouteHandler> {
  const { secrets, controls, policies } = deps;
  const now = () => deps.clock?.() ?? new Date();
  /** The secret must exist (a live version) for its settings to be read or set. */
  const existing = async (ref: SecretRef) => {
    await secrets.versions(ref);
    return ref;
  };
  return {
    getSecretRotation: createRouteHandler({
      ...common,
      route: routeFor('getSecretRotation'),
      input: C.getSecretRotation.input,
      handle: async ({ auth, input }) => {
        const ref = await existing({ tenant: auth.tenant, namespace: input.queryStringParameters.namespace, name: input.pathParameters.name });
        const { rotation } = await controls.settings(ref);
        if (!rotation) throw new SecretNotFoundError(`The secret '${ref.name}' has no rotation schedule in the namespace '${ref.namespace}'.`);
        return json(200, rotationView(ref, rotation));
      },
    }),
    putSecretRotation: recordChanges(
      createRouteHandler({
        ...common,
        route: routeFor('putSecretRotation'),
        input: C.putSecretRotation.input,
        handle: async ({ auth, input }) => {
          const ref = await existing({ tenant: auth.tenant, namespace: input.queryStringParameters.namespace, name: input.pathParameters.name });
          const { period, length, alphabet, characters, keep } = input.body;
          const at = now();
          // Applying the same period again (a deploy, a script) keeps the next due time: it must not postpone the rotation.
          const current = (await controls.settings(ref)).rotation;
          const schedule = {
            period,
            length,
            characters: characters ?? SECRET_ALPHABETS[alphabet],
            keep: keep ?? null,
            nextRotationAt: current && current.period === period ? current.nextRotationAt : new Date(at.getTime() + durationMs(period)!).toISOString(),
          };
          await controls.setRotation(ref, schedule, at.toISOString(), auth.actor);
          const { rotation } = await controls.settings(ref);
          return json(200, rotationView(ref, rotation!));
        },
      }),
    ),
    deleteSecretRotation: recordChanges(
      createRouteHandler({
        ...common,
        route: routeFor('deleteSecretRotation'),
        input: C.deleteSecretRotation.input,
        handle: async ({ auth, input }) => {
          const ref = await existing({ tenant: auth.tenant, namespace: input.queryStringParameters.namespace, name: input.pathParameters.name });
          if (!(await controls.settings(ref)).rotation) throw new SecretNotFoundError(`The secret '${ref.name}' has no rotation schedule in the namespace '${ref.namespace}'.`);
          await controls.setRotation(ref, null, now().toISOString(), auth.actor);
          return noContent();
        },
      }),
    ),
    putSecretAudit: recordChanges(
      createRouteHandler({
        ...common,
        route: routeFor('putSecretAudit'),
        input: C.putSecretAudit.input,
        handle: async ({ auth, input }) => {
          const ref = await existing({ tenant: auth.tenant, namespace: input.queryStringParameters.namespace, name: input.pathParameters.name });
          await controls.setAudit(ref, input.body.audit, now().toISOString(), auth.actor);
          policies.forgetAudit(ref);
          return json(200, { name: ref.name, namespace: ref.namespace, audit: input.body.audit });
        },
      }),
    ),
    getSecretUsage: createRouteHandler({
      ...common,
      route: routeFor('getSecretUsage'),
      input: C.getSecretUsage.input,
      handle: async ({ auth, input }) => {
        const { namespace, from, take } = input.queryStringParameters;
        const ref = await existing({ tenant: auth.tenant, namespace, name: input.pathParameters.name });
        const page = await controls.usage(ref, { after: from, limit: take });
        return json(200, {
          name: ref.name,
          namespace,
          usage: page.usage.map((usage) => ({
            version: usage.version,
            client_id: usage.clientId,
            subject: usage.subject,
            reads: usage.reads,
            first_read_at: usage.firstReadAt,
            last_read_at: usage.lastReadAt,
          })),
          next: page.next,
        });
      },
    }),
    getSecretAccessRules: createRouteHandler({
      ...common,
      route: routeFor('getSecretAccessRules'),
      input: C.getSecretAccessRules.input,
      handle: async ({ auth, input }) => {
        const { namespace } = input.queryStringParameters;
        await secrets.assertNamespace({ tenant: auth.tenant, namespace });
        const found = await controls.accessRules({ tenant: auth.tenant, namespace });
        return json(200, { namespace, rules: found.rules, updated_at: found.updatedAt, updated_by: found.updatedBy });
      },
    }),
    putSecretAccessRules: recordChanges(
      createRouteHandler({
        ...common,
        route: routeFor('putSecretAccessRules'),
        input: C.putSecretAccessRules.input,
        handle: async ({ auth, input }) => {
          const { namespace } = input.queryStringParameters;
          const scope = { tenant: auth.tenant, namespace };
          await secrets.assertNamespace(scope);
          const at = now().toISOString();
          await controls.putAccessRules(scope, input.body.rules, at, auth.actor);
          policies.forgetRules(scope);
          // In the same commit as the call's sapi entry.
          await deps.activity.note({ detailType: 'secret_access_rules_changed', detail: { tenant: auth.tenant, occurred_at: at, namespace, rules: input.body.rules, changed_by: auth.actor } });
          return json(200, { namespace, rules: input.body.rules, updated_at: at, updated_by: auth.actor });
        },
      }),
    ),
  };
}
