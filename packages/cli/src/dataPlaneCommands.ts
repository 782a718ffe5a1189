import { InvalidArgumentError, type Command } from 'commander';
import Table from 'cli-table3';
import type { ApiClient } from './apiClient';
import { wholeNumber } from './options';

type ApiOptions = { url: string; token?: string; json?: boolean };
type Context = Record<string, string>;

export interface DataPlaneCommandDeps {
  out: (text: string) => void;
  /** Raw bytes to stdout (decrypted data is not text). */
  outBytes: (bytes: Uint8Array) => void;
  /** All of stdin. */
  readStdin: () => Promise<Buffer>;
  withApi: (command: Command) => Command;
  client: (options: ApiOptions) => ApiClient;
}

/** `--context k=v`, repeatable: the encryption context bound into the AAD. */
function contextEntry(value: string, previous: Context = {}): Context {
  const split = value.indexOf('=');
  if (split <= 0) throw new InvalidArgumentError('must be key=value.');
  return { ...previous, [value.slice(0, split)]: value.slice(split + 1) };
}

const withContext = (command: Command) =>
  command.option('--context <key=value>', 'encryption context entry (repeatable); decrypt needs the same', contextEntry);
const withNamespace = (command: Command, fallback: string) => command.option('--namespace <ns>', 'namespace', fallback);
const secretPath = (name: string, query: Record<string, string | number | undefined> = {}) => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return `/v1/secrets/${encodeURIComponent(name)}${text ? `?${text}` : ''}`;
};

