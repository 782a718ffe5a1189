import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SECRETS_ATTR } from '@keyledger/dynamodb';
import { useServiceHarness } from '@keyledger/key-hierarchy/testing';
import { CryptoDataPlane } from '../cryptoDataPlane';
import { DynamoDbSecretStore, padVersion } from './dynamoDbSecretStore';
import { NamespaceNotFoundError, SecretNotFoundError, SecretVersionConflictError, UndecryptableError } from '../errors';
import { SECRET_ALPHABETS, SecretsService } from './secretsService';

const fixture = useServiceHarness({ namespaces: ['default', 'secrets'], snapshotEvery: 5, tenantPrefix: 'sec' });

function setup() {
  const { service, repository } = fixture.harness();
  const dataPlane = new CryptoDataPlane({ keySource: service });
  const store = new DynamoDbSecretStore({ client: fixture.dynamo.client, tableName: fixture.dynamo.tables.secrets });
  const secrets = new SecretsService({ store, dataPlane });
  const tenant = fixture.newTenant();
  const at = (name: string) => ({ tenant, namespace: 'secrets', name });
  const put = (name: string, value: string, extra: { expectedVersion?: number; encryptionContext?: Record<string, string> } = {}) =>
    secrets.put({ ...at(name), value: Buffer.from(value), actor: 'test|1', ...extra });
  const read = async (name: string, version?: number, encryptionContext?: Record<string, string>) =>
    (await secrets.get({ ...at(name), version, encryptionContext })).value.toString();
  return { service, repository, secrets, store, tenant, at, put, read };
}

const itemKey = (tenant: string, name: string, version: number) => ({
  [SECRETS_ATTR.secretId]: { S: `${tenant}/secrets/${name}` },
  [SECRETS_ATTR.version]: { S: padVersion(version) },
});

