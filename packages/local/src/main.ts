/** `npm start`: the whole keyledger stack on this machine, with no AWS account. */
import { jsonLogger } from '@keyledger/http';
import { SOFTWARE_ROOT_KEY_WARNING } from '@keyledger/root-key-store';
import { dirname, resolve } from 'node:path';
import { readLocalConfig } from './config';
import { startLocalStack } from './localStack';

async function main(): Promise<void> {
  const config = readLocalConfig(process.env);
  const logger = jsonLogger({ service: 'keyledger-local' });
  // The bundle runs from packages/local/dist; the dashboard is built into packages/dashboard/dist.
  const dashboardDir = resolve(dirname(process.argv[1] ?? '.'), '..', '..', 'dashboard', 'dist');
  let started = false;
  const stack = await startLocalStack(config, logger, {
    dashboardDir,
    onSignInCode: (code, reason) => {
      if (!started) return;
      const why = reason === 'used' ? 'the last one was used' : 'too many wrong codes';
      process.stdout.write(`dashboard sign-in code (one use; ${why}): ${code}\n`);
    },
  });
  started = true;

  const line = '!'.repeat(78);
  if (stack.rootKeyStore.developmentOnly) {
    process.stderr.write(`${line}\n!! WARNING: ${SOFTWARE_ROOT_KEY_WARNING}\n!! Root key file: ${config.dataDir}/root-key.json\n${line}\n`);
  }
  if (config.faults.length > 0) {
    process.stderr.write(`!! FAULT INJECTION ACTIVE (KEYLEDGER_FAULTS): ${config.faults.join(', ')}\n`);
  }
  process.stdout.write(
    [
      `keyledger is running at ${stack.url}`,
      `  data dir:        ${config.dataDir}`,
      `  dynamodb:        ${stack.dynamo.endpoint} (dynalite)`,
      `  root key store:  ${stack.rootKeyStoreSummary}`,
      `  JWT issuer:      ${stack.issuer.issuer} (JWKS at ${stack.url}/.well-known/jwks.json)`,
      `  dashboard:       ${stack.dashboardUrl}  (dev sign-in code: ${stack.signIn.currentCode}, one use; each next one is printed here)`,
      `  admin token for tenant '${config.devTenant}' (12 h):`,
      stack.adminToken,
      '',
      'In another shell, paste these two lines (the CLI and the README tour read them):',
      `export KEYLEDGER_URL=${stack.url}`,
      `export KEYLEDGER_TOKEN=${stack.adminToken}`,
      '',
      `Then: curl -H "Authorization: Bearer $KEYLEDGER_TOKEN" $KEYLEDGER_URL/api/v2/keys/encryption`,
      '      npx keyledger keys list',
      '      and the rest of the tour: README.md, "A short tour".',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal} received, stopping keyledger...\n`);
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`error while stopping: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`keyledger failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
