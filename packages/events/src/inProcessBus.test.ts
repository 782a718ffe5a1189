import type { BusEvent } from './eventBridgeEntry';
import { InProcessBus } from './inProcessBus';
import { keyStateChanged } from './testEvents';

describe('InProcessBus', () => {
  it('delivers exactly the events a rule matches, in EventBridge shape', async () => {
    const bus = new InProcessBus();
    const destroyed: BusEvent[] = [];
    const everything: BusEvent[] = [];
    bus.subscribe('destroyed', { 'detail-type': ['kms_key_state_changed'], detail: { to: ['destroyed'] } }, (event) => {
      destroyed.push(event);
    });
    bus.subscribe('all', { source: ['keyledger'] }, (event) => {
      everything.push(event);
    });
    const events = [
      keyStateChanged({ from: 'active', to: 'destroyed' }),
      keyStateChanged({ from: 'active', to: 'deactivated' }),
      keyStateChanged({ from: null, to: 'active' }),
      keyStateChanged({ from: 'deactivated', to: 'destroyed' }),
    ];

    const { failed } = await bus.publish(events);

    expect(failed).toEqual([]);
    expect(destroyed.map((event) => event.detail.event_id)).toEqual([events[0]!.detail.event_id, events[3]!.detail.event_id]);
    expect(everything).toHaveLength(4);
    expect(destroyed[0]).toMatchObject({
      version: '0',
      source: 'keyledger',
      'detail-type': 'kms_key_state_changed',
      time: '2026-11-23T10:00:00Z',
      detail: events[0]!.detail,
    });
  });

  it('reports an event as failed when a subscriber throws, and stops delivering to a removed rule', async () => {
    const bus = new InProcessBus();
    const unsubscribe = bus.subscribe('flaky', { source: ['keyledger'] }, () => {
      throw new Error('disk full');
    });
    const event = keyStateChanged();

    const first = await bus.publish([event]);
    unsubscribe();
    const second = await bus.publish([event]);

    expect(first.failed).toEqual([{ event, errorCode: 'SubscriberFailed', errorMessage: 'Rule flaky: disk full' }]);
    expect(second.failed).toEqual([]);
  });
});
