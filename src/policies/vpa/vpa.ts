/**
 * The VPA recommender (kubernetes/autoscaler vertical-pod-autoscaler): CPU usage samples in a
 * decaying histogram (24 h half-life) weighted by the pod's request; memory as each day's peak
 * working set; target = p90, lower bound = p50, upper bound = p95, each with a 15 % safety
 * margin, bounds widened while there is little history, and the recommender's minimums (25m,
 * 250 MiB). Like the updater, it changes a pod only when its request leaves [lower, upper].
 */
import type { VerticalDecision } from '../../core/decision.js';
import { workloadKey } from '../../core/workload.js';
import { type PolicyInput, type ScalingPolicy, verticalDecision } from '../types.js';
import { podSize } from '../usage.js';
import { DecayingHistogram, type HistogramCheckpoint } from './histogram.js';

export interface VpaConfig {
  halfLifeMs: number;
  targetPercentile: number;
  lowerPercentile: number;
  upperPercentile: number;
  safetyMargin: number;
  minCpuMillicores: number;
  minMemoryBytes: number;
  /** Memory peaks are taken per interval of this length. */
  memoryAggregationIntervalMs: number;
}

export const DEFAULT_VPA_CONFIG: VpaConfig = {
  halfLifeMs: 24 * 3_600_000,
  targetPercentile: 0.9,
  lowerPercentile: 0.5,
  upperPercentile: 0.95,
  safetyMargin: 0.15,
  minCpuMillicores: 25,
  minMemoryBytes: 250 * 2 ** 20,
  memoryAggregationIntervalMs: 24 * 3_600_000,
};

interface State {
  cpu: DecayingHistogram;
  memory: DecayingHistogram;
  firstSampleMs: number;
  samples: number;
  peakStartMs: number;
  peaks: Map<string, number>;
}

export interface Recommendation {
  target: number;
  lower: number;
  upper: number;
}

export class VpaPolicy implements ScalingPolicy {
  readonly name = 'vpa';
  readonly kind = 'vertical' as const;
  readonly config: VpaConfig;
  private readonly state = new Map<string, State>();

  constructor(config: Partial<VpaConfig> = {}) {
    this.config = { ...DEFAULT_VPA_CONFIG, ...config };
  }

  private stateOf(key: string, now: number): State {
    let s = this.state.get(key);
    if (!s) {
      const opts = { halfLifeMs: this.config.halfLifeMs, ratio: 1.05 };
      s = {
        cpu: new DecayingHistogram({ ...opts, firstBucketSize: 0.01, maxValue: 1000 }),
        memory: new DecayingHistogram({ ...opts, firstBucketSize: 1e7, maxValue: 1e12 }),
        firstSampleMs: now,
        samples: 0,
        peakStartMs: now,
        peaks: new Map(),
      };
      this.state.set(key, s);
    }
    return s;
  }

  /** Feeds the observation's samples into the histograms. */
  private record(s: State, input: PolicyInput): void {
    const o = input.observation;
    for (const pod of o.pods) {
      if (!pod.usage || pod.deleting) continue;
      s.cpu.add(
        pod.usage.cpuMillicores / 1000,
        Math.max((pod.utilizationRequest.cpuMillicores ?? pod.cpuRequestMillicores) / 1000, 0.1),
        o.timeMs,
      );
      let peak = pod.usage.memoryBytes;
      if (pod.restarts > 0 && pod.status === 'CrashLoopBackOff') {
        // An OOM kill: the VPA bumps memory by 20 % (at least 100 MiB) over what was used.
        peak = Math.max(pod.memoryLimitBytes * 1.2, pod.memoryLimitBytes + 100 * 2 ** 20);
      }
      s.peaks.set(pod.name, Math.max(s.peaks.get(pod.name) ?? 0, peak));
      s.samples++;
    }
    if (o.timeMs - s.peakStartMs >= this.config.memoryAggregationIntervalMs)
      this.flushPeaks(s, o.timeMs);
  }

  private flushPeaks(s: State, now: number): void {
    for (const peak of s.peaks.values()) s.memory.add(peak, 1, now);
    s.peaks.clear();
    s.peakStartMs = now;
  }

