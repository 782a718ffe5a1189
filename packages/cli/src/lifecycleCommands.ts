import { setTimeout as sleep } from 'node:timers/promises';
import type { KeyUsageView } from '@keyledger/key-admin';
import { SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import type { Command } from 'commander';
import type { ApiClient } from './apiClient';
import { wholeNumber } from './options';

type ApiOptions = { url: string; token?: string; json?: boolean };

interface JobView {
  id: string;
  type: string;
  state: 'running' | 'succeeded' | 'failed';
  done: number;
  total: number;
  started_at: string;
  finished_at: string | null;
  cause: string;
  namespaces: string[];
  details: Record<string, number>;
  error: string | null;
}

export interface LifecycleCommandDeps {
  out: (text: string) => void;
  /** Where the progress bar draws (stderr, so that stdout stays the result). */
  progress: NodeJS.WritableStream & { isTTY?: boolean };
  withApi: (command: Command) => Command;
  client: (options: ApiOptions) => ApiClient;
}

/** How often `--watch` polls a job (ms). */
const WATCH_INTERVAL_MS = 500;

const jobPath = (id: string) => `/v1/jobs/${encodeURIComponent(id)}`;
const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

function jobTable(jobs: JobView[]): string {
  const table = new Table({ head: ['JOB', 'TYPE', 'STATE', 'DONE', 'STARTED', 'CAUSE'], style: { head: [], border: [] } });
  for (const job of jobs) table.push([job.id, job.type, job.state, `${job.done}/${job.total}`, job.started_at, job.cause]);
  return table.toString();
}

/** `keyledger keys usage|retention`, `keyledger jobs list|get|watch` and `keyledger secrets reencrypt`. */
export function addLifecycleCommands(program: Command, keys: Command, secrets: Command, deps: LifecycleCommandDeps): void {
  const { out, withApi, client } = deps;

  withApi(keys.command('usage').description('What depends on a key: stored secret versions under it, decrypts since it was deactivated.').argument('<kid>', 'key id')).action(
    async (kid: string, options: ApiOptions) => {
      const usage = await client(options).request<KeyUsageView>('GET', `/v1/keys/${encodeURIComponent(kid)}/usage`);
      if (options.json) return out(json(usage));
      const table = new Table({ head: ['KID', 'STATE', 'SECRET VERSIONS', 'LAST DECRYPT', 'DECRYPTS'], style: { head: [], border: [] } });
      table.push([usage.kid, usage.state, usage.secret_versions, usage.last_decrypt_at ?? '-', usage.decrypts]);
      out(`${table.toString()}\n`);
    },
  );

  withApi(keys.command('retention').description('Show, or set, automatic retirement of quiet, unused deactivated keys.'))
    .option('--set <duration>', 'retire them once unused and quiet this long (ISO 8601, e.g. P30D)')
    .option('--off', 'never retire automatically')
    .action(async (options: ApiOptions & { set?: string; off?: boolean }) => {
      if (options.set && options.off) throw new Error('Give --set <duration> or --off, not both.');
      const api = client(options);
      const change = options.off ? { auto_retire_after: null } : options.set ? { auto_retire_after: options.set } : undefined;
      const setting = change
        ? await api.request<{ auto_retire_after: string | null }>('PUT', '/v1/keys/retention', change)
        : await api.request<{ auto_retire_after: string | null }>('GET', '/v1/keys/retention');
      out(options.json ? json(setting) : `Automatic retirement: ${setting.auto_retire_after ? `after ${setting.auto_retire_after} without use` : 'off'}\n`);
    });

  const jobs = program.command('jobs').description('Background jobs (the re-encryption of stored secrets after a rekey).');
  withApi(jobs.command('list').description('Jobs, newest first.'))
    .option('--take <n>', 'how many (1-100)', wholeNumber)
    .action(async (options: ApiOptions & { take?: number }) => {
      const query = new URLSearchParams(options.take ? { take: String(options.take) } : {});
      const { jobs: found } = await client(options).request<{ jobs: JobView[] }>('GET', `/v1/jobs${query.size ? `?${query}` : ''}`);
      out(options.json ? json(found) : `${jobTable(found)}\n`);
    });
  withApi(jobs.command('get').description('One job.').argument('<id>', 'job id')).action(async (id: string, options: ApiOptions) => {
    const job = await client(options).request<JobView>('GET', jobPath(id));
    out(options.json ? json(job) : `${jobTable([job])}\n`);
  });
  withApi(jobs.command('watch').description('Follow a job (the newest one if no id) with a progress bar until it ends; exit 1 if it fails.').argument('[id]', 'job id'))
    .option('--interval <ms>', 'poll interval in milliseconds', wholeNumber, WATCH_INTERVAL_MS)
    .action(async (id: string | undefined, options: ApiOptions & { interval: number }) => {
      const api = client(options);
      const jobId = id ?? (await api.request<{ jobs: JobView[] }>('GET', '/v1/jobs?take=1')).jobs[0]?.id;
      if (!jobId) throw new Error('This tenant has no jobs yet.');
      const job = await watch(api, jobId, options.interval);
      out(options.json ? json(job) : `Job ${job.id} ${job.state}: ${job.done} of ${job.total}${job.error ? ` — ${job.error}` : ''}\n`);
      if (job.state === 'failed') throw new Error(`Job ${job.id} failed.`);
    });

  withApi(secrets.command('reencrypt').description("Start a job that moves a namespace's stored secrets under its active key."))
    .option('--namespace <ns>', 'namespace', 'secrets')
    .option('--watch', 'follow the job until it ends')
    .action(async (options: ApiOptions & { namespace: string; watch?: boolean }) => {
      const api = client(options);
      const started = await api.request<JobView>('POST', `/v1/secrets/reencrypt?${new URLSearchParams({ namespace: options.namespace })}`);
      const job = options.watch ? await watch(api, started.id, WATCH_INTERVAL_MS) : started;
      out(options.json ? json(job) : `Job ${job.id} ${job.state}: ${job.done} of ${job.total}\n`);
    });

  /** Polls the job, drawing its progress, until it is no longer running. */
  async function watch(api: ApiClient, id: string, intervalMs: number): Promise<JobView> {
    const bar = new SingleBar({
      stream: deps.progress,
      format: `${id} [{bar}] {value}/{total} {state}`,
      noTTYOutput: true,
      notTTYSchedule: 2_000,
      hideCursor: true,
    });
    let job = await api.request<JobView>('GET', jobPath(id));
    bar.start(Math.max(job.total, 1), job.done, { state: job.state });
    try {
      while (job.state === 'running') {
        await sleep(intervalMs);
        job = await api.request<JobView>('GET', jobPath(id));
        bar.setTotal(Math.max(job.total, job.done, 1));
        bar.update(job.done, { state: job.state });
      }
    } finally {
      bar.stop();
    }
    return job;
  }
}
