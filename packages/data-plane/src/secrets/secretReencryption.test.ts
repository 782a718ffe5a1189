import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SECRETS_ATTR } from '@keyledger/dynamodb';
import { JobRunner, type Job } from '@keyledger/jobs';
import { useServiceHarness } from '@keyledger/key-hierarchy/testing';
import { CryptoDataPlane } from '../cryptoDataPlane';
import { keyDependents } from '../keyDependents';
import { createDataPlaneStores } from '../stores';
import { padVersion } from './dynamoDbSecretStore';
import { ReencryptionJobs } from './reencryptionJobs';
import { SecretReencryption } from './secretReencryption';
import { SecretsService } from './secretsService';

const NAMESPACES = ['default', 'secrets'];
const fixture = useServiceHarness({ namespaces: NAMESPACES, snapshotEvery: 5, tenantPrefix: 're' });
jest.setTimeout(60_000);

function setup() {
  const db = fixture.dynamo;
  const stores = createDataPlaneStores(db.client, db.tables, { usageFlushIntervalMs: 60_000 });
  const { service } = fixture.harness({ dependents: stores.dependents });
  const dataPlane = new CryptoDataPlane({ keySource: service, usage: stores.usage });
  const secrets = new SecretsService({ store: stores.secretStore, dataPlane });
  const jobs = new ReencryptionJobs({ store: stores.jobStore, namespaces: NAMESPACES });
  const worker = (afterPageWrites?: (pages: number) => void) => new SecretReencryption({ store: stores.secretStore, dataPlane, pageSize: 10, afterPageWrites });
  const progress: Job[] = [];
  const runner = (afterPageWrites?: (pages: number) => void) =>
    new JobRunner({ store: stores.jobStore, workers: { 'reencrypt-secrets': worker(afterPageWrites) }, onProgress: (job) => void progress.push(job), progressEveryMs: 0 });
  return { service, stores, dataPlane, secrets, jobs, runner, progress };
}

async function putSecrets(secrets: SecretsService, tenant: string, count: number, namespace = 'secrets') {
  for (let i = 0; i < count; i += 1) await secrets.put({ tenant, namespace, name: `s${String(i).padStart(3, '0')}`, value: Buffer.from(`value ${i}`), actor: 'test' });
}

