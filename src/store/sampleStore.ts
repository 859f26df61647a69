/** Series recorded by seed 004's `POST /metrics` sampler, kept in the same database as decisions. */
import type { Sql } from './sql.js';

export interface Sample {
  timeMs: number;
  namespace: string;
  workload: string;
  cpuPercent: number | null;
  memoryMb: number | null;
  onlinePods: number;
  totalPods: number;
}

export interface SampleStore {
  append(series: string, samples: readonly Sample[]): Promise<void>;
  series(series: string): Promise<Sample[]>;
  /** Deletes up to `batch` samples taken before `beforeMs`; how many it deleted. */
  prune(beforeMs: number, batch: number): Promise<number>;
}

export class MemorySampleStore implements SampleStore {
  private readonly data = new Map<string, Sample[]>();

  append(series: string, samples: readonly Sample[]): Promise<void> {
    const list = this.data.get(series) ?? [];
    list.push(...samples);
    this.data.set(series, list);
    return Promise.resolve();
  }

  series(series: string): Promise<Sample[]> {
    return Promise.resolve([...(this.data.get(series) ?? [])]);
  }

  prune(beforeMs: number, batch: number): Promise<number> {
    let deleted = 0;
    for (const [name, list] of this.data) {
      const kept = list.filter((s) => {
        if (s.timeMs >= beforeMs || deleted >= batch) return true;
        deleted++;
        return false;
      });
      if (kept.length === 0) this.data.delete(name);
      else this.data.set(name, kept);
    }
    return Promise.resolve(deleted);
  }
}

export class SqlSampleStore implements SampleStore {
  constructor(private readonly sql: Sql) {}

  async append(series: string, samples: readonly Sample[]): Promise<void> {
    if (samples.length === 0) return;
    await this.sql.transaction(
      samples.map((s) => ({
        sql: 'INSERT INTO samples (series, time_ms, namespace, workload, cpu_percent, memory_mb, online_pods, total_pods) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        params: [
          series,
          s.timeMs,
          s.namespace,
          s.workload,
          s.cpuPercent,
          s.memoryMb,
          s.onlinePods,
          s.totalPods,
        ],
      })),
    );
  }

  async prune(beforeMs: number, batch: number): Promise<number> {
    const rows = await this.sql.all(
      'DELETE FROM samples WHERE id IN (SELECT id FROM samples WHERE time_ms < ? ORDER BY time_ms LIMIT ?) RETURNING id',
      [beforeMs, batch],
    );
    return rows.length;
  }

  async series(series: string): Promise<Sample[]> {
    const rows = await this.sql.all(
      'SELECT time_ms, namespace, workload, cpu_percent, memory_mb, online_pods, total_pods FROM samples WHERE series = ? ORDER BY id',
      [series],
    );
    const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    return rows.map((r) => ({
      timeMs: Number(r.time_ms),
      namespace: String(r.namespace),
      workload: String(r.workload),
      cpuPercent: num(r.cpu_percent),
      memoryMb: num(r.memory_mb),
      onlinePods: Number(r.online_pods),
      totalPods: Number(r.total_pods),
    }));
  }
}
