import Table from 'cli-table3';
import type { Command } from 'commander';
import type { ApiClient } from './apiClient';

type ApiOptions = { url: string; token?: string; json?: boolean };

/** A destruction request as the API answers it (GET /v1/destruction-requests/{id}). */
interface DestructionRequestView {
  id: string;
  action: string;
  kids: string[];
  state: string;
  requested_by: { sub: string };
  approvals: Array<{ sub: string }>;
  required_approvals: number;
  scheduled_for: string;
  reason: string | null;
}

export interface DestructionCommandDeps {
  out: (text: string) => void;
  withApi: (command: Command) => Command;
  client: (options: ApiOptions) => ApiClient;
}

const requestPath = (id: string) => `/v1/destruction-requests/${encodeURIComponent(id)}`;
const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

function requestTable(requests: DestructionRequestView[]): string {
  const table = new Table({ head: ['REQUEST', 'ACTION', 'STATE', 'APPROVALS', 'SCHEDULED FOR', 'BY', 'KEYS'], style: { head: [], border: [] } });
  for (const request of requests) {
    table.push([request.id, request.action, request.state, `${request.approvals.length}/${request.required_approvals}`, request.scheduled_for, request.requested_by.sub, String(request.kids.length)]);
  }
  return table.toString();
}

/** What a shred (or any destructive call) answered: done, or waiting in a request. */
function describeShred(request: DestructionRequestView): string {
  if (request.state === 'executed') {
    return `Tenant shredded (destruction request ${request.id}): ${request.kids.length} keys destroyed; every later call for the tenant answers 410.\nReceipt: keyledger receipts get ${request.id} --out receipt.jws && keyledger receipts verify receipt.jws\n`;
  }
  return (
    `Shred requested: destruction request ${request.id} is ${request.state} (${request.approvals.length} of ${request.required_approvals} approvals; not before ${request.scheduled_for}).\n` +
    `The tenant's keys are unusable until it executes or is cancelled (keyledger destruction-requests cancel ${request.id}).\n`
  );
}

/** `keyledger tenants shred` and `keyledger destruction-requests list|get|approve|cancel`. */
export function addDestructionCommands(program: Command, deps: DestructionCommandDeps): void {
  const tenants = program.command('tenants').description("The caller's tenant as a whole.");
  deps
    .withApi(tenants.command('shred').description("Crypto-shred the token's tenant (DELETE /v1/tenant): every key destroyed, secrets deleted, the tenant id tombstoned; a signed receipt. Cannot be undone once executed."))
    .requiredOption('--yes', 'confirm: the tenant and everything encrypted under it becomes unrecoverable')
    .action(async (options: ApiOptions) => {
      const request = await deps.client(options).request<DestructionRequestView>('DELETE', '/v1/tenant');
      deps.out(options.json ? json(request) : describeShred(request));
    });

  const requests = program.command('destruction-requests').description('Destruction requests: destructive calls waiting for approvals and the waiting period.');
  deps.withApi(requests.command('list').description('Live requests, then the newest finished ones.')).action(async (options: ApiOptions) => {
    const { requests: listed } = await deps.client(options).request<{ requests: DestructionRequestView[] }>('GET', '/v1/destruction-requests');
    deps.out(options.json ? json(listed) : `${requestTable(listed)}\n`);
  });
  deps.withApi(requests.command('get').description('One request.').argument('<id>', 'request id')).action(async (id: string, options: ApiOptions) => {
    deps.out(json(await deps.client(options).request('GET', requestPath(id))));
  });
  for (const [verb, description] of [
    ['approve', 'Approve a request (not your own; needs approve:destruction_requests).'],
    ['cancel', 'Cancel a live request (its requester, or a holder of approve:destruction_requests).'],
  ] as const) {
    deps.withApi(requests.command(verb).description(description).argument('<id>', 'request id')).action(async (id: string, options: ApiOptions) => {
      const request = await deps.client(options).request<DestructionRequestView>('POST', `${requestPath(id)}/${verb}`);
      deps.out(options.json ? json(request) : `${request.id}: ${request.state} (${request.approvals.length} of ${request.required_approvals} approvals)\n`);
    });
  }
}
