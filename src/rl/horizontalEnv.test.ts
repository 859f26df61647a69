import { describe, expect, it } from 'vitest';
import { HORIZONTAL_ACTIONS, HORIZONTAL_FEATURES } from '../policies/dqn/horizontal.js';
import { DEFAULT_EVAL_WORKLOAD } from '../eval/simRun.js';
import { Trace } from '../traces/trace.js';
import {
  DEFAULT_HORIZONTAL_ENV,
  HorizontalEnv,
  type HorizontalEnvOptions,
  makeEnvRng,
} from './horizontalEnv.js';

const STEPS = 240;
/** One hour (plus the env's 10 minutes of margin) of load ramping from 50 to 1000 requests/s. */
function ramp(): Trace {
  const seconds = STEPS * 15 + 600;
  const t = Float64Array.from({ length: seconds / 60 }, (_, i) => i * 60);
  return new Trace(
    'ramp',
    t,
    t.map((s) => 50 + (950 * s) / seconds),
  );
}

const options: HorizontalEnvOptions = {
  ...DEFAULT_HORIZONTAL_ENV,
  episodeSteps: STEPS,
  // The default workload serves 83 requests/s a pod within its SLO: 12 pods make 1000.
  workloads: [DEFAULT_EVAL_WORKLOAD],
  peakPods: [12, 12],
  traces: [ramp()],
};

async function episode(env: HorizontalEnv, action: number) {
  const first = await env.reset();
  const rewards: number[] = [];
  let violations = 0;
  let intervals = 0;
  for (;;) {
    const r = await env.step([action]);
    expect(r.next).toHaveLength(HORIZONTAL_FEATURES.length);
    rewards.push(r.rewards[0]!);
    if (r.violated) violations++;
    intervals += r.intervals;
    if (r.done) break;
  }
  return { first, rewards, violations, intervals };
}

describe('HorizontalEnv', () => {
  it('penalises violations heavily: capped under a ramp loses, following it wins', async () => {
    const capped = { ...options, bounds: { ...options.bounds, maxReplicas: 4 } };
    const hold = await episode(new HorizontalEnv(makeEnvRng(1, 0), capped), 0);
    const follow = await episode(
      new HorizontalEnv(makeEnvRng(1, 0), options),
      HORIZONTAL_ACTIONS.indexOf('KNEE_65'),
    );
    expect(hold.first).toHaveLength(HORIZONTAL_FEATURES.length);
    // A step spans every interval while a change rolls out, as the loop leaves it alone then,
    // and while the baseline decides: first while the knee is learned (at reset), then after
    // a breach. The policy is asked in fewer steps than there are intervals.
    expect(hold.intervals).toBeLessThanOrEqual(STEPS - 20);
    expect(follow.intervals).toBeLessThanOrEqual(STEPS - 20);
    expect(follow.intervals).toBeGreaterThan(STEPS - 60);
    expect(follow.rewards.length).toBeLessThan(follow.intervals);
    // Capped, it breaches the SLO until the baseline takes control back: a few long steps.
    expect(hold.violations).toBeGreaterThan(0);
    expect(Math.min(...hold.rewards)).toBeLessThanOrEqual(-options.violationPenalty);
    expect(follow.violations).toBe(0);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    // (Rewards within a long step are discounted per interval, which bounds a breach's sum.)
    expect(sum(follow.rewards)).toBeGreaterThan(sum(hold.rewards) / 4);
    // Paying for twice the pods needed costs about twice the ideal, per interval.
    expect(sum(follow.rewards) / STEPS).toBeLessThan(-1.2);
    expect(sum(follow.rewards) / STEPS).toBeGreaterThan(-3);
  });

  it('replays the same episode from the same seed, and another from another', async () => {
    const a = await episode(new HorizontalEnv(makeEnvRng('s', 2), DEFAULT_HORIZONTAL_ENV), 4);
    const b = await episode(new HorizontalEnv(makeEnvRng('s', 2), DEFAULT_HORIZONTAL_ENV), 4);
    const c = await episode(new HorizontalEnv(makeEnvRng('s', 3), DEFAULT_HORIZONTAL_ENV), 4);
    expect(a.rewards).toEqual(b.rewards);
    expect(a.rewards).not.toEqual(c.rewards);
  });
});
