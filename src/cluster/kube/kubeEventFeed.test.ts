import { describe, expect, it } from 'vitest';
import { eventItem } from './kubeEventFeed.js';

describe('eventItem', () => {
  it('keeps what the hub reads of an event, and its time as ISO text', () => {
    expect(
      eventItem({
        metadata: { name: 'web-1.abc', namespace: 'shop' },
        involvedObject: { kind: 'Pod', name: 'web-1' },
        type: 'Warning',
        reason: 'BackOff',
        message: 'x'.repeat(5000),
        count: 7,
        lastTimestamp: new Date(Date.UTC(2026, 0, 1)),
      }),
    ).toEqual({
      namespace: 'shop',
      name: 'web-1.abc',
      kind: 'Pod',
      object: 'web-1',
      type: 'Warning',
      reason: 'BackOff',
      message: 'x'.repeat(1024),
      count: 7,
      time: '2026-01-01T00:00:00.000Z',
    });
  });

  it('takes the event time of a new-style event, or none', () => {
    expect(eventItem({ metadata: {}, involvedObject: {}, eventTime: new Date(0) }).time).toBe(
      '1970-01-01T00:00:00.000Z',
    );
    expect(eventItem({ metadata: {}, involvedObject: {} }).time).toBeNull();
  });
});
