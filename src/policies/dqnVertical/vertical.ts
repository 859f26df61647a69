/**
 * The vertical DQN's view (seed 002's multi-head DQN): per-pod CPU and memory usage against
 * requests and limits, their trends over a window of five decisions, the allocation within its
 * bounds, and whether pods restarted. Two heads choose, for CPU and for memory, DECREASE,
 * MAINTAIN or INCREASE by the scale factor.
 */
import { HEAD_ACTIONS, type PolicyInput } from '../types.js';
import { activePods, podSize, slope, summarizeUsage } from '../usage.js';

export const VERTICAL_HISTORY = 5;

export const VERTICAL_FEATURES = [
  'CPU usage / CPU request (per pod)',
  'memory usage / memory request (per pod)',
  'CPU usage / CPU limit',
  'memory usage / memory limit',
  'CPU trend per step, relative to usage',
  'memory trend per step, relative to usage',
  'CPU request within [min, max] (0 to 1)',
  'memory request within [min, max] (0 to 1)',
  'pods restarted since the last decision (0 or 1)',
  'ready pods / pods',
] as const;

export const VERTICAL_HEADS = [
  { name: 'cpu', actions: [...HEAD_ACTIONS] },
  { name: 'memory', actions: [...HEAD_ACTIONS] },
];

export interface UsageHistory {
  cpu: number[];
  memory: number[];
  restarts: number;
  /** The busiest pod's memory in each hour of the last day, newest last (see memoryFloorBytes). */
  memoryPeaks?: number[];
  /** When the newest of those hours began. */
  peakHourMs?: number;
}

/** Memory peaks are kept per hour, for a day: the VPA's memory histogram keeps peaks too. */
export const PEAK_HOUR_MS = 3_600_000;
export const PEAK_HOURS = 24;
/** The VPA's safety margin over what it recommends from. */
export const MEMORY_PEAK_MARGIN = 1.15;

/**
 * The least memory a pod may request: 15 % over the busiest pod's peak of the last day, as the
 * VPA recommends from peaks. A pod's memory grows with the requests in flight, so a burst
 * raises it on every pod at once; a head that shaves memory to the quiet hours' usage gets all
 * of them OOM-killed by the next burst, and each kill drops everything they were serving.
 */
export function memoryFloorBytes(history: UsageHistory): number {
  let peak = 0;
  for (const b of history.memoryPeaks ?? []) if (b > peak) peak = b;
  return peak * MEMORY_PEAK_MARGIN;
}

function notePeak(history: UsageHistory, bytes: number, nowMs: number): void {
  const peaks = (history.memoryPeaks ??= []);
  const since = history.peakHourMs;
  if (since === undefined || nowMs < since || nowMs - since >= PEAK_HOUR_MS || !peaks.length) {
    peaks.push(0);
    if (peaks.length > PEAK_HOURS) peaks.shift();
    history.peakHourMs = nowMs;
  }
  peaks[peaks.length - 1] = Math.max(peaks[peaks.length - 1]!, bytes);
}

export interface VerticalState {
  features: Float32Array;
  cpuCores: number;
  memoryBytes: number;
  cpuTrend: number;
  memoryTrend: number;
}

const clip = (x: number, lo: number, hi: number) =>
  Math.min(hi, Math.max(lo, Number.isFinite(x) ? x : 0));
const position = (x: number, lo: number, hi: number) =>
  hi > lo ? clip((Math.log(x) - Math.log(lo)) / (Math.log(hi) - Math.log(lo)), 0, 1) : 0;

export function verticalState(input: PolicyInput, history: UsageHistory): VerticalState {
  const o = input.observation;
  const b = input.bounds;
  const usage = summarizeUsage(o);
  const pods = activePods(o);
  const n = Math.max(1, usage.measuredPods);
  const cpu = usage.cpuUsageMillicores / n / 1000;
  const memory = usage.memoryUsageBytes / n;
  if (usage.measuredPods > 0) {
    notePeak(history, usage.busiestMemoryBytes, o.timeMs);
    history.cpu.push(cpu);
    history.memory.push(memory);
    if (history.cpu.length > VERTICAL_HISTORY) history.cpu.shift();
    if (history.memory.length > VERTICAL_HISTORY) history.memory.shift();
  }
  const restarts = pods.reduce((s, p) => s + p.restarts, 0);
  const restarted = restarts > history.restarts ? 1 : 0;
  history.restarts = restarts;
  const t = podSize(o);
  const cpuTrend = slope(history.cpu);
  const memoryTrend = slope(history.memory);
  const features = Float32Array.from([
    clip(cpu / Math.max(t.cpuRequestMillicores / 1000, 1e-3), 0, 4),
    clip(memory / Math.max(t.memoryRequestBytes, 1), 0, 4),
    clip(cpu / Math.max((t.cpuLimitMillicores || t.cpuRequestMillicores) / 1000, 1e-3), 0, 2),
    clip(memory / Math.max(t.memoryLimitBytes || t.memoryRequestBytes, 1), 0, 2),
    clip(cpuTrend / Math.max(cpu, 0.01), -1, 1),
    clip(memoryTrend / Math.max(memory, 1), -1, 1),
    position(Math.max(t.cpuRequestMillicores, 1), b.minCpuMillicores, b.maxCpuMillicores),
    position(Math.max(t.memoryRequestBytes, 1), b.minMemoryBytes, b.maxMemoryBytes),
    restarted,
    clip(pods.filter((p) => p.ready).length / Math.max(1, pods.length), 0, 1),
  ]);
  return { features, cpuCores: cpu, memoryBytes: memory, cpuTrend, memoryTrend };
}

/** The new request after an action: x (1 - f), x, or x (1 + f). */
export function scaled(current: number, action: number, scaleFactor: number): number {
  return action === 0
    ? current * (1 - scaleFactor)
    : action === 2
      ? current * (1 + scaleFactor)
      : current;
}
