/**
 * The CDK app entry (cdk.json): validates the context, then builds keyledger's stacks.
 * `npx cdk synth -c stage=... -c jwtIssuer=... -c jwtAudience=... -c rootKeyMode=...` works offline;
 * with `-c primaryRegion=... -c replicaRegions=...`, a multi-Region deployment (multiRegionApp.ts).
 */
import { App } from 'aws-cdk-lib';
import { parseContext } from './config';
import { createKeyledgerStacks } from './keyledgerApp';
import { createMultiRegionStacks } from './multiRegionApp';

const app = new App();
const context = parseContext((key) => app.node.tryGetContext(key));
const account = process.env['CDK_DEFAULT_ACCOUNT'];
if (context.replicaRegions.length > 0) createMultiRegionStacks(app, context, account);
else createKeyledgerStacks(app, context, { account, region: context.primaryRegion ?? process.env['CDK_DEFAULT_REGION'] });
