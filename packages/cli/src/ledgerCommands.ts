import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { Command } from 'commander';

export interface LedgerCommandDeps {
  out: (text: string) => void;
  /** The Lambda client of a Region (tests pass a mocked one). */
  lambda?: (region: string | undefined) => LambdaClient;
}

/** The deployment's functions the command invokes (infra: KeyledgerFunction names them `keyledger-<stage>-<name>[-<handler>]`). */
export const ledgerFunctions = (stage: string) => ({
  reader: `keyledger-${stage}-destruction-ledger-read`,
  reapply: `keyledger-${stage}-ledger-reapply`,
  rebuild: `keyledger-${stage}-destruction-ledger-rebuild`,
});

/** One attempt per invoke: a retried invoke of the re-apply function could run it twice at once. */
const lambdaClient = (deps: LedgerCommandDeps, region: string | undefined) => deps.lambda?.(region) ?? new LambdaClient({ maxAttempts: 1, ...(region ? { region } : {}) });

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

interface ReappliedTenant {
  tenant: string;
  keys: string[];
  shredded: boolean;
  rekeys: number;
}

/** Invokes a function and answers its JSON; a function error becomes an error naming the function and its message. */
async function invoke<T>(client: LambdaClient, functionName: string, payload: unknown): Promise<T> {
  const answer = await client.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(payload)) }));
  const text = answer.Payload ? Buffer.from(answer.Payload).toString('utf8') : 'null';
  if (answer.FunctionError) {
    let message = text;
    try {
      message = (JSON.parse(text) as { errorMessage?: string }).errorMessage ?? text;
    } catch {
      // not JSON: the text as it came
    }
    throw new Error(`${functionName} failed: ${message}`);
  }
  return JSON.parse(text) as T;
}

/**
 * `keyledger backup reapply-ledger --stage S`: after a DynamoDB table restore in AWS, re-applies
 * every destruction of the ledger (the S3 bucket with Object Lock) to the restored tables, page
 * by page: the reader function signs each page it reads from the bucket, the re-apply function
 * acts only on signed pages. Run it with the API held at zero concurrency (docs/operations.md).
 */
export function addLedgerCommands(backup: Command, deps: LedgerCommandDeps): void {
  backup
    .command('reapply-ledger')
    .description('AWS, after a table restore: re-apply the destruction ledger (S3, Object Lock) to the restored tables, before the API serves again.')
    .requiredOption('--stage <stage>', 'the deployment stage (functions keyledger-<stage>-...)')
    .option('--region <region>', 'the write Region (default: from the AWS environment)')
    .action(async (options: { stage: string; region?: string }) => {
      const client = lambdaClient(deps, options.region);
      const functions = ledgerFunctions(options.stage);
      let cursor: unknown;
      let pages = 0;
      let entries = 0;
      const reapplied: ReappliedTenant[] = [];
      do {
        const signed = await invoke<{ page: { entries: unknown[]; next?: unknown } }>(client, functions.reader, cursor ? { cursor } : {});
        const done = await invoke<{ entries: number; skipped?: string[]; reapplied: ReappliedTenant[] }>(client, functions.reapply, signed);
        pages += 1;
        entries += done.entries;
        reapplied.push(...done.reapplied);
        for (const skipped of done.skipped ?? []) deps.out(`WARN  ${skipped} is not a ledger object: skipped (who wrote it? only the ledger writer may)\n`);
        cursor = signed.page.next;
      } while (cursor);
      for (const tenant of reapplied) {
        deps.out(`re-applied  tenant ${tenant.tenant}: ${tenant.shredded ? 'shredded again' : `${plural(tenant.keys.length, 'key')} destroyed again, ${plural(tenant.rekeys, 'rekey')}`}\n`);
      }
      deps.out(`destruction ledger: ${plural(entries, 'entry').replace(/ys$/, 'ies')} in ${plural(pages, 'page')}; ${plural(reapplied.length, 'tenant')} held destroyed keys and ${reapplied.length === 1 ? 'has' : 'have'} been put right\n`);
      deps.out('ok: the restored tables hold no key the ledger says was destroyed; the API may serve again\n');
    });

  backup
    .command('rebuild-ledger')
    .description('AWS: write every destroying commit of the Events table to the destruction ledger (after its first deploy; after a record in destruction-ledger-dlq).')
    .requiredOption('--stage <stage>', 'the deployment stage (functions keyledger-<stage>-...)')
    .option('--region <region>', 'the Region whose ledger to rebuild (default: from the AWS environment)')
    .option('--since <time>', 'only commits made at or after this instant (ISO 8601; for a dead-lettered record, a little before its time)')
    .action(async (options: { stage: string; region?: string; since?: string }) => {
      if (options.since !== undefined && Number.isNaN(Date.parse(options.since))) throw new Error(`--since: '${options.since}' is not an ISO 8601 instant, e.g. 2026-12-01T00:00:00Z.`);
      const since = options.since === undefined ? undefined : new Date(options.since).toISOString();
      const client = lambdaClient(deps, options.region);
      const { rebuild } = ledgerFunctions(options.stage);
      let cursor: unknown = null;
      let scanned = 0;
      let recorded = 0;
      do {
        const page = await invoke<{ scanned: number; recorded: number; next: unknown }>(client, rebuild, { cursor, ...(since ? { since } : {}) });
        scanned += page.scanned;
        recorded += page.recorded;
        cursor = page.next;
      } while (cursor);
      deps.out(`destruction ledger rebuilt: ${scanned} commits read, ${plural(recorded, 'destroying commit')} written (again, where the ledger had them)\n`);
    });
}
