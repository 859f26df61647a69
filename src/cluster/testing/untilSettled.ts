/**
 * For tests on a ManualClock: resolves `p` while time passes a second at a time and the
 * actuator looks at the changes in flight, as its poller does in a running qpilot.
 */
import type { ManualClock } from '../../core/clock.js';
import type { Actuator } from '../actuator.js';

export async function untilSettled<T>(
  clock: ManualClock,
  actuator: Pick<Actuator, 'poll'>,
  p: Promise<T>,
  limitSec = 3600,
): Promise<T> {
  let done = false;
  void p.finally(() => (done = true));
  for (let i = 0; i < limitSec && !done; i++) {
    await new Promise((r) => setImmediate(r));
    await actuator.poll();
    if (!done) clock.advance(1000);
  }
  return p;
}
