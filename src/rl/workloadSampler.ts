/**
 * Workloads to train on, drawn over wide ranges so that `dqn` meets no workload in production
 * that is far from all it trained on: pods from 100m to 2 cores, requests from 1 to 100 ms of
 * CPU, startups from 5 s to 3 min, SLOs from 50 ms to 2 s, and so a knee anywhere from 35 % to
 * 98 % CPU. Evaluation's bundled profiles are points in these ranges; its traces are not used.
 */
import type { Rng } from '../core/rng.js';
import type { EvalWorkload } from '../eval/simRun.js';

export interface SampledWorkload {
  workload: EvalWorkload;
  /** The utilisation at which a pod's p95 latency reaches the SLO. */
  knee: number;
  /** Whether the policy is shown the workload's latency (else it runs on its assumed knee). */
  latencySignal: boolean;
}

const LN20 = Math.log(20);
const logUniform = (rng: Rng, lo: number, hi: number) => lo * (hi / lo) ** rng.next();

/** Share of episodes without a latency signal, where the knee is at least 80 %. */
export const NO_SIGNAL_SHARE = 0.15;

export function sampleWorkload(rng: Rng): SampledWorkload {
  const latencySignal = rng.next() >= NO_SIGNAL_SHARE;
  for (;;) {
    const podCores = logUniform(rng, 0.1, 2);
    const cpuSecondsPerRequest = logUniform(rng, 0.001, 0.1);
    const mu = podCores / cpuSecondsPerRequest;
    // Without a latency signal the policy assumes a knee of 75 %: train it where that holds.
    const knee = latencySignal ? 0.35 + 0.63 * rng.next() : 0.8 + 0.18 * rng.next();
    const baseLatencyMs = logUniform(rng, 2, 200);
    // p95 of an M/M/1 pod at the knee: base + ln 20 / (mu (1 - knee)).
    const sloLatencyMs = baseLatencyMs + (LN20 * 1000) / (mu * (1 - knee));
    if (sloLatencyMs < 50 || sloLatencyMs > 2000) continue;
    const cpuMillicores = Math.round(podCores * 1000);
    return {
      knee,
      latencySignal,
      workload: {
        cpu: `${cpuMillicores}m`,
        memory: '512Mi',
        model: {
          noiseCv: 0.01 + 0.07 * rng.next(),
          startupDelayMs: Math.round(logUniform(rng, 5_000, 180_000)),
          cpuSecondsPerRequest,
          baseLatencyMs,
          sloLatencyMs,
          sloMaxDropRatio: 0.001,
          idleCpuMillicores: Math.min(5, cpuMillicores * 0.02),
        },
        verticalReplicas: 4,
      },
    };
  }
}
