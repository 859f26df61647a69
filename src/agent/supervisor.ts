/**
 * The agent's supervisor (seed 003's main.py: "monitors and restarts failed components"). Each
 * component runs until the agent stops; one that throws or returns early is restarted after a
 * backoff that doubles up to a minute (and resets after a healthy run), and its state and
 * restart count are what the heartbeat and `/healthz` report.
 */
import type { Clock } from '../core/clock.js';

export type ComponentHealth = 'starting' | 'ok' | 'restarting' | 'stopped';

export interface Component {
  name: string;
  /** Runs until `signal` aborts; returning or throwing before that is a failure. */
  run(signal: AbortSignal): Promise<void>;
}

interface State {
  health: ComponentHealth;
  restarts: number;
  lastError?: string;
}

const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 60_000;
/** A run this long is healthy: the next failure starts the backoff afresh. */
const HEALTHY_RUN_MS = 60_000;

export class Supervisor {
  private readonly states = new Map<string, State>();
  private readonly controller = new AbortController();
  private runs: Promise<void>[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly onFailure?: (component: string, err: unknown, restartInMs: number) => void,
  ) {}

  start(components: Component[]): void {
    for (const c of components) {
      this.states.set(c.name, { health: 'starting', restarts: 0 });
      this.runs.push(this.keep(c));
    }
  }

  private async keep(c: Component): Promise<void> {
    const signal = this.controller.signal;
    const state = this.states.get(c.name)!;
    let backoffMs = FIRST_BACKOFF_MS;
    while (!signal.aborted) {
      const started = this.clock.now();
      state.health = 'ok';
      let failure: unknown;
      try {
        await c.run(signal);
        failure = new Error(`${c.name} stopped on its own`);
      } catch (err) {
        failure = err;
      }
      if (signal.aborted) break;
      if (this.clock.now() - started >= HEALTHY_RUN_MS) backoffMs = FIRST_BACKOFF_MS;
      state.health = 'restarting';
      state.restarts++;
      state.lastError = failure instanceof Error ? failure.message : String(failure);
      this.onFailure?.(c.name, failure, backoffMs);
      try {
        await this.clock.sleep(backoffMs, signal);
      } catch {
        break; // stopped while waiting
      }
      backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
    }
    state.health = 'stopped';
  }

  /** Each component's health, restarts and last error. */
  health(): Record<string, State> {
    return Object.fromEntries([...this.states].map(([k, v]) => [k, { ...v }]));
  }

  /** Whether every component is running now. */
  healthy(): boolean {
    return [...this.states.values()].every((s) => s.health === 'ok');
  }

  restarts(): number {
    return [...this.states.values()].reduce((s, x) => s + x.restarts, 0);
  }

  /** Stops every component and resolves once each has returned. */
  async stop(): Promise<void> {
    this.controller.abort(new Error('the agent is stopping'));
    await Promise.all(this.runs);
  }
}
