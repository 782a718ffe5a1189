import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as realChain from '@aws-sdk/credential-provider-node';
import { EndpointCache as RealEndpointCache } from '@aws-sdk/endpoint-cache';
import { EndpointCache } from './endpointCache';
import { defaultProvider } from './lambdaCredentials';
import * as noEventStreams from './noEventStreams';

const ROOT = join(__dirname, '..', '..', '..');
const { bundling } = JSON.parse(readFileSync(join(ROOT, 'infra', 'functions.json'), 'utf8')) as { bundling: { alias: Record<string, string> } };

describe('the modules the Lambda bundles use in place of SDK ones (infra/functions.json, bundling.alias)', () => {
  it('replace exactly these three, with files that exist', () => {
    expect(bundling.alias).toEqual({
      '@aws-sdk/credential-provider-node': 'packages/aws-runtime/src/lambdaCredentials.ts',
      '@smithy/core/event-streams': 'packages/aws-runtime/src/noEventStreams.ts',
      '@aws-sdk/endpoint-cache': 'packages/aws-runtime/src/endpointCache.ts',
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
    const config = { region: 'eu-west-1' };
    expect(noEventStreams.resolveEventStreamSerdeConfig(config)).toBe(config);
  });

  it('the endpoint cache answers as the SDK\'s does: expiry, delete, clear, and the least recently used evicted at capacity', () => {
    jest.useFakeTimers({ now: new Date('2026-12-02T00:00:00Z') });
    try {
      const caches = [new RealEndpointCache(2), new EndpointCache(2)];
      const seen = caches.map((cache) => {
        const answers: unknown[] = [];
        cache.set('a', [{ Address: 'a.example', CachePeriodInMinutes: 1 }]);
        cache.set('b', [{ Address: 'b.example', CachePeriodInMinutes: 10 }]);
        answers.push(cache.getEndpoint('a'), cache.has('b'));
        // 'a' was used last: 'b' goes when 'c' comes.
        cache.set('c', [{ Address: 'c.example', CachePeriodInMinutes: 10 }]);
        answers.push(cache.has('b'), cache.has('a'), cache.getEndpoint('c'));
        jest.advanceTimersByTime(2 * 60_000);
        answers.push(cache.get('a'), cache.has('a'), cache.getEndpoint('c'));
        cache.delete('c');
        answers.push(cache.has('c'), cache.get('c'));
        cache.set('d', []);
        answers.push(cache.getEndpoint('d'));
        cache.clear();
        answers.push(cache.has('d'));
        return answers;
      });
      expect(seen[1]).toEqual(seen[0]);
      expect(seen[0]).toEqual(['a.example', true, false, true, 'c.example', undefined, false, 'c.example', false, undefined, undefined, false]);
    } finally {
      jest.useRealTimers();
    }
  });
});
