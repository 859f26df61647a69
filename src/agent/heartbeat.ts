/**
 * The agent's heartbeat (seed 003's heartbeat.py): every interval, its components' health,
 * restarts, resident memory, CPU time and traffic to the hub. A heartbeat that cannot be sent
 * is logged and the next one tried; it never stops the agent.
 */
import type { Clock } from '../core/clock.js';
import type { HubConnection } from './connection.js';
import type { Component, Supervisor } from './supervisor.js';

export class Heartbeat implements Component {
  readonly name = 'heartbeat';

  constructor(
    private readonly deps: {
      link: Pick<HubConnection, 'heartbeat' | 'registered' | 'bytesSent' | 'bytesReceived'>;
      supervisor: Pick<Supervisor, 'health' | 'restarts'>;
      clock: Clock;
      intervalSec: () => number;
      log?: (message: string) => void;
    },
  ) {}

  async beatOnce(): Promise<void> {
    const { link, supervisor, clock } = this.deps;
    const components: Record<string, 'ok' | 'failed' | 'restarting'> = {};
    for (const [name, s] of Object.entries(supervisor.health()))
      components[name] =
        s.health === 'ok' ? 'ok' : s.health === 'restarting' ? 'restarting' : 'failed';
    const cpu = process.cpuUsage();
    await link.heartbeat({
      timeMs: clock.now(),
      components,
      restarts: supervisor.restarts(),
      rssBytes: process.memoryUsage.rss(),
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      bytesSent: link.bytesSent(),
      bytesReceived: link.bytesReceived(),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (this.deps.link.registered())
        await this.beatOnce().catch((err: unknown) =>
          this.deps.log?.(`Heartbeat failed: ${err instanceof Error ? err.message : String(err)}`),
        );
      try {
        await this.deps.clock.sleep(this.deps.intervalSec() * 1000, signal);
      } catch {
        return;
      }
    }
  }
}