describe('re-encryption of stored secrets after a rekey', () => {
  it('moves every version under the new keys without decrypting a value, and says so: done = total, moved all', async () => {
    const { service, stores, dataPlane, secrets, jobs, runner, progress } = setup();
    const tenant = fixture.newTenant();
    await putSecrets(secrets, tenant, 23);
    await putSecrets(secrets, tenant, 4, 'default');
    const { deactivated, tmkKid } = await service.rekey(tenant);
    dataPlane.forget(tenant, []);
    expect(await stores.secretStore.countByKid(tenant, deactivated['secrets']!)).toBe(23);

    const rekeyed = { tmkKid, occurredAt: new Date().toISOString() };
    const job = await jobs.startAfterRekey(tenant, rekeyed);
    // The rekey's event again (delivery is at least once): the same job.
    expect(await jobs.startAfterRekey(tenant, rekeyed)).toMatchObject({ id: job.id });
    const finished = await runner().run(tenant, job.id);

    expect(finished).toMatchObject({ state: 'succeeded', done: 27, total: 27, details: { moved: 27 }, error: null });
    expect(finished?.finishedAt).toEqual(expect.any(String));
    expect(await stores.secretStore.countByKid(tenant, deactivated['secrets']!)).toBe(0);
    expect(await stores.secretStore.countByKid(tenant, deactivated['default']!)).toBe(0);
    await expect(secrets.get({ tenant, namespace: 'secrets', name: 's017' })).resolves.toMatchObject({ value: Buffer.from('value 17') });
    expect(progress[0]).toMatchObject({ state: 'running', done: 0 });
    expect(progress.at(-1)).toMatchObject({ state: 'succeeded', done: 27 });
    // The decrypt counts are the callers', not the job's.
    expect((await stores.usage.usage(tenant, deactivated['secrets']!)).decrypts).toBe(0);
  });

  it('resumes after a death between a page\'s writes and its checkpoint, doing nothing twice', async () => {
    const { service, stores, dataPlane, secrets, jobs, runner } = setup();
    const tenant = fixture.newTenant();
    await putSecrets(secrets, tenant, 35);
    const { tmkKid, deactivated } = await service.rekey(tenant);
    dataPlane.forget(tenant, []);
    const job = await jobs.startAfterRekey(tenant, { tmkKid, occurredAt: new Date().toISOString() });

    const dying = runner((pages) => {
      if (pages === 2) throw new Error('the process died here');
    });
    const interrupted = await dying.run(tenant, job.id);
    expect(interrupted).toMatchObject({ state: 'running', done: 10 });
    expect((await stores.jobStore.get(tenant, job.id))?.checkpoint).toMatchObject({ pending: expect.any(Array) });

    const finished = await runner().run(tenant, job.id, { takeOver: true });
    expect(finished).toMatchObject({ state: 'succeeded', done: 35, total: 35, details: { moved: 35 } });
    expect(await stores.secretStore.countByKid(tenant, deactivated['secrets']!)).toBe(0);
  });

  it('finds versions a process that had not seen the rekey wrote under the old key, and moves them too', async () => {
    const { service, stores, secrets, jobs, runner, dataPlane } = setup();
    const tenant = fixture.newTenant();
    await putSecrets(secrets, tenant, 3);
    const { tmkKid, deactivated } = await service.rekey(tenant);
    // This data plane still has the hierarchy from before the rekey cached: its put lands under the old key.
    await secrets.put({ tenant, namespace: 'secrets', name: 'late', value: Buffer.from('late value'), actor: 'test' });
    expect(await stores.secretStore.countByKid(tenant, deactivated['secrets']!)).toBe(4);
    dataPlane.forget(tenant, []);

    const finished = await runner().run(tenant, (await jobs.startAfterRekey(tenant, { tmkKid, occurredAt: new Date().toISOString() })).id);
    expect(finished).toMatchObject({ state: 'succeeded', done: 4, total: 4 });
    expect(await stores.secretStore.countByKid(tenant, deactivated['secrets']!)).toBe(0);
  });

  it('indexes versions written before the by-kid index as it moves them, and marks the namespace counted', async () => {
    const { service, stores, secrets, jobs, runner, dataPlane } = setup();
    const tenant = fixture.newTenant();
    await putSecrets(secrets, tenant, 3);
    // As an older keyledger wrote them: no by-kid index key.
    for (const name of ['s000', 's001', 's002']) {
      await fixture.dynamo.client.send(
        new UpdateItemCommand({ TableName: fixture.dynamo.tables.secrets, Key: { [SECRETS_ATTR.secretId]: { S: `${tenant}/secrets/${name}` }, [SECRETS_ATTR.version]: { S: padVersion(1) } }, UpdateExpression: `REMOVE ${SECRETS_ATTR.kidRef}` }),
      );
    }
    const { tmkKid, deactivated } = await service.rekey(tenant);
    expect(await stores.secretStore.countByKid(tenant, deactivated['secrets']!)).toBe(0);
    const dependents = keyDependents({ secrets: stores.secretStore, usage: stores.usage });
    expect(await dependents.secretsIndexed(tenant, 'secrets')).toBe(false);
    dataPlane.forget(tenant, []);

    const finished = await runner().run(tenant, (await jobs.startAfterRekey(tenant, { tmkKid, occurredAt: new Date().toISOString() })).id);
    expect(finished).toMatchObject({ state: 'succeeded', done: 3, total: 3, details: { moved: 3 } });
    expect(await dependents.secretsIndexed(tenant, 'secrets')).toBe(true);
    expect(await dependents.secretsIndexed(tenant, 'other')).toBe(false);
    expect(await stores.secretStore.countByKid(tenant, await dataPlane.activeNamespaceKid(tenant, 'secrets'))).toBe(3);
    // The marker is no secret: the namespace lists what it did.
    expect((await secrets.list({ tenant, namespace: 'secrets' }, { limit: 10 })).secrets.map((secret) => secret.name)).toEqual(['s000', 's001', 's002']);
  });

  it('counts live versions by key exactly: deleted versions and secrets leave the count', async () => {
    const { stores, secrets, dataPlane } = setup();
    const tenant = fixture.newTenant();
    await putSecrets(secrets, tenant, 3);
    await secrets.put({ tenant, namespace: 'secrets', name: 's000', value: Buffer.from('v2'), actor: 'test' });
    const kid = await dataPlane.activeNamespaceKid(tenant, 'secrets');
    expect(await stores.secretStore.countByKid(tenant, kid)).toBe(4);
    await secrets.delete({ tenant, namespace: 'secrets', name: 's000', version: 1 });
    expect(await stores.secretStore.countByKid(tenant, kid)).toBe(3);
    await secrets.delete({ tenant, namespace: 'secrets', name: 's001' });
    expect(await stores.secretStore.countByKid(tenant, kid)).toBe(2);
  });
});
