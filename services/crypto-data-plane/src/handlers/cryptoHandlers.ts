import { zeroize, type EncryptionContext } from '@keyledger/crypto';
import type { CryptoDataPlane } from '@keyledger/data-plane';
import { silentLogger, type Logger } from '@keyledger/domain';
import { createRouteHandler, json, routeFor, runBatch, type Batchable, type RouteHandler } from '@keyledger/http';
import { CRYPTO_DATA_PLANE_CONTRACT } from '../contract';

export type CryptoOperation = 'encrypt' | 'decrypt' | 'rewrap' | 'generateDataKey';

interface Common {
  tenantClaim: string;
  logger?: Logger;
}

/** Bytes for a response, zeroed here once encoded. */
export function base64Once(bytes: Buffer): string {
  const text = bytes.toString('base64');
  zeroize(bytes);
  return text;
}

/** One item answered as the route answers it, or each item of a batch with its own result or error. */
async function answer<T, R>(body: Batchable<T>, run: (item: T) => Promise<R>, logger: Logger) {
  if ('single' in body) return json(200, await run(body.single));
  return json(200, { batch: await runBatch(body, run, logger) });
}

type CipherItem = { ciphertext: Buffer; encryption_context?: EncryptionContext };

export function createCryptoHandlers(dataPlane: Pick<CryptoDataPlane, 'encrypt' | 'decrypt' | 'rewrap' | 'generateDataKey'>, common: Common): Record<CryptoOperation, RouteHandler> {
  const logger = common.logger ?? silentLogger;
  return {
    encrypt: createRouteHandler({
      ...common,
      route: routeFor('encrypt'),
      input: CRYPTO_DATA_PLANE_CONTRACT.encrypt.input,
      handle: async ({ auth, input }) =>
        answer(
          input.body,
          async ({ plaintext, encryption_context: encryptionContext }: { plaintext: Buffer; encryption_context?: EncryptionContext }) => {
            try {
              const { ciphertext, kid } = await dataPlane.encrypt({ tenant: auth.tenant, namespace: input.pathParameters.ns, plaintext, encryptionContext });
              return { ciphertext: ciphertext.toString('base64'), kid };
            } finally {
              zeroize(plaintext);
            }
          },
          logger,
        ),
    }),
    decrypt: createRouteHandler({
      ...common,
      route: routeFor('decrypt'),
      input: CRYPTO_DATA_PLANE_CONTRACT.decrypt.input,
      handle: async ({ auth, input }) =>
        answer(
          input.body,
          async ({ ciphertext, encryption_context: encryptionContext }: CipherItem) => {
            const plaintext = await dataPlane.decrypt({ tenant: auth.tenant, namespace: input.pathParameters.ns, ciphertext, encryptionContext });
            return { plaintext: base64Once(plaintext) };
          },
          logger,
        ),
    }),
    rewrap: createRouteHandler({
      ...common,
      route: routeFor('rewrap'),
      input: CRYPTO_DATA_PLANE_CONTRACT.rewrap.input,
      handle: async ({ auth, input }) =>
        answer(
          input.body,
          async ({ ciphertext, encryption_context: encryptionContext }: CipherItem) => {
            const rewrapped = await dataPlane.rewrap({ tenant: auth.tenant, namespace: input.pathParameters.ns, ciphertext, encryptionContext });
            return { ciphertext: rewrapped.ciphertext.toString('base64'), kid: rewrapped.kid };
          },
          logger,
        ),
    }),
    generateDataKey: createRouteHandler({
      ...common,
      route: routeFor('generateDataKey'),
      input: CRYPTO_DATA_PLANE_CONTRACT.generateDataKey.input,
      handle: async ({ auth, input }) => {
        const { plaintextKey, ciphertextKey, kid } = await dataPlane.generateDataKey({
          tenant: auth.tenant,
          namespace: input.pathParameters.ns,
          encryptionContext: input.body.encryption_context,
        });
        return json(200, { plaintext_key: base64Once(plaintextKey), ciphertext_key: ciphertextKey.toString('base64'), kid });
      },
    }),
  };
}