  /** CPU in millicores and memory in bytes, with their bounds. */
  recommend(key: string, now: number): { cpu: Recommendation; memory: Recommendation } | undefined {
    const s = this.state.get(key);
    if (!s || s.cpu.isEmpty()) return undefined;
    // Until the day's first peak is in, use the running peaks so far.
    const memory = new DecayingHistogram({
      halfLifeMs: this.config.halfLifeMs,
      ratio: 1.05,
      firstBucketSize: 1e7,
      maxValue: 1e12,
    });
    const memSource = s.memory.isEmpty() ? memory : s.memory;
    if (s.memory.isEmpty()) for (const p of s.peaks.values()) memory.add(p, 1, now);
    const margin = 1 + this.config.safetyMargin;
    // Confidence grows with history, in days (VPA: min(lifespan, samples / (60 x 24))).
    const days = Math.max(1e-6, Math.min((now - s.firstSampleMs) / 86_400_000, s.samples / 1440));
    const upperScale = 1 + 1 / days;
    const lowerScale = (1 + 0.001 / days) ** -2;
    const of = (h: DecayingHistogram, unit: number, min: number): Recommendation => {
      const target = Math.max(min, h.percentile(this.config.targetPercentile) * margin * unit);
      return {
        target,
        lower: Math.min(
          target,
          Math.max(min, h.percentile(this.config.lowerPercentile) * margin * unit * lowerScale),
        ),
        upper: Math.max(
          target,
          h.percentile(this.config.upperPercentile) * margin * unit * upperScale,
        ),
      };
    };
    return {
      cpu: of(s.cpu, 1000, this.config.minCpuMillicores),
      memory: of(memSource, 1, this.config.minMemoryBytes),
    };
  }

  decide(input: PolicyInput): VerticalDecision {
    const o = input.observation;
    const key = workloadKey(o);
    const s = this.stateOf(key, o.timeMs);
    this.record(s, input);
    const rec = this.recommend(key, o.timeMs);
    const size = podSize(o);
    // Like the updater: a request is changed only when it leaves [lower, upper].
    const next = (now: number, r: Recommendation | undefined) =>
      r !== undefined && (now < r.lower || now > r.upper) ? r.target : now;
    const cpu = next(size.cpuRequestMillicores, rec?.cpu);
    const memory = next(size.memoryRequestBytes, rec?.memory);
    const factors: string[] = [];
    if (!rec) factors.push('no_usage_history');
    else {
      factors.push(
        cpu === size.cpuRequestMillicores
          ? 'cpu_request_within_bounds'
          : 'cpu_request_outside_bounds',
      );
      factors.push(
        memory === size.memoryRequestBytes
          ? 'memory_request_within_bounds'
          : 'memory_request_outside_bounds',
      );
    }
    return verticalDecision(
      this.name,
      o,
      { cpuMillicores: cpu, memoryBytes: memory },
      {
        explanation: {
          reasoning: rec
            ? `VPA target ${Math.round(rec.cpu.target)}m CPU [${Math.round(rec.cpu.lower)}m, ${Math.round(rec.cpu.upper)}m], ${Math.round(rec.memory.target / 2 ** 20)}Mi memory`
            : 'no usage samples yet',
          factors,
        },
      },
    );
  }

  forget(namespace: string, name: string): void {
    this.state.delete(workloadKey({ namespace, name }));
  }

  /** The histograms and the day's peaks, as the VPA's checkpoints keep them. */
  exportState(namespace: string, name: string): unknown {
    const s = this.state.get(workloadKey({ namespace, name }));
    if (!s) return undefined;
    return {
      cpu: s.cpu.checkpoint(),
      memory: s.memory.checkpoint(),
      firstSampleMs: s.firstSampleMs,
      samples: s.samples,
      peakStartMs: s.peakStartMs,
      peaks: [...s.peaks],
    };
  }

  importState(namespace: string, name: string, state: unknown): void {
    const c = state as {
      cpu: HistogramCheckpoint;
      memory: HistogramCheckpoint;
      firstSampleMs: number;
      samples: number;
      peakStartMs: number;
      peaks: [string, number][];
    } | null;
    if (
      !c ||
      typeof c.firstSampleMs !== 'number' ||
      typeof c.samples !== 'number' ||
      typeof c.peakStartMs !== 'number' ||
      !Array.isArray(c.peaks)
    )
      return;
    const key = workloadKey({ namespace, name });
    this.state.delete(key);
    const s = this.stateOf(key, c.firstSampleMs);
    if (!s.cpu.restore(c.cpu) || !s.memory.restore(c.memory)) {
      this.state.delete(key);
      return;
    }
    s.samples = c.samples;
    s.peakStartMs = c.peakStartMs;
    s.peaks = new Map(
      c.peaks.filter((p) => typeof p?.[0] === 'string' && typeof p[1] === 'number'),
    );
  }
}
