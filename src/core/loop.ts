/**
 * A background loop on the injected Clock: run a step, sleep as long as it says, until
 * stopped or until the step says it is done. The control loop, leader election and the
 * sampler all run on it, so that each says only what one round does.
 */
import type { Clock } from './clock.js';

export interface Loop {
  /** Aborted by stop(): a step passes it to its own waits so that they end too. */
  readonly signal: AbortSignal;
  /** Resolves when the loop has ended, by stop() or by itself. */
  readonly done: Promise<void>;
  /** Ends the loop: a sleep is cut short, a step under way is awaited. */
  stop(): Promise<void>;
}

/**
 * Runs `step` until stopped; it returns how long to sleep before the next round, or 'done'.
 * A step handles its own errors: one that throws ends the loop and rejects `done`.
 */
export function runLoop(
  clock: Clock,
  step: (signal: AbortSignal) => Promise<number | 'done'>,
): Loop {
  const controller = new AbortController();
  const run = async () => {
    while (!controller.signal.aborted) {
      const waitMs = await step(controller.signal);
      if (waitMs === 'done') return;
      // Rejects only when aborted, which ends the loop at the top.
      await clock.sleep(waitMs, controller.signal).catch(() => undefined);
    }
  };
  const done = run();
  return {
    signal: controller.signal,
    done,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}
