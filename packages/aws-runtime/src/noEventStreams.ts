/**
 * What the Lambda bundles use instead of `@smithy/core/event-streams` (an esbuild alias,
 * infra/functions.json): none of the AWS operations keyledger calls (DynamoDB, KMS, Secrets
 * Manager, EventBridge, CloudHSM, S3 puts, lists and gets) streams events, so the codec (about 14 KiB) is never loaded;
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

/**
 * The S3 client resolves its event-stream config when it is built: here it resolves none, so
 * an event-stream operation (S3 SelectObjectContent, which keyledger never calls) has no codec.
 */
export const resolveEventStreamSerdeConfig = <T>(input: T): T => input;