/** keyledger encrypt|decrypt|rewrap (stdin → stdout) and keyledger secrets put|get|list|versions|delete|rotate; returns `secrets`. */
export function addDataPlaneCommands(program: Command, deps: DataPlaneCommandDeps): Command {
  const { out, outBytes, readStdin, withApi, client } = deps;

  withContext(withNamespace(withApi(program.command('encrypt').description('Encrypt stdin; print the ciphertext (base64).')), 'default')).action(
    async (options: ApiOptions & { namespace: string; context?: Context }) => {
      const plaintext = await readStdin();
      const result = await client(options).request<{ ciphertext: string; kid: string }>('POST', `/v1/namespaces/${options.namespace}/encrypt`, {
        plaintext: plaintext.toString('base64'),
        encryption_context: options.context,
      });
      out(options.json ? `${JSON.stringify(result, null, 2)}\n` : `${result.ciphertext}\n`);
    },
  );

  withContext(withNamespace(withApi(program.command('decrypt').description('Decrypt a ciphertext (base64) from stdin; write the plaintext bytes.')), 'default')).action(
    async (options: ApiOptions & { namespace: string; context?: Context }) => {
      const ciphertext = (await readStdin()).toString('utf8').replace(/\s+/g, '');
      const result = await client(options).request<{ plaintext: string }>('POST', `/v1/namespaces/${options.namespace}/decrypt`, {
        ciphertext,
        encryption_context: options.context,
      });
      if (options.json) out(`${JSON.stringify(result, null, 2)}\n`);
      else outBytes(Buffer.from(result.plaintext, 'base64'));
    },
  );

  withContext(withNamespace(withApi(program.command('rewrap').description("Move a ciphertext (base64) from stdin under the namespace's active key; print it.")), 'default')).action(
    async (options: ApiOptions & { namespace: string; context?: Context }) => {
      const ciphertext = (await readStdin()).toString('utf8').replace(/\s+/g, '');
      const result = await client(options).request<{ ciphertext: string; kid: string }>('POST', `/v1/namespaces/${options.namespace}/rewrap`, {
        ciphertext,
        encryption_context: options.context,
      });
      out(options.json ? `${JSON.stringify(result, null, 2)}\n` : `${result.ciphertext}\n`);
    },
  );

  const secrets = program.command('secrets').description('CredStash-style secrets: versioned, each value under its own data key.');

  withContext(withNamespace(withApi(secrets.command('put').description('Store a new version (the value from the argument, else stdin without its last newline).')), 'secrets'))
    .argument('<name>', 'secret name')
    .argument('[value]', 'the value; read from stdin when left out')
    .option('--expected-version <n>', 'only if this is still the current version (0: must not exist yet)', wholeNumber)
    .action(async (name: string, value: string | undefined, options: ApiOptions & { namespace: string; context?: Context; expectedVersion?: number }) => {
      const secretValue = value ?? (await readStdin()).toString('utf8').replace(/\r?\n$/, '');
      const written = await client(options).request<{ name: string; version: number }>('PUT', secretPath(name, { namespace: options.namespace }), {
        value: secretValue,
        encryption_context: options.context,
        expected_version: options.expectedVersion,
      });
      out(options.json ? `${JSON.stringify(written, null, 2)}\n` : `${written.name} is at version ${written.version}\n`);
    });

  withContext(withNamespace(withApi(secrets.command('get').description('Print the latest value (or --version N).')), 'secrets'))
    .argument('<name>', 'secret name')
    .option('--version <n>', 'a version instead of the latest', wholeNumber)
    .action(async (name: string, options: ApiOptions & { namespace: string; context?: Context; version?: number }) => {
      const read = await client(options).request<{ value: string; version: number }>(
        'GET',
        secretPath(name, {
          namespace: options.namespace,
          version: options.version,
          encryption_context: options.context ? JSON.stringify(options.context) : undefined,
        }),
      );
      out(options.json ? `${JSON.stringify(read, null, 2)}\n` : `${read.value}\n`);
    });

  withNamespace(withApi(secrets.command('list').description('List secret names with their latest versions.')), 'secrets').action(
    async (options: ApiOptions & { namespace: string }) => {
      type Listed = { name: string; version: number; rotation: { period: string; next_rotation_at: string } | null };
      const all: Listed[] = [];
      let from: string | null | undefined;
      do {
        const page: { secrets: Listed[]; next: string | null } = await client(options).request(
          'GET',
          `/v1/secrets?${new URLSearchParams({ namespace: options.namespace, take: '100', ...(from ? { from } : {}) })}`,
        );
        all.push(...page.secrets);
        from = page.next;
      } while (from);
      if (options.json) return out(`${JSON.stringify(all, null, 2)}\n`);
      const table = new Table({ head: ['NAME', 'VERSION', 'ROTATION', 'NEXT ROTATION'], style: { head: [], border: [] } });
      for (const entry of all) table.push([entry.name, entry.version, entry.rotation?.period ?? '-', entry.rotation?.next_rotation_at ?? '-']);
      out(`${table.toString()}\n${all.length} secrets in ${options.namespace}\n`);
    },
  );

  withNamespace(withApi(secrets.command('versions').description("List a secret's versions, newest first.")), 'secrets')
    .argument('<name>', 'secret name')
    .action(async (name: string, options: ApiOptions & { namespace: string }) => {
      const result = await client(options).request<{
        versions: Array<{ version: number; created_at: string; created_by: string }>;
        rotation: { period: string; last_rotated_at: string | null; next_rotation_at: string } | null;
        audit: string;
      }>(
        'GET',
        `/v1/secrets/${encodeURIComponent(name)}/versions?${new URLSearchParams({ namespace: options.namespace })}`,
      );
      if (options.json) return out(`${JSON.stringify(result, null, 2)}\n`);
      const table = new Table({ head: ['VERSION', 'CREATED', 'BY'], style: { head: [], border: [] } });
      for (const v of result.versions) table.push([v.version, v.created_at, v.created_by]);
      const rotation = result.rotation
        ? `rotation every ${result.rotation.period}, last ${result.rotation.last_rotated_at ?? 'never'}, next ${result.rotation.next_rotation_at}`
        : 'no rotation schedule';
      out(`${table.toString()}\n${rotation}; reads audited: ${result.audit}\n`);
    });

  withNamespace(withApi(secrets.command('delete').description('Delete every version (or only --version N).')), 'secrets')
    .argument('<name>', 'secret name')
    .option('--version <n>', 'only this version', wholeNumber)
    .action(async (name: string, options: ApiOptions & { namespace: string; version?: number }) => {
      await client(options).request('DELETE', secretPath(name, { namespace: options.namespace, version: options.version }));
      const what = options.version === undefined ? `${name} (all versions)` : `${name} version ${options.version}`;
      out(options.json ? `${JSON.stringify({ deleted: name, version: options.version ?? null })}\n` : `Deleted ${what}.\n`);
    });

  withContext(withNamespace(withApi(secrets.command('rotate').description('Store a new random value as the next version and print it (once).')), 'secrets'))
    .argument('<name>', 'secret name')
    .option('--length <n>', 'characters (8-4096)', wholeNumber)
    .option('--alphabet <name>', 'alphanumeric, hex, base64url or printable')
    .option('--characters <chars>', 'draw from these characters instead')
    .option('--expected-version <n>', 'only if this is still the current version', wholeNumber)
    .action(
      async (
        name: string,
        options: ApiOptions & { namespace: string; context?: Context; length?: number; alphabet?: string; characters?: string; expectedVersion?: number },
      ) => {
        const rotated = await client(options).request<{ value: string; version: number }>(
          'POST',
          `/v1/secrets/${encodeURIComponent(name)}/rotate?${new URLSearchParams({ namespace: options.namespace })}`,
          {
            length: options.length,
            alphabet: options.alphabet,
            characters: options.characters,
            encryption_context: options.context,
            expected_version: options.expectedVersion,
          },
        );
        out(options.json ? `${JSON.stringify(rotated, null, 2)}\n` : `${rotated.value}\n`);
      },
    );
  return secrets;
}
