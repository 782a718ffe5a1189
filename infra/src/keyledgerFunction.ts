import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { settingsEnvironment, type SettingName } from '@keyledger/settings';
import FUNCTIONS from '../functions.json';
import { functionNamePrefix, functionRolePath } from './keyPolicies';

export type FunctionName = keyof typeof FUNCTIONS.functions;

/** The repository root (where cdk.json and package-lock.json are), found from the working directory. */
export function repositoryRoot(start = process.cwd()): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'cdk.json')) && existsSync(join(dir, 'package-lock.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`No cdk.json and package-lock.json above ${start}: run the CDK app from the keyledger checkout.`);
  }
}

/** Sets settings (by name, see @keyledger/settings) in a function's environment. */
export function addSettings(fn: KeyledgerFunction, values: Partial<Record<SettingName, string>>): void {
  for (const [name, value] of Object.entries(settingsEnvironment(values))) fn.function.addEnvironment(name, value);
}

export interface KeyledgerFunctionProps {
  stage: string;
  /** Which entry of infra/functions.json. */
  name: FunctionName;
  /** The exported handler, when the entry has several; also suffixes the function's name. */
  handler?: string;
  description: string;
  /** Its settings, by name (see @keyledger/settings); the environment variables follow from them. */
  settings: Partial<Record<SettingName, string>>;
  logRetention: RetentionDays;
  memorySize?: number;
  timeout?: Duration;
  /** Where asynchronous invocations go once Lambda's retries are spent. */
  deadLetterQueue?: IQueue;
  reservedConcurrency?: number;
}

/**
 * One keyledger Lambda function: bundled by esbuild from its entry with the settings in
 * infra/functions.json (the ones `npm run build` sizes), Node.js 22 on arm64, its own log
 * group with the configured retention, and its own role, under the stage's IAM path in its
 * Region (key policies trust only that path), that may write its logs and nothing else until
 * the stacks grant it what it needs.
 */
export class KeyledgerFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: KeyledgerFunctionProps) {
    super(scope, id);
    const { bundling, functions } = FUNCTIONS;
    const entry = functions[props.name];
    const handler = props.handler ?? entry.handlers[0]!;
    if (!(entry.handlers as string[]).includes(handler)) throw new Error(`${props.name} exports no handler ${handler}.`);
    const suffix = props.handler && props.handler !== 'handler' ? `-${props.handler.replace(/Handler$/, '').toLowerCase()}` : '';
    const functionName = `${functionNamePrefix(props.stage)}${props.name}${suffix}`;
    const root = repositoryRoot();

    this.logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    this.role = new Role(this, 'Role', {
      // Under the stage's path in this Region, which the root key's policy trusts; CloudFormation names it.
      path: functionRolePath(this, props.stage),
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${functionName}`,
    });
    this.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.function = new NodejsFunction(this, 'Function', {
      functionName,
      description: props.description,
      entry: join(root, entry.entry),
      handler,
      projectRoot: root,
      depsLockFilePath: join(root, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      environment: settingsEnvironment(props.settings),
      deadLetterQueue: props.deadLetterQueue,
      reservedConcurrentExecutions: props.reservedConcurrency,
      bundling: {
        target: bundling.target,
        format: bundling.format === 'esm' ? OutputFormat.ESM : OutputFormat.CJS,
        mainFields: bundling.mainFields,
        minify: bundling.minify,
        sourceMap: bundling.sourcemap,
        externalModules: bundling.external,
        // The same replacements as `npm run build` (infra/functions.json): esbuild's --alias, to files of this repository.
        esbuildArgs: Object.fromEntries(Object.entries(bundling.alias).map(([from, to]) => [`--alias:${from}`, join(root, to)])),
      },
    });
    NagSuppressions.addResourceSuppressions(this.function, [
      {
        id: 'AwsSolutions-L1',
        reason: 'keyledger targets nodejs22.x on purpose: it is the runtime the code is built and tested for (esbuild target node22).',
      },
    ]);
  }
}
