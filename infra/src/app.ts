/**
 * The CDK app entry (cdk.json): validates the context, then builds keyledger's stacks.
 * `npx cdk synth -c stage=... -c jwtIssuer=... -c jwtAudience=... -c rootKeyMode=...` works offline.
 */
import { App } from 'aws-cdk-lib';
import { parseContext } from './config';
import { createKeyledgerStacks } from './keyledgerApp';

const app = new App();
const context = parseContext((key) => app.node.tryGetContext(key));
createKeyledgerStacks(app, context, {
  account: process.env['CDK_DEFAULT_ACCOUNT'],
  region: process.env['CDK_DEFAULT_REGION'],
});
