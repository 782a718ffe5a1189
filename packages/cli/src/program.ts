import type { LambdaClient } from '@aws-sdk/client-lambda';
import { Command, Option } from 'commander';
import type { EncryptionKeyView } from '@keyledger/key-admin';
import Table from 'cli-table3';
import { DevIssuer } from '@keyledger/local/dev';
import { readLocalConfig } from '@keyledger/local/dev';
import { ISO_INSTANT_FORMAT, readSettings } from '@keyledger/settings';
import { ApiClient, ApiError } from './apiClient';
import { addBackupCommands } from './backupCommands';
import { addByokCommands } from './byokCommands';
import { addDataPlaneCommands } from './dataPlaneCommands';
import { addDestructionCommands } from './destructionCommands';
import { addLifecycleCommands } from './lifecycleCommands';
import { addLogsCommands } from './logsCommands';
import { instant, wholeNumber } from './options';
import { addReceiptsCommands } from './receiptsCommands';
import { addSecretPracticeCommands } from './secretPracticeCommands';
import { version } from '../package.json';

export interface CliIo {
  out: (text: string) => void;
  /** Raw bytes to stdout; defaults to `out` of their UTF-8 text. */
  outBytes?: (bytes: Uint8Array) => void;
  /** All of stdin; defaults to nothing. */
  readStdin?: () => Promise<Buffer>;
  err: (text: string) => void;
  /** Where progress bars draw; defaults to stderr. */
  progress?: NodeJS.WritableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
  /** The AWS Lambda client of a Region, for `backup reapply-ledger` (tests pass a mocked one). */
  lambda?: (region: string | undefined) => LambdaClient;
}

function keyTable(keys: EncryptionKeyView[]): string {
  const table = new Table({ head: ['KID', 'TYPE', 'NAMESPACE', 'STATE', 'PARENT', 'UPDATED'], style: { head: [], border: [] } });
  for (const key of keys) table.push([key.kid, key.type, key.namespace ?? '-', key.state, key.parent_kid ?? '-', key.updated_at]);
  return table.toString();
}