describe('SecretsService against dynalite', () => {
  it('versions increment from 1; latest and ?version read back; versions lists them newest first', async () => {
    const { put, read, secrets, at } = setup();
    expect((await put('db.password', 'one')).version).toBe(1);
    expect((await put('db.password', 'two')).version).toBe(2);
    expect((await put('db.password', 'three')).version).toBe(3);
    expect(await read('db.password')).toBe('three');
    expect(await read('db.password', 1)).toBe('one');
    expect((await secrets.versions(at('db.password'))).map((v) => [v.version, v.createdBy])).toEqual([
      [3, 'test|1'],
      [2, 'test|1'],
      [1, 'test|1'],
    ]);
  });

  it('an expected version that is no longer current is a conflict and writes nothing', async () => {
    const { put, read, secrets, at } = setup();
    await expect(put('api-key', 'first', { expectedVersion: 0 })).resolves.toMatchObject({ version: 1 });
    await expect(put('api-key', 'again', { expectedVersion: 0 })).rejects.toBeInstanceOf(SecretVersionConflictError);
    await expect(put('api-key', 'second', { expectedVersion: 1 })).resolves.toMatchObject({ version: 2 });
    await expect(put('api-key', 'stale', { expectedVersion: 1 })).rejects.toThrow(
      "The secret 'api-key' is at version 2, not 1: it changed since you read it. Read it again and retry.",
    );
    expect(await read('api-key')).toBe('second');
    expect((await secrets.versions(at('api-key'))).map((v) => v.version)).toEqual([2, 1]);
  });

  it('concurrent puts each get their own version', async () => {
    const { put, secrets, at } = setup();
    const written = await Promise.all(Array.from({ length: 8 }, (_, i) => put('busy', `value ${i}`)));
    expect(written.map((w) => w.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect((await secrets.versions(at('busy'))).length).toBe(8);
  });

  it('a deleted version is 404 and its number is never reused; deleting the secret removes every version', async () => {
    const { put, read, secrets, at } = setup();
    await put('token', 'v1');
    await put('token', 'v2');
    await put('token', 'v3');
    await secrets.delete({ ...at('token'), version: 3 });
    await expect(read('token', 3)).rejects.toBeInstanceOf(SecretNotFoundError);
    await expect(secrets.delete({ ...at('token'), version: 3 })).rejects.toThrow("The secret 'token' has no version 3 in the namespace 'secrets'.");
    expect(await read('token')).toBe('v2');
    expect((await put('token', 'v4')).version).toBe(4);
    expect((await secrets.versions(at('token'))).map((v) => v.version)).toEqual([4, 2, 1]);

    await secrets.delete(at('token'));
    await expect(read('token')).rejects.toThrow("The secret 'token' does not exist in the namespace 'secrets'.");
    await expect(secrets.versions(at('token'))).rejects.toBeInstanceOf(SecretNotFoundError);
    await expect(secrets.delete(at('token'))).rejects.toBeInstanceOf(SecretNotFoundError);
  });

  it('a ciphertext copied onto another name or version does not decrypt', async () => {
    const { put, read, tenant } = setup();
    await put('alpha', 'alpha secret');
    await put('beta', 'beta secret');
    await put('beta', 'beta secret 2');
    const client = fixture.dynamo.client;
    const table = fixture.dynamo.tables.secrets;
    const { Item } = await client.send(new GetItemCommand({ TableName: table, Key: itemKey(tenant, 'alpha', 1) }));
    const stolen = Item![SECRETS_ATTR.ciphertext]!;
    const { Item: beta2 } = await client.send(new GetItemCommand({ TableName: table, Key: itemKey(tenant, 'beta', 2) }));

    // Onto another name, same version.
    await client.send(new PutItemCommand({ TableName: table, Item: { ...Item!, ...itemKey(tenant, 'beta', 1), [SECRETS_ATTR.ciphertext]: stolen } }));
    await expect(read('beta', 1)).rejects.toBeInstanceOf(UndecryptableError);
    // Onto another version of the same name.
    await client.send(new PutItemCommand({ TableName: table, Item: { ...Item!, ...itemKey(tenant, 'alpha', 2) } }));
    await expect(read('alpha', 2)).rejects.toBeInstanceOf(UndecryptableError);
    // An older version's value over the latest.
    await client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: itemKey(tenant, 'beta', 2),
        UpdateExpression: 'SET #ct = :ct',
        ExpressionAttributeNames: { '#ct': SECRETS_ATTR.ciphertext },
        ExpressionAttributeValues: { ':ct': stolen },
      }),
    );
    await expect(read('beta')).rejects.toBeInstanceOf(UndecryptableError);
    expect(beta2).toBeDefined();
    expect(await read('alpha', 1)).toBe('alpha secret');
  });

  it('binds the encryption context; an unknown namespace is refused', async () => {
    const { put, read, secrets, tenant } = setup();
    await put('ctx', 'bound', { encryptionContext: { app: 'billing' } });
    expect(await read('ctx', undefined, { app: 'billing' })).toBe('bound');
    await expect(read('ctx')).rejects.toBeInstanceOf(UndecryptableError);
    await expect(read('ctx', undefined, { app: 'payroll' })).rejects.toBeInstanceOf(UndecryptableError);
    await expect(secrets.get({ tenant, namespace: 'nope', name: 'ctx' })).rejects.toBeInstanceOf(NamespaceNotFoundError);
    await expect(secrets.put({ tenant, namespace: 'nope', name: 'x', value: Buffer.from('v'), actor: 'a' })).rejects.toBeInstanceOf(
      NamespaceNotFoundError,
    );
  });

  it('lists names with their latest live version, a page at a time', async () => {
    const { put, secrets, tenant } = setup();
    for (const name of ['c', 'a', 'b-1', 'b', 'd']) await put(name, `${name}1`);
    await put('b', 'b2');
    await put('d', 'd2');
    await put('d', 'd3');
    await secrets.delete({ tenant, namespace: 'secrets', name: 'd', version: 3 });
    await secrets.delete({ tenant, namespace: 'secrets', name: 'c' });
    const scope = { tenant, namespace: 'secrets' };
    const first = await secrets.list(scope, { limit: 2 });
    expect(first).toEqual({ secrets: [{ name: 'a', version: 1 }, { name: 'b', version: 2 }], next: 'b' });
    const second = await secrets.list(scope, { limit: 2, after: 'b' });
    expect(second).toEqual({ secrets: [{ name: 'b-1', version: 1 }, { name: 'd', version: 2 }], next: null });
    expect(await secrets.list({ tenant, namespace: 'default' }, { limit: 10 })).toEqual({ secrets: [], next: null });
  });

  it('rotate stores a random value of the asked length and alphabet as the next version', async () => {
    const { put, read, secrets, at } = setup();
    await put('rotating', 'initial');
    const rotated = await secrets.rotate({ ...at('rotating'), length: 40, characters: SECRET_ALPHABETS.hex, actor: 'test|1' });
    expect(rotated.version).toBe(2);
    expect(rotated.value.toString()).toMatch(/^[0-9a-f]{40}$/);
    expect(await read('rotating')).toBe(rotated.value.toString());
    const custom = await secrets.rotate({ ...at('rotating'), length: 200, characters: 'xyz', actor: 'test|1', expectedVersion: 2 });
    expect(new Set(custom.value.toString())).toEqual(new Set(['x', 'y', 'z']));
    await expect(secrets.rotate({ ...at('rotating'), length: 8, characters: 'ab', actor: 'a', expectedVersion: 2 })).rejects.toBeInstanceOf(
      SecretVersionConflictError,
    );
  });

  it("a rekey's writes do not grow with the number of secrets, and every secret reads back after it", async () => {
    const client = fixture.dynamo.client;
    let writes: string[] | undefined;
    const WRITE_COMMANDS = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand']);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const table = (args.input as { TableName?: string; RequestItems?: Record<string, unknown> }).TableName;
        if (writes && WRITE_COMMANDS.has(context.commandName ?? '')) writes.push(`${context.commandName} ${table ?? 'batch'}`);
        return next(args);
      },
      { step: 'initialize', name: 'countWrites' },
    );
    try {
      const rekeyWrites = async (secretCount: number) => {
        const { put, read, service, tenant } = setup();
        for (let i = 0; i < secretCount; i += 10) {
          await Promise.all(Array.from({ length: Math.min(10, secretCount - i) }, (_, j) => put(`s${i + j}`, `value ${i + j}`)));
        }
        writes = [];
        await service.rekey(tenant);
        const seen = writes;
        writes = undefined;
        const values = await Promise.all(Array.from({ length: secretCount }, (_, i) => read(`s${i}`)));
        expect(values).toEqual(Array.from({ length: secretCount }, (_, i) => `value ${i}`));
        return seen.sort();
      };
      const few = await rekeyWrites(2);
      const many = await rekeyWrites(200);
      expect(many).toEqual(few);
      expect(few.length).toBeGreaterThan(0);
      expect(few.filter((write) => write.includes(fixture.dynamo.tables.secrets))).toEqual([]);
    } finally {
      client.middlewareStack.remove('countWrites');
    }
  });
});
