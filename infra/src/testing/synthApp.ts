import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parseContext, type RootKeyMode } from '../config';
import { createKeyledgerStacks } from '../keyledgerApp';
import { fakeDashboardDist } from './fakeDashboard';

export const ROOT_KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const dashboardDist = fakeDashboardDist();

/** Synthesizes every stack of one deployment; bundling is skipped (the build and `cdk synth` bundle for real). */
export function synth(rootKeyMode: RootKeyMode, extra: Record<string, string> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:defaultCrossStackReferences': 'strong', '@aws-cdk/core:validateAgainstDefaultRules': true } });
  const context = parseContext(
    (key) =>
      ({
        stage: 'test',
        jwtIssuer: 'https://issuer.example.com/',
        jwtAudience: 'keyledger',
        rootKeyMode,
        ...(rootKeyMode === 'kms' ? {} : { cloudHsmClusterId: 'cluster-abc123' }),
        ...extra,
      })[key],
  );
  const stacks = createKeyledgerStacks(app, context, undefined, { dashboardDist });
  const all: Stack[] = Object.values(stacks);
  const templates = new Map(all.map((stack) => [stack, Template.fromStack(stack)]));
  return { app, stacks, all, templates, template: (stack: Stack) => templates.get(stack)! };
}

export type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }>;
export const resourcesOf = (template: Template) => (template.toJSON() as { Resources: Resources }).Resources;

/** Every policy statement in a template: IAM policies and roles, key policies, queue and topic policies. */
export function statements(template: Template): Array<{ Effect: string; Action: string | string[]; Resource?: unknown; Sid?: string }> {
  const found: Array<{ Effect: string; Action: string | string[] }> = [];
  for (const resource of Object.values(resourcesOf(template))) {
    const props = resource.Properties ?? {};
    const documents = [
      props['PolicyDocument'],
      props['KeyPolicy'],
      ...((props['Policies'] as Array<{ PolicyDocument: unknown }> | undefined) ?? []).map((policy) => policy.PolicyDocument),
    ];
    for (const document of documents) {
      const list = (document as { Statement?: unknown } | undefined)?.Statement;
      if (Array.isArray(list)) found.push(...(list as typeof found));
    }
  }
  return found;
}
export const actions = (statement: { Action: string | string[] }) => [statement.Action].flat();

