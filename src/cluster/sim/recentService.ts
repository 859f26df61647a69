/**
 * The last minute of a simulated workload's service, tick by tick, from which the simulator
 * answers as Prometheus would: the p95 latency of the requests of a recent window and the
 * share dropped. A ring of typed arrays: nothing is allocated per tick.
 */
import { intervalP95, type TickLoad } from '../../core/slo.js';
import type { ServiceSignals } from '../../core/workload.js';

const CAPACITY = 128;

export class RecentService {
  private readonly tMs = new Float64Array(CAPACITY);
  private readonly offered = new Float64Array(CAPACITY);
  private readonly served = new Float64Array(CAPACITY);
  private readonly p95 = new Float64Array(CAPACITY);
  private next = 0;
  private size = 0;

  record(tMs: number, offered: number, served: number, p95LatencyMs: number): void {
    const i = this.next;
    this.tMs[i] = tMs;
    this.offered[i] = offered;
    this.served[i] = served;
    this.p95[i] = p95LatencyMs;
    this.next = (i + 1) % CAPACITY;
    this.size = Math.min(CAPACITY, this.size + 1);
  }

  /** The window (nowMs - windowMs, nowMs]; undefined when no request was offered in it. */
  signals(nowMs: number, windowMs: number, baseLatencyMs: number): ServiceSignals | undefined {
    const ticks: TickLoad[] = [];
    let offered = 0;
    let served = 0;
    for (let k = 1; k <= this.size; k++) {
      const i = (this.next - k + CAPACITY) % CAPACITY;
      const t = this.tMs[i]!;
      if (t > nowMs) continue;
      if (t <= nowMs - windowMs) break;
      ticks.push({
        offered: this.offered[i]!,
        served: this.served[i]!,
        p95LatencyMs: this.p95[i]!,
      });
      offered += this.offered[i]!;
      served += this.served[i]!;
    }
    if (!(offered > 0)) return undefined;
    const p95 = intervalP95(ticks, baseLatencyMs);
    return {
      // A window whose requests were all dropped: its clients waited for their timeout.
      latencyP95Ms: Number.isFinite(p95) ? p95 : 10_000,
      dropRatio: Math.max(0, 1 - served / offered),
      windowMs,
      timestampMs: nowMs,
    };
  }
}
