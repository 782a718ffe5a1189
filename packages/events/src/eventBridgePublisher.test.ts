import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { EventBridgePublisher } from './eventBridgePublisher';
import { entrySize, MAX_ENTRY_BYTES, toPutEventsEntry } from './eventBridgeEntry';
import { keyStateChanged } from './testEvents';

const eventBridge = mockClient(EventBridgeClient);
const publisher = (maxAttempts = 3) =>
  new EventBridgePublisher({ client: new EventBridgeClient({}), eventBusName: 'keyledger-test', maxAttempts, sleep: async () => {} });

beforeEach(() => eventBridge.reset());

describe('EventBridgePublisher', () => {
  it('sends entries in requests of at most 10 with Source, DetailType, Detail, Time and the bus', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, index) => ({ EventId: `id-${index}` })),
    }));
    const events = Array.from({ length: 23 }, () => keyStateChanged());

    const { failed } = await publisher().publish(events);

    expect(failed).toEqual([]);
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls.map((call) => call.args[0].input.Entries?.length)).toEqual([10, 10, 3]);
    expect(calls[0]!.args[0].input.Entries![0]).toEqual({
      Source: 'keyledger',
      DetailType: 'kms_key_state_changed',
      Detail: JSON.stringify(events[0]!.detail),
      Time: new Date('2026-11-23T10:00:00.000Z'),
      EventBusName: 'keyledger-test',
    });
  });

  it('retries only the entries PutEvents reports as failed', async () => {
    const events = [keyStateChanged(), keyStateChanged(), keyStateChanged()];
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: 'a' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }, { EventId: 'c' }],
      })
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'b' }] });

    const { failed } = await publisher().publish(events);

    expect(failed).toEqual([]);
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.args[0].input.Entries).toEqual([toPutEventsEntry(events[1]!, 'keyledger-test')]);
  });

  it('returns what still fails after the last attempt, and retries a request that failed as a whole', async () => {
    const events = [keyStateChanged(), keyStateChanged()];
    eventBridge
      .on(PutEventsCommand)
      .rejectsOnce(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }))
      .callsFake((input: { Entries: Array<{ Detail: string }> }) => {
        const results = input.Entries.map((entry) =>
          entry.Detail.includes(events[1]!.detail.event_id) ? { ErrorCode: 'InternalFailure', ErrorMessage: 'boom' } : { EventId: 'ok' },
        );
        return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
      });

    const { failed } = await publisher(3).publish(events);

    expect(failed).toEqual([{ event: events[1], errorCode: 'InternalFailure', errorMessage: 'boom' }]);
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls.map((call) => call.args[0].input.Entries?.length)).toEqual([2, 2, 1]);
  });

  it('keeps every entry under 256 KB and refuses one that is not', async () => {
    const small = toPutEventsEntry(keyStateChanged());
    expect(entrySize(small)).toBeLessThan(2_000);
    const huge = keyStateChanged({ kid: 'k'.repeat(MAX_ENTRY_BYTES) });
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });

    const { failed } = await publisher().publish([huge]);

    expect(failed).toEqual([expect.objectContaining({ event: huge, errorCode: 'EventTooLarge' })]);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });
});
