/**
 * The Autopilots of a cluster steered through its agent (ADR 17). A watch cannot cross the
 * agent's channel, so the list is read again every `refreshMs` while the cluster can be
 * reached, and kept; a status is written as an action. The controller sees the same
 * AutopilotClient as on a local cluster: `list()` is undefined until a listing has arrived,
 * and again once the last one is older than `maxAgeMs` (nothing is then decided, as when a
 * local watch broke: an Autopilot might say Off).
 */
import type { Autopilot, AutopilotClient, AutopilotStatus } from '../autopilot.js';
import type { Clock } from '../../core/clock.js';
import { type Loop, runLoop } from '../../core/loop.js';

export interface AgentAutopilotsOptions {
  calls: {
    listAutopilots(): Promise<Autopilot[]>;
    writeAutopilotStatus(namespace: string, name: string, status: AutopilotStatus): Promise<void>;
  };
  clock: Clock;
  /** Whether a call can reach the cluster now; the list is not read while it cannot. */
  reachable: () => boolean;
  /**
   * Whether the cluster's agent reads Autopilots (it announced `autopilot_status` when it
   * registered). An agent that does not (older, or with the action disabled) steers a cluster
   * whose Autopilots qpilot cannot see or update: it has none, as a cluster without the CRD.
   */
  readsAutopilots: () => boolean;
  /** How often the list is read (10 s). */
  refreshMs?: number;
  /** How old a list may be and still be used (three refreshes). */
  maxAgeMs?: number;
  onError?: (err: unknown) => void;
}

export class AgentAutopilots implements AutopilotClient {
  private latest?: { items: readonly Autopilot[]; atMs: number };
  private loop?: Loop;

  constructor(private readonly o: AgentAutopilotsOptions) {}

  list(): readonly Autopilot[] | undefined {
    if (!this.o.readsAutopilots()) return [];
    if (!this.latest) return undefined;
    const maxAgeMs = this.o.maxAgeMs ?? 3 * (this.o.refreshMs ?? 10_000);
    return this.o.clock.now() - this.latest.atMs <= maxAgeMs ? this.latest.items : undefined;
  }

  async writeStatus(namespace: string, name: string, status: AutopilotStatus): Promise<void> {
    await this.o.calls.writeAutopilotStatus(namespace, name, status);
    // The next listing shows it; until then, the controller keeps what it wrote (ADR 14).
  }

  /** Reads the list once now. */
  async refresh(): Promise<void> {
    const atMs = this.o.clock.now();
    const items = await this.o.calls.listAutopilots();
    this.latest = { items, atMs };
  }

  start(): Promise<void> {
    this.loop ??= runLoop(this.o.clock, async () => {
      if (this.o.reachable() && this.o.readsAutopilots())
        await this.refresh().catch((err: unknown) => this.o.onError?.(err));
      // While the cluster cannot be reached, look again every second.
      return this.o.reachable() ? (this.o.refreshMs ?? 10_000) : 1000;
    });
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
    this.loop = undefined;
  }
}
