import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { buildAgentServer } from './healthServer.js';
import type { ComponentHealth } from './supervisor.js';

function setup(
  health: Record<string, ComponentHealth>,
  link: { registered: boolean; channel: 'websocket' | 'polling' | 'none' },
) {
  return buildAgentServer({
    supervisor: {
      health: () =>
        Object.fromEntries(
          Object.entries(health).map(([k, h]) => [
            k,
            { health: h, restarts: h === 'restarting' ? 2 : 0 },
          ]),
        ),
      healthy: () => Object.values(health).every((h) => h === 'ok'),
    },
    link: {
      registered: () => link.registered,
      channel: () => link.channel,
      bytesSent: () => 1234,
      bytesReceived: () => 99,
    },
    dataDir: tmpdir(),
    version: '0.1.0',
  });
}

describe("the agent's health server", () => {
  it('is ready only when registered and connected, and says why not', async () => {
    const ready = setup({ collector: 'ok' }, { registered: true, channel: 'polling' });
    expect((await ready.inject('/readyz')).statusCode).toBe(200);
    const unregistered = setup({ collector: 'ok' }, { registered: false, channel: 'websocket' });
    const r = await unregistered.inject('/readyz');
    expect(r.statusCode).toBe(503);
    expect(r.json()).toMatchObject({ ready: false, reason: 'not registered with the hub yet' });
    const cut = await setup({ collector: 'ok' }, { registered: true, channel: 'none' }).inject(
      '/readyz',
    );
    expect(cut.json()).toMatchObject({ reason: 'no connection to the hub' });
  });

  it('is live while supervised, degraded while a component restarts, and 503 once stopped', async () => {
    const degraded = await setup(
      { collector: 'restarting', heartbeat: 'ok' },
      { registered: true, channel: 'websocket' },
    ).inject('/healthz');
    expect(degraded.statusCode).toBe(200);
    expect(degraded.json()).toMatchObject({
      status: 'degraded',
      components: { collector: { health: 'restarting', restarts: 2 } },
    });
    const stopped = await setup(
      { collector: 'stopped' },
      { registered: true, channel: 'websocket' },
    ).inject('/healthz');
    expect(stopped.statusCode).toBe(503);
  });

  it('exports system resources, component health and traffic', async () => {
    const res = await setup(
      { collector: 'restarting', actuator: 'ok' },
      { registered: true, channel: 'websocket' },
    ).inject('/metrics');
    expect(res.statusCode).toBe(200);
    const text = res.body;
    expect(text).toMatch(/qpilot_agent_component_up\{component="collector"\} 0/);
    expect(text).toMatch(/qpilot_agent_component_up\{component="actuator"\} 1/);
    expect(text).toMatch(/qpilot_agent_component_restarts\{component="collector"\} 2/);
    expect(text).toMatch(/qpilot_agent_sent_bytes 1234/);
    expect(text).toMatch(/qpilot_agent_connected 2/);
    expect(text).toMatch(/qpilot_agent_process_resident_memory_bytes \d+/);
    expect(text).toMatch(/qpilot_agent_data_free_bytes \d+/);
  });
});
