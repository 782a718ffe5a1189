/**
 * What the Lambda bundles use instead of `@smithy/core/event-streams` (an esbuild alias,
 * infra/functions.json): none of the AWS operations keyledger calls (DynamoDB, KMS, Secrets
 * Manager, EventBridge, CloudHSM) streams events, so the codec (about 14 KiB) is never loaded;
 * the SDK reaches it only through a dynamic import for event-stream operations. If one ever
 * did, it fails loudly instead of misbehaving.
 */
function notBundled(): never {
  throw new Error('AWS event streams are not bundled into keyledger Lambdas (infra/functions.json, bundling.alias).');
}

export class EventStreamSerde {
  constructor() {
    notBundled();
  }
}

export const eventStreamSerdeProvider = (): never => notBundled();
