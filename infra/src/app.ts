/**
 * The CDK app entry (cdk.json). So far: the data stack. Services, API, bus, keys and
 * observability stacks, and full context validation, arrive with the AWS deployment issue.
 */
import { App } from 'aws-cdk-lib';
import { DataStack } from './dataStack';

const app = new App();
const stage: unknown = app.node.tryGetContext('stage') ?? 'dev';
if (typeof stage !== 'string' || !/^[a-z][a-z0-9-]{0,20}$/.test(stage)) {
  throw new Error("Context 'stage' must be 1-21 lowercase letters, digits or '-', starting with a letter (e.g. -c stage=prod).");
}
new DataStack(app, `keyledger-${stage}-data`, { stage });
