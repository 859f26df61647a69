/**
 * Nothing qpilot stores grows without bound: decisions older than the retention period or
 * beyond the newest `maxDecisions`, and samples older than the period, are deleted in small
 * batches (so that SQLite, which works on the event loop's thread, never holds it for long),
 * every few minutes. A decision whose change is still open is never deleted; the statistics
 * follow, as running totals the database keeps.
 */
import type { Clock } from '../core/clock.js';
import { type Loop, runLoop } from '../core/loop.js';
import type { DecisionLog } from '../store/decisionLog.js';
import type { SampleStore } from '../store/sampleStore.js';

export interface RetentionSettings {
  /** Decisions and samples older than this are deleted. */
  days: number;
  /** At most this many decisions are kept, the newest. */
  maxDecisions: number;
}

export const DEFAULT_RETENTION: RetentionSettings = { days: 30, maxDecisions: 100_000 };

/** Rows per delete statement: a few milliseconds of SQLite. */
export const PRUNE_BATCH = 500;
export const PRUNE_EVERY_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

export interface PruneResult {
  decisions: number;
  samples: number;
}

/** Deletes everything past the retention limits, batch after batch, yielding between them. */
export async function pruneOnce(
  deps: { clock: Clock; decisions: DecisionLog; samples: SampleStore },
  settings: RetentionSettings,
  signal?: AbortSignal,
): Promise<PruneResult> {
  const beforeMs = deps.clock.now() - settings.days * DAY_MS;
  const out = { decisions: 0, samples: 0 };
  const yieldToRequests = () => new Promise<void>((r) => setImmediate(r));
  for (;;) {
    if (signal?.aborted) return out;
    const n = await deps.decisions.prune({ beforeMs, keep: settings.maxDecisions }, PRUNE_BATCH);
    out.decisions += n;
    if (n < PRUNE_BATCH) break;
    await yieldToRequests();
  }
  for (;;) {
    if (signal?.aborted) return out;
    const n = await deps.samples.prune(beforeMs, PRUNE_BATCH);
    out.samples += n;
    if (n < PRUNE_BATCH) break;
    await yieldToRequests();
  }
  return out;
}

/** Prunes now and every PRUNE_EVERY_MS; a failure (a store that is down) waits for the next round. */
export function startRetention(deps: {
  clock: Clock;
  decisions: DecisionLog;
  samples: SampleStore;
  settings: () => RetentionSettings;
  onPruned?: (r: PruneResult) => void;
  onError?: (err: unknown) => void;
}): Loop {
  return runLoop(deps.clock, async (signal) => {
    try {
      const r = await pruneOnce(deps, deps.settings(), signal);
      if (r.decisions > 0 || r.samples > 0) deps.onPruned?.(r);
    } catch (err) {
      deps.onError?.(err);
    }
    return PRUNE_EVERY_MS;
  });
}
