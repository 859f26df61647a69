/**
 * Serves the node report from a short-lived cache. Computing it lists every pod in the
 * cluster, so concurrent requests share one computation and a result is reused for
 * `ttlMs`; a report is at most that old.
 */
import type { ClusterClient } from '../cluster/clusterClient.js';
import { buildNodeReport } from '../cluster/nodeReport.js';
import type { Clock } from '../core/clock.js';

export class NodeReportCache {
  private cached: { json: string; atMs: number } | undefined;
  private inFlight: Promise<string> | undefined;

  constructor(
    private readonly cluster: Pick<ClusterClient, 'listNodes' | 'listPods'>,
    private readonly clock: Clock,
    private readonly ttlMs: () => number,
  ) {}

  /** The report as JSON text. */
  async get(): Promise<string> {
    const now = this.clock.now();
    if (this.cached && now - this.cached.atMs < this.ttlMs()) return this.cached.json;
    this.inFlight ??= buildNodeReport(this.cluster)
      .then((report) => {
        const json = JSON.stringify(report);
        this.cached = { json, atMs: this.clock.now() };
        return json;
      })
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }
}
