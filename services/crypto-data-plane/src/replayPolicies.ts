import type { SecretsService } from '@keyledger/data-plane';
import { authContextFromClaims, routeFor, routeKey, type HttpEvent } from '@keyledger/http';
import { readerOf, readSecretValue, type SecretPolicies } from './secretPolicies';
import type { ReplayPolicy } from '@keyledger/request-controls';
import { namespaceOnlyQuery, rotateSecretBody } from './schemas';

/**
 * How the data plane's POST routes answer an Idempotency-Key replay. Encrypt, decrypt, rewrap
 * and data keys change nothing stored and answer key material (or data that only exists in the
 * response), which is never written down: they run again. A rotation is kept without its value;
 * the replay reads the value of the version the first request wrote, as a read: the access rules
 * must let this caller read it, and it is counted (or recorded, with every_read).
 */
export function dataPlaneReplayPolicies(secrets: SecretsService, policies: Pick<SecretPolicies, 'beforeRead' | 'afterRead'>, tenantClaim: string): Record<string, ReplayPolicy> {
  const rerun = Object.fromEntries(
    (['encrypt', 'decrypt', 'rewrap', 'generateDataKey'] as const).map((operation) => [routeKey(routeFor(operation)), 'rerun' as const]),
  );
  const rotation: ReplayPolicy = {
    redact: (body) => ({ ...(body as Record<string, unknown>), value: undefined }),
    restore: async (body, event: HttpEvent, tenant) => {
      const kept = body as { name: string; namespace: string; version: number };
      const { encryption_context: encryptionContext } = rotateSecretBody.parse(JSON.parse(bodyText(event)));
      const { namespace } = namespaceOnlyQuery.parse(event.queryStringParameters ?? {});
      const reader = readerOf(authContextFromClaims(event.requestContext?.authorizer?.jwt?.claims, tenantClaim), event);
      const { value } = await readSecretValue(policies, secrets, { tenant, namespace, name: kept.name, version: kept.version, encryptionContext }, reader);
      return { ...kept, value };
    },
  };
  return { ...rerun, [routeKey(routeFor('rotateSecret'))]: rotation };
}

const bodyText = (event: HttpEvent) => (!event.body ? '{}' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body);
