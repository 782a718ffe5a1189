import { readFile } from 'node:fs/promises';
import Table from 'cli-table3';
import type { Command } from 'commander';
import type { ApiClient } from './apiClient';
import { wholeNumber } from './options';

type ApiOptions = { url: string; token?: string; json?: boolean; namespace: string };

export interface SecretPracticeCommandDeps {
  out: (text: string) => void;
  withApi: (command: Command) => Command;
  client: (options: ApiOptions) => ApiClient;
}

const path = (name: string, what: string, query: Record<string, string> = {}) =>
  `/v1/secrets/${encodeURIComponent(name)}/${what}?${new URLSearchParams({ ...query })}`;
const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

interface RotationView {
  period: string;
  length: number;
  alphabet: string | null;
  keep: number | null;
  last_rotated_at: string | null;
  last_version: number | null;
  next_rotation_at: string;
}

const describeRotation = (name: string, rotation: RotationView) =>
  `${name}: a new ${rotation.length}-character ${rotation.alphabet ?? 'custom-alphabet'} value every ${rotation.period}${rotation.keep ? `, keeping ${rotation.keep} versions` : ''}; last ${rotation.last_rotated_at ? `${rotation.last_rotated_at} (version ${rotation.last_version})` : 'never'}, next ${rotation.next_rotation_at}\n`;

/**
 * `keyledger secrets rotation set|get|delete`, `secrets usage`, `secrets audit` and
 * `secrets access-rules get|set`: scheduled rotation, who read what, and who may read.
 */
export function addSecretPracticeCommands(secrets: Command, deps: SecretPracticeCommandDeps): void {
  const { out, withApi, client } = deps;
  const inNamespace = (command: Command) => withApi(command).option('--namespace <ns>', 'namespace', 'secrets');
  const rotation = secrets.command('rotation').description('Scheduled rotation: a new random version every period, announced by secret_rotated events.');

  inNamespace(rotation.command('set').description('Rotate NAME every --period (ISO 8601, at least PT1H); the first rotation is one period from now.'))
    .argument('<name>', 'secret name')
    .requiredOption('--period <duration>', 'e.g. P30D or PT1H')
    .option('--length <n>', 'characters of each value', wholeNumber, 32)
    .option('--alphabet <name>', 'alphanumeric, hex, base64url or printable', 'alphanumeric')
    .option('--characters <chars>', 'custom characters instead of --alphabet')
    .option('--keep <n>', 'live versions kept after each rotation (older ones deleted)', wholeNumber)
    .action(async (name: string, options: ApiOptions & { period: string; length: number; alphabet: string; characters?: string; keep?: number }) => {
      const body = { period: options.period, length: options.length, ...(options.characters ? { characters: options.characters } : { alphabet: options.alphabet }), ...(options.keep ? { keep: options.keep } : {}) };
      const view = await client(options).request<RotationView>('PUT', path(name, 'rotation', { namespace: options.namespace }), body);
      out(options.json ? json(view) : describeRotation(name, view));
    });
  inNamespace(rotation.command('get').description("Show NAME's rotation schedule."))
    .argument('<name>', 'secret name')
    .action(async (name: string, options: ApiOptions) => {
      const view = await client(options).request<RotationView>('GET', path(name, 'rotation', { namespace: options.namespace }));
      out(options.json ? json(view) : describeRotation(name, view));
    });
  inNamespace(rotation.command('delete').description("Stop NAME's scheduled rotation (its versions stay)."))
    .argument('<name>', 'secret name')
    .action(async (name: string, options: ApiOptions) => {
      await client(options).request('DELETE', path(name, 'rotation', { namespace: options.namespace }));
      out(`${name}: no rotation schedule any more\n`);
    });

  inNamespace(secrets.command('usage').description('Who read NAME and when: reads per version, client and subject (written every flush interval, or per read with every_read).'))
    .argument('<name>', 'secret name')
    .action(async (name: string, options: ApiOptions) => {
      type Row = { version: number; client_id: string | null; subject: string | null; reads: number; first_read_at: string; last_read_at: string };
      const rows: Row[] = [];
      let from: string | null = null;
      do {
        const page: { usage: Row[]; next: string | null } = await client(options).request('GET', path(name, 'usage', { namespace: options.namespace, take: '1000', ...(from ? { from } : {}) }));
        rows.push(...page.usage);
        from = page.next;
      } while (from);
      if (options.json) return out(json(rows));
      const table = new Table({ head: ['VERSION', 'CLIENT', 'SUBJECT', 'READS', 'FIRST READ', 'LAST READ'], style: { head: [], border: [] } });
      for (const row of rows) table.push([row.version, row.client_id ?? '-', row.subject ?? '-', row.reads, row.first_read_at, row.last_read_at]);
      out(`${table.toString()}\n${rows.reduce((sum, row) => sum + row.reads, 0)} reads of ${name}\n`);
    });

  inNamespace(secrets.command('audit').description("How NAME's reads are audited: summary (counts per flush interval) or every_read (one log entry per read)."))
    .argument('<name>', 'secret name')
    .argument('<mode>', 'summary or every_read')
    .action(async (name: string, mode: string, options: ApiOptions) => {
      const view = await client(options).request<{ audit: string }>('PUT', path(name, 'audit', { namespace: options.namespace }), { audit: mode });
      out(options.json ? json(view) : `${name}: reads audited as ${view.audit}\n`);
    });

  const rules = secrets.command('access-rules').description('Who may read the values of the secrets each name glob matches (the first matching rule decides).');
  inNamespace(rules.command('get').description("Print the namespace's rules (JSON).")).action(async (options: ApiOptions) => {
    out(json(await client(options).request('GET', `/v1/secret-access-rules?${new URLSearchParams({ namespace: options.namespace })}`)));
  });
  inNamespace(rules.command('set').description('Replace the rules with those of FILE: {"rules": [{"match": "db.*", "read": {"clients": [...], "subjects": [...]}}]}.'))
    .argument('<file>', 'JSON file')
    .action(async (file: string, options: ApiOptions) => {
      let body: unknown;
      try {
        body = JSON.parse(await readFile(file, 'utf8'));
      } catch (error) {
        throw new Error(`${file}: not JSON (${(error as Error).message}).`, { cause: error });
      }
      const view = await client(options).request<{ rules: unknown[] }>('PUT', `/v1/secret-access-rules?${new URLSearchParams({ namespace: options.namespace })}`, body);
      out(options.json ? json(view) : `${view.rules.length} access rule${view.rules.length === 1 ? '' : 's'} in force in ${options.namespace}\n`);
    });
}
