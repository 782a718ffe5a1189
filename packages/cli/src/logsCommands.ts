import { readWholeChain, verifyChain, type LogEntry } from '@keyledger/audit-log';
import Table from 'cli-table3';
import type { Command } from 'commander';
import type { ApiClient } from './apiClient';
import { wholeNumber } from './options';

export interface LogsCommandContext {
  out: (text: string) => void;
  /** Adds --url, --token and --json. */
  withApi: (command: Command) => Command;
  client: (options: { url: string; token?: string; tenant?: string }) => Promise<ApiClient>;
  sleep?: (ms: number) => Promise<void>;
}

type ApiOptions = { url: string; token?: string; json?: boolean; tenant?: string };

const PAGE = 100;

function logTable(logs: LogEntry[]): string {
  const table = new Table({ head: ['DATE', 'TYPE', 'DESCRIPTION', 'LOG ID'], style: { head: [], border: [] } });
  for (const log of logs) table.push([log.date, log.type, log.description, log.log_id]);
  return table.toString();
}

/** `keyledger logs list|tail|verify` over GET /api/v2/logs. */
export function addLogsCommands(program: Command, context: LogsCommandContext): void {
  const logs = program.command('logs').description("The tenant's audit log (Management API /api/v2/logs).");
  const tenantOption = (command: Command) =>
    command.option('--tenant <tenant>', 'locally: mint a read:logs dev token for this tenant (instead of --token)');

  tenantOption(context.withApi(logs.command('list').description('Search log events, newest first.')))
    .option('--q <query>', 'Auth0 log search, e.g. "type:sapi AND date:[2026-11-01 TO *]"')
    .option('--type <type>', 'only this event type (shorthand for --q type:TYPE)')
    .option('--page <n>', 'page, from 0', wholeNumber)
    .option('--per-page <n>', 'entries per page (1-100)', wholeNumber)
    .action(async (options: ApiOptions & { q?: string; type?: string; page?: number; perPage?: number }) => {
      const q = [options.type ? `type:${options.type}` : '', options.q ? `(${options.q})` : ''].filter(Boolean).join(' AND ');
      const query = new URLSearchParams({ include_totals: 'true' });
      if (q) query.set('q', q);
      if (options.page !== undefined) query.set('page', String(options.page));
      if (options.perPage !== undefined) query.set('per_page', String(options.perPage));
      const api = await context.client(options);
      const result = await api.request<{ logs: LogEntry[]; total: number }>('GET', `/api/v2/logs?${query}`);
      if (options.json) context.out(`${JSON.stringify(result.logs, null, 2)}\n`);
      else context.out(`${logTable(result.logs)}\n${result.logs.length} of ${result.total} log events\n`);
    });

  tenantOption(context.withApi(logs.command('tail').description('Print log events as they arrive (from/take checkpoints).')))
    .option('--from <log_id>', 'start after this log id (default: the beginning)')
    .option('--interval <ms>', 'poll interval in milliseconds', wholeNumber, 1000)
    .option('--no-follow', 'print what is there and exit')
    .action(async (options: ApiOptions & { from?: string; interval: number; follow: boolean }) => {
      const api = await context.client(options);
      const sleep = context.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
      let from = options.from;
      for (;;) {
        const query = new URLSearchParams({ take: String(PAGE) });
        if (from) query.set('from', from);
        const page = await api.request<LogEntry[]>('GET', `/api/v2/logs?${query}`);
        for (const log of page) {
          context.out(options.json ? `${JSON.stringify(log)}\n` : `${log.date}  ${log.type.padEnd(27)} ${log.description}  [${log.log_id}]\n`);
        }
        from = page.at(-1)?.log_id ?? from;
        if (page.length === PAGE) continue;
        if (!options.follow) return;
        await sleep(options.interval);
      }
    });

  tenantOption(context.withApi(logs.command('verify').description("Walk the tenant's hash chain; exit 1 at the first broken link.")))
    .action(async (options: ApiOptions) => {
      const api = await context.client(options);
      const { entries, head } = await readWholeChain(async (from, take) => {
        const query = new URLSearchParams({ take: String(take) });
        if (from) query.set('from', from);
        const { body, headers } = await api.exchange<LogEntry[]>('GET', `/api/v2/logs?${query}`);
        return { entries: body, headHeader: headers.get('x-keyledger-chain-head') };
      }, { pageSize: PAGE });
      const result = verifyChain(entries, head);
      if (options.json) context.out(`${JSON.stringify(result, null, 2)}\n`);
      else if (result.ok) context.out(`Chain intact: ${result.entries} entries, every hash and link checks out.\n`);
      if (!result.ok) throw new ChainBrokenError(result.message);
    });
}

export class ChainBrokenError extends Error {
  constructor(message: string) {
    super(`chain broken: ${message}`);
    this.name = 'ChainBrokenError';
  }
}
