import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import type { DecisionOutcome, NewDecisionRecord } from '../core/decision.js';
import type { DecisionLog, RetentionLimits } from '../store/decisionLog.js';
import { openStore } from '../store/openStore.js';
import { PRUNE_BATCH, pruneOnce, startRetention } from './retention.js';

const dir = mkdtempSync(join(tmpdir(), 'qpilot-retention-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DAY = 86_400_000;
const record = (timeMs: number, outcome: DecisionOutcome = 'dry_run'): NewDecisionRecord => ({
  timeMs,
  namespace: 'default',
  workload: 'web',
  decision: {
    policy: 'hpa',
    kind: 'horizontal',
    namespace: 'default',
    name: 'web',
    timeMs,
    replicas: { current: 2, desired: 3 },
    canScale: true,
    explanation: { reasoning: 'r', factors: [] },
  },
  outcome,
  message: 'm',
  metrics: {
    cpuUsageMillicores: 1,
    memoryUsageBytes: 1,
    cpuLimitMillicores: 1,
    memoryLimitBytes: 1,
  },
});

describe('retention', () => {
  it('deletes decisions and samples past the period and the count, in batches, never an open change', async () => {
    const clock = new ManualClock(100 * DAY);
    const store = await openStore({ dataDir: join(dir, 'a'), cwd: '/', nowMs: 0 });
    try {
      // 1,200 old decisions (more than two batches), one of them a change still open; 50 new.
      const old = Array.from({ length: 1200 }, (_, i) => record(10 * DAY + i));
      old[3] = record(10 * DAY, 'in_progress');
      await store.decisions.appendMany(old);
      await store.decisions.appendMany(Array.from({ length: 50 }, (_, i) => record(99 * DAY + i)));
      const sample = (timeMs: number) => ({
        timeMs,
        namespace: 'default',
        workload: 'web',
        cpuPercent: 1,
        memoryMb: 1,
        onlinePods: 1,
        totalPods: 1,
      });
      await store.samples.append('s', [sample(DAY), sample(2 * DAY), sample(99 * DAY)]);

      const r = await pruneOnce(
        { clock, decisions: store.decisions, samples: store.samples },
        { days: 30, maxDecisions: 1000 },
      );
      expect(r).toEqual({ decisions: 1199, samples: 2 });
      expect(r.decisions).toBeGreaterThan(2 * PRUNE_BATCH);
      const stats = await store.decisions.stats();
      expect(stats.totalDecisions).toBe(51);
      expect(stats.byOutcome).toEqual({ in_progress: 1, dry_run: 50 });
      expect((await store.samples.series('s')).map((s) => s.timeMs)).toEqual([99 * DAY]);

      // The count limit alone: keep the newest 20 (and the open change).
      const r2 = await pruneOnce(
        { clock, decisions: store.decisions, samples: store.samples },
        { days: 3650, maxDecisions: 20 },
      );
      expect(r2.decisions).toBe(30);
      const kept = await store.decisions.recent(100);
      expect(kept).toHaveLength(21);
      expect(kept[0]!.timeMs).toBe(99 * DAY + 49);
      expect(kept.at(-1)!.outcome).toBe('in_progress');
    } finally {
      await store.close();
    }
  });

  it('runs every few minutes, and a failing store waits for the next round', async () => {
    const clock = new ManualClock(100 * DAY);
    const store = await openStore({ dataDir: join(dir, 'b'), cwd: '/', nowMs: 0 });
    await store.decisions.append(record(DAY));
    const pruned: number[] = [];
    const errors: unknown[] = [];
    let fail = true;
    const loop = startRetention({
      clock,
      // The real log, but for a prune that fails until told otherwise.
      decisions: Object.assign(Object.create(store.decisions) as DecisionLog, {
        prune: (limits: RetentionLimits, batch: number) =>
          fail ? Promise.reject(new Error('store down')) : store.decisions.prune(limits, batch),
      }),
      samples: store.samples,
      settings: () => ({ days: 30, maxDecisions: 1000 }),
      onPruned: (r) => pruned.push(r.decisions),
      onError: (e) => errors.push(e),
    });
    try {
      await new Promise((r) => setTimeout(r, 50));
      expect(errors).toHaveLength(1);
      fail = false;
      clock.advance(5 * 60_000);
      await new Promise((r) => setTimeout(r, 50));
      expect(pruned).toEqual([1]);
    } finally {
      await loop.stop();
      await store.close();
    }
  });
});
