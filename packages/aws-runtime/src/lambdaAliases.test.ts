import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as realChain from '@aws-sdk/credential-provider-node';
import { defaultProvider } from './lambdaCredentials';
import * as noEventStreams from './noEventStreams';

const ROOT = join(__dirname, '..', '..', '..');
const { bundling } = JSON.parse(readFileSync(join(ROOT, 'infra', 'functions.json'), 'utf8')) as { bundling: { alias: Record<string, string> } };

describe('the modules the Lambda bundles use in place of SDK ones (infra/functions.json, bundling.alias)', () => {
  it('replace exactly these two, with files that exist', () => {
    expect(bundling.alias).toEqual({
      '@aws-sdk/credential-provider-node': 'packages/aws-runtime/src/lambdaCredentials.ts',
      '@smithy/core/event-streams': 'packages/aws-runtime/src/noEventStreams.ts',
    });
    for (const file of Object.values(bundling.alias)) expect(() => readFileSync(join(ROOT, file))).not.toThrow();
  });

  it('the credentials are the environment’s, as Lambda sets them, under the export name the SDK clients import', async () => {
    expect(typeof realChain.defaultProvider).toBe('function');
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDLAMBDA', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'session' });
    try {
      await expect(defaultProvider()()).resolves.toMatchObject({ accessKeyId: 'AKIDLAMBDA', secretAccessKey: 'secret', sessionToken: 'session' });
      delete process.env['AWS_ACCESS_KEY_ID'];
      await expect(defaultProvider()()).rejects.toThrow(/environment/i);
    } finally {
      process.env = saved;
    }
  });

  it('event streams, which no keyledger call uses, fail loudly if ever reached', async () => {
    const real = (await import('@smithy/core/event-streams')) as Record<string, unknown>;
    for (const name of Object.keys(noEventStreams)) expect(typeof real[name]).toBe('function');
    expect(() => noEventStreams.eventStreamSerdeProvider()).toThrow('not bundled');
    expect(() => new noEventStreams.EventStreamSerde()).toThrow('not bundled');
  });
});
