import type { ReencryptionJobs } from '@keyledger/data-plane';
import type { Logger } from '@keyledger/domain';
import { createRouteHandler, json, routeFor, type RouteHandler } from '@keyledger/http';
import type { Job } from '@keyledger/jobs';
import { CRYPTO_DATA_PLANE_CONTRACT } from '../contract';

export type JobOperation = 'listJobs' | 'getJob' | 'reencryptSecrets';

/** A job as the API shows it. */
export function toJobView(job: Job) {
  return {
    id: job.id,
    type: job.type,
    state: job.state,
    done: job.done,
    total: job.total,
    started_at: job.startedAt,
    finished_at: job.finishedAt,
    cause: job.cause,
    namespaces: job.namespaces,
    details: job.details,
    error: job.error,
  };
}

export function createJobHandlers(
  deps: { jobs: ReencryptionJobs; activeNamespaceKid: (tenant: string, namespace: string) => Promise<string>; assertTenantUsable: (tenant: string) => Promise<void> },
  common: { tenantClaim: string; logger?: Logger },
  recordChanges: (handler: RouteHandler) => RouteHandler,
): Record<JobOperation, RouteHandler> {
  return {
    listJobs: createRouteHandler({
      ...common,
      route: routeFor('listJobs'),
      input: CRYPTO_DATA_PLANE_CONTRACT.listJobs.input,
      handle: async ({ auth, input }) => {
        await deps.assertTenantUsable(auth.tenant);
        const { jobs, next } = await deps.jobs.list(auth.tenant, { after: input.queryStringParameters.from, limit: input.queryStringParameters.take });
        return json(200, { jobs: jobs.map(toJobView), next });
      },
    }),
    getJob: createRouteHandler({
      ...common,
      route: routeFor('getJob'),
      input: CRYPTO_DATA_PLANE_CONTRACT.getJob.input,
      handle: async ({ auth, input }) => {
        await deps.assertTenantUsable(auth.tenant);
        return json(200, toJobView(await deps.jobs.get(auth.tenant, input.pathParameters.id)));
      },
    }),
    reencryptSecrets: recordChanges(
      createRouteHandler({
        ...common,
        route: routeFor('reencryptSecrets'),
        input: CRYPTO_DATA_PLANE_CONTRACT.reencryptSecrets.input,
        handle: async ({ auth, input }) => {
          const { namespace } = input.queryStringParameters;
          await deps.activeNamespaceKid(auth.tenant, namespace); // 404 for a namespace the tenant does not have
          const job = await deps.jobs.startManual(auth.tenant, namespace);
          const result = json(202, toJobView(job));
          return { ...result, headers: { ...result.headers, location: `/v1/jobs/${job.id}` } };
        },
      }),
    ),
  };
}