export function createProgram(io: CliIo): Command {
  const program = new Command('keyledger')
    .description('keyledger: tenant key hierarchies, rekey, bring your own key, encryption, secrets, audit logs and (locally) dev tokens.')
    .version(version, '-V, --version', 'Print the keyledger version.')
    // Program options only before a command: `secrets get --version 2` is the secret's version.
    .enablePositionalOptions()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .addHelpText(
      'after',
      [
        '',
        'Environment (flags override it):',
        '  KEYLEDGER_URL       the keyledger base URL (default http://127.0.0.1:$KEYLEDGER_PORT, port 8787; in AWS the stack\'s ApiUrl)',
        '  KEYLEDGER_TOKEN     the bearer token of API calls (`keyledger token` mints a local one)',
        '  KEYLEDGER_DATA_DIR  local only: the data dir of `npm start`, whose dev issuer `keyledger token` signs with (default .keyledger)',
        '`npm start` prints ready-to-paste `export KEYLEDGER_URL=...` and `export KEYLEDGER_TOKEN=...` lines.',
      ].join('\n'),
    )
    .exitOverride()
    .showHelpAfterError();

  program
    .command('token')
    .description('Print a bearer token from the local dev issuer (same KEYLEDGER_DATA_DIR as npm start).')
    .requiredOption('--tenant <tenant>', 'tenant the token is for')
    .option('--scope <scopes>', 'space-separated scopes', '')
    .option('--subject <sub>', 'token subject (defaults to local-dev|<tenant>)')
    .option('--client-id <id>', "the token's OAuth client, its azp and client_id claims (defaults to keyledger-cli): what secret access rules name")
    .option('--expires-in <seconds>', 'lifetime in seconds', wholeNumber, 3600)
    .action(async (options: { tenant: string; scope: string; subject?: string; clientId?: string; expiresIn: number }) => {
      const scopes = options.scope.split(/\s+/).filter(Boolean);
      io.out(`${await mintLocalToken(io.env, { tenant: options.tenant, scopes, subject: options.subject, clientId: options.clientId, expiresIn: options.expiresIn })}\n`);
    });

  const keys = program.command('keys').description('The tenant key hierarchy (Management API /api/v2/keys/encryption).');
  const settings = readSettings(['port', 'url', 'token'], io.env);
  const withApi = (command: Command) =>
    command
      .addOption(new Option('--url <url>', 'keyledger base URL (default: $KEYLEDGER_URL)').default(settings.url ?? `http://127.0.0.1:${settings.port}`))
      .addOption(new Option('--token <token>', 'bearer token (default: $KEYLEDGER_TOKEN)'))
      .option('--json', 'print JSON for scripts');
  const client = (options: { url: string; token?: string }) => new ApiClient({ url: options.url, token: options.token ?? settings.token, fetch: io.fetch });

  withApi(keys.command('list').description('List keys, newest first; with --at, as they were at that instant (GET /v1/keys/as-of).'))
    .option('--page <n>', 'page, from 0', wholeNumber)
    .option('--per-page <n>', 'keys per page (1-100)', wholeNumber)
    .option('--at <time>', `list the keys as they were then, not after the server's clock: ${ISO_INSTANT_FORMAT} (no other format is taken)`, instant)
    .action(async (options: { url: string; token?: string; json?: boolean; page?: number; perPage?: number; at?: Date }) => {
      const query = new URLSearchParams({ include_totals: 'true' });
      if (options.page !== undefined) query.set('page', String(options.page));
      if (options.perPage !== undefined) query.set('per_page', String(options.perPage));
      if (options.at) query.set('at', options.at.toISOString());
      const result = await client(options).request<{ keys: EncryptionKeyView[]; total: number; start: number }>(
        'GET',
        `${options.at ? '/v1/keys/as-of' : '/api/v2/keys/encryption'}?${query}`,
      );
      if (options.json) io.out(`${JSON.stringify(result.keys, null, 2)}\n`);
      else io.out(`${keyTable(result.keys)}\n${result.keys.length} of ${result.total} keys${options.at ? ` as of ${options.at.toISOString()}` : ''}\n`);
    });

  withApi(keys.command('get').description('Show one key.').argument('<kid>', 'key id')).action(
    async (kid: string, options: { url: string; token?: string; json?: boolean }) => {
      const key = await client(options).request<EncryptionKeyView>('GET', `/api/v2/keys/encryption/${encodeURIComponent(kid)}`);
      io.out(options.json ? `${JSON.stringify(key, null, 2)}\n` : `${keyTable([key])}\n`);
    },
  );

  withApi(keys.command('rekey').description('Rekey: new TMK, rotated namespace keys, previous TMK destroyed.')).action(
    async (options: { url: string; token?: string; json?: boolean }) => {
      await client(options).request('POST', '/api/v2/keys/encryption/rekey');
      io.out(options.json ? '{"rekeyed":true}\n' : 'Rekeyed. Run `keyledger keys list` to see the new hierarchy.\n');
    },
  );

  addByokCommands(program, keys, { out: io.out, err: io.err, env: io.env, withApi, client, keyTable });

  const secrets = addDataPlaneCommands(program, {
    out: io.out,
    outBytes: io.outBytes ?? ((bytes) => io.out(Buffer.from(bytes).toString('utf8'))),
    readStdin: io.readStdin ?? (async () => Buffer.alloc(0)),
    withApi,
    client,
  });

  addSecretPracticeCommands(secrets, { out: io.out, withApi, client });

  addLifecycleCommands(program, keys, secrets, { out: io.out, progress: io.progress ?? process.stderr, withApi, client });

  addLogsCommands(program, {
    out: io.out,
    withApi,
    client: async (options) => {
      if (options.tenant && !options.token) {
        // Local only: the dev issuer's key is in the data dir, as for `keyledger token`.
        const token = await mintLocalToken(io.env, { tenant: options.tenant, scopes: ['read:logs'], expiresIn: 600 });
        return new ApiClient({ url: options.url, token, fetch: io.fetch });
      }
      return client(options);
    },
  });

  addDestructionCommands(program, { out: io.out, withApi, client });
  addBackupCommands(program, { out: io.out, env: io.env, lambda: io.lambda });
  addReceiptsCommands(program, { out: io.out, withApi, client, defaultUrl: settings.url ?? `http://127.0.0.1:${settings.port}`, fetch: io.fetch });

  return program;
}

async function mintLocalToken(
  env: Record<string, string | undefined>,
  claims: { tenant: string; scopes: string[]; subject?: string; clientId?: string; expiresIn: number },
): Promise<string> {
  const config = readLocalConfig(env);
  const issuer = await DevIssuer.openOrCreate(config.dataDir, {
    audience: config.jwtAudience,
    tenantClaim: config.tenantClaim,
  });
  return issuer.sign(claims);
}

/** Runs the CLI; returns the process exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    const program = createProgram(io);
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    const commanderError = error as { code?: string; exitCode?: number };
    if (commanderError.code?.startsWith('commander.')) {
      return commanderError.code === 'commander.helpDisplayed' || commanderError.code === 'commander.version' ? 0 : (commanderError.exitCode ?? 1);
    }
    io.err(`keyledger: ${error instanceof ApiError || error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
