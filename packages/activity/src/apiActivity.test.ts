import type { Context } from 'aws-lambda';
import type { RecordedEvent } from '@keyledger/events';
import { httpEvent } from '@keyledger/http/testing';
import type { ActivityRecorder } from './activityRecorder';
import { recordApiCalls } from './apiActivity';

describe('recordApiCalls', () => {
  it('keeps at most 512 characters of the path and User-Agent a caller sends, never half a surrogate pair', async () => {
    const recorded: RecordedEvent[] = [];
    const activity = {
      withinRequest: (_id: string, run: (request: { events: RecordedEvent[] }) => Promise<unknown>) => run({ events: [] }),
      record: async (events: readonly RecordedEvent[]) => void recorded.push(...events),
    } as unknown as ActivityRecorder;
    const handler = recordApiCalls(async () => ({ statusCode: 200 }), { activity, tenantClaim: 'tenant_id' });
    const event = httpEvent('GET /v1/secrets', { claims: { sub: 'u', tenant_id: 'acme' } });
    const userAgent = `${'a'.repeat(510)}😀${'b'.repeat(15_000)}`;
    event.requestContext.http.userAgent = userAgent;
    event.rawPath = `/v1/secrets/${'x'.repeat(5_000)}`;

    await handler(event, {} as Context);

    const call = recorded[0]!.detail as { user_agent: string; path: string };
    expect(call.user_agent).toBe(`${'a'.repeat(510)}…`);
    expect(call.path).toHaveLength(512);
    expect(call.path.endsWith('…')).toBe(true);
  });
});
