import { readFile, writeFile } from 'node:fs/promises';
import { ReceiptInvalidError, verifyReceipt, type DestructionReceiptPayload } from '@keyledger/receipts/verify';
import { Option, type Command } from 'commander';
import type { ApiClient } from './apiClient';

type ApiOptions = { url: string; token?: string; json?: boolean };
type Jwks = Parameters<typeof verifyReceipt>[1];

export interface ReceiptsCommandDeps {
  out: (text: string) => void;
  /** Adds --url, --token and --json. */
  withApi: (command: Command) => Command;
  client: (options: ApiOptions) => ApiClient;
  /** The default of --url ($KEYLEDGER_URL, else the local stack). */
  defaultUrl: string;
  fetch?: typeof fetch;
}

/** Where a deployment publishes its receipt keys (public, no token). */
export const RECEIPT_JWKS_PATH = '/.well-known/keyledger/receipt-keys.json';

/** `keyledger receipts get|verify`: signed destruction receipts, verified offline against the deployment's JWKS. */
export function addReceiptsCommands(program: Command, deps: ReceiptsCommandDeps): void {
  const receipts = program.command('receipts').description('Signed receipts of executed destruction requests (ES256 compact JWS).');

  deps
    .withApi(receipts.command('get').description('Fetch the receipt of an executed destruction request.').argument('<request_id>', 'the destruction request'))
    .option('--out <file>', 'write the receipt here (default: print it)')
    .action(async (requestId: string, options: ApiOptions & { out?: string }) => {
      const { receipt } = await deps.client(options).request<{ receipt: string }>('GET', `/v1/destruction-receipts/${encodeURIComponent(requestId)}`);
      if (options.out) await writeFile(options.out, `${receipt}\n`);
      else deps.out(options.json ? `${JSON.stringify({ receipt }, null, 2)}\n` : `${receipt}\n`);
    });

  receipts
    .command('verify')
    .description(`Verify a receipt offline: its ES256 signature against the deployment's receipt keys (${RECEIPT_JWKS_PATH}), its typ and its claims.`)
    .argument('<file>', 'the receipt: a compact JWS, or the JSON {"receipt": ...} of `receipts get --json`')
    .option('--jwks <url|file>', `the receipt keys: an http(s) URL or a local file (default: <url>${RECEIPT_JWKS_PATH})`)
    .addOption(new Option('--url <url>', 'keyledger base URL (default: $KEYLEDGER_URL)').default(deps.defaultUrl))
    .option('--json', 'print the verified payload as JSON')
    .action(async (file: string, options: { url: string; jwks?: string; json?: boolean }) => {
      const receipt = parseReceiptFile(await readFile(file, 'utf8'));
      const jwks = await loadJwks(options.jwks ?? new URL(RECEIPT_JWKS_PATH, options.url).toString(), deps.fetch ?? fetch);
      let verified: Awaited<ReturnType<typeof verifyReceipt>>;
      try {
        verified = await verifyReceipt(receipt, jwks);
      } catch (error) {
        if (error instanceof ReceiptInvalidError) throw new Error(`receipt invalid: ${error.message}`, { cause: error });
        throw error;
      }
      if (options.json) deps.out(`${JSON.stringify(verified.payload, null, 2)}\n`);
      else deps.out(`receipt valid: signed by ${verified.header.kid}\n${summary(verified.payload)}`);
    });
}

/** A compact JWS, or `{"receipt": "<JWS>"}`; whitespace around either is ignored. */
function parseReceiptFile(text: string): string {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return trimmed;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw new Error('receipt invalid: the file starts with "{" but is not JSON.');
  }
  const receipt = (parsed as { receipt?: unknown }).receipt;
  if (typeof receipt !== 'string') throw new Error('receipt invalid: the JSON file has no "receipt" string.');
  return receipt.trim();
}

async function loadJwks(source: string, doFetch: typeof fetch): Promise<Jwks> {
  let text: string;
  if (/^https?:\/\//i.test(source)) {
    let response: Response;
    try {
      response = await doFetch(source, { headers: { accept: 'application/json' } });
    } catch (error) {
      throw new Error(`cannot fetch the receipt keys from ${source}: ${(error as Error).message}`, { cause: error });
    }
    if (!response.ok) throw new Error(`cannot fetch the receipt keys from ${source}: ${response.status} ${response.statusText}`.trimEnd());
    text = await response.text();
  } else {
    text = await readFile(source, 'utf8');
  }
  let jwks: unknown;
  try {
    jwks = JSON.parse(text);
  } catch {
    throw new Error(`the receipt keys from ${source} are not JSON`);
  }
  if (!Array.isArray((jwks as { keys?: unknown })?.keys)) throw new Error(`the receipt keys from ${source} are not a JWKS (no "keys" array)`);
  return jwks as Jwks;
}

function summary(payload: DestructionReceiptPayload): string {
  const rows: Array<[string, string]> = [
    ['request', payload.request_id],
    ['tenant', payload.tenant],
    ['action', payload.action],
    ...payload.keys.map((key): [string, string] => ['key', `${key.kid}  ${key.type}  fingerprint ${key.fingerprint ?? '-'}  (was ${key.state_before})`]),
    ['requested by', `${payload.requested_by.sub}${payload.requested_by.client_id ? ` (client ${payload.requested_by.client_id})` : ''} at ${payload.requested_at}`],
    ...payload.approved_by.map((approval): [string, string] => ['approved by', `${approval.sub} at ${approval.at}`]),
    ['approvals', `${payload.approved_by.length} of ${payload.required_approvals} required`],
    ['scheduled for', payload.scheduled_for],
    ['executed at', payload.executed_at],
    ['audit chain head', payload.audit_chain_head ? `seq ${payload.audit_chain_head.seq}, hash ${payload.audit_chain_head.hash}` : '-'],
    ...payload.root_key_store_operations.map((op): [string, string] => ['root key store', `${op.operation} ${op.kid}: ${op.detail}`]),
    ['deleted', Object.entries(payload.deleted).map(([what, count]) => `${what} ${count}`).join(', ') || '-'],
    ['issued', `by ${payload.iss} at ${new Date(payload.iat * 1000).toISOString()}`],
  ];
  return rows.map(([label, value]) => `  ${label.padEnd(17)}${value}\n`).join('');
}
