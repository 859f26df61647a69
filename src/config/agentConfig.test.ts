import { describe, expect, it } from 'vitest';
import { loadAgentConfig } from './agentConfig.js';

const env = {
  BACKEND_URL: 'https://qpilot.example.com',
  BACKEND_WS_URL: 'wss://qpilot.example.com/ws',
  API_KEY: 'k'.repeat(32),
  SECRET_KEY: 's'.repeat(32),
  CLUSTER_ID: 'prod-eu-1',
};
const load = (e: Record<string, string | undefined>) => loadAgentConfig(e, () => 'agent-generated');

describe('loadAgentConfig (seed 003)', () => {
  it("takes the seed's variables with its defaults, and generates AGENT_ID when absent", () => {
    const c = load(env);
    expect(c).toMatchObject({
      clusterId: 'prod-eu-1',
      agentId: 'agent-generated',
      generatedAgentId: true,
      collectionIntervalSec: 60,
      actionPollIntervalSec: 10,
      batchSize: 100,
    });
    expect(c.backendUrl.href).toBe('https://qpilot.example.com/');
    const given = load({ ...env, AGENT_ID: 'a1', COLLECTION_INTERVAL: '120', BATCH_SIZE: '50' });
    expect(given).toMatchObject({
      agentId: 'a1',
      generatedAgentId: false,
      collectionIntervalSec: 120,
      batchSize: 50,
    });
  });

  it.each(['BACKEND_URL', 'BACKEND_WS_URL', 'API_KEY', 'SECRET_KEY', 'CLUSTER_ID'])(
    'stops with the name of a missing %s',
    (name) => {
      expect(() => load({ ...env, [name]: undefined })).toThrow(new RegExp(`^${name} is required`));
      expect(() => load({ ...env, [name]: '  ' })).toThrow(new RegExp(`^${name} is required`));
    },
  );

  it('wants TLS to a backend that is not on loopback', () => {
    expect(() => load({ ...env, BACKEND_URL: 'http://qpilot.example.com' })).toThrow(
      /BACKEND_URL must use https:\/\/ \(TLS\)/,
    );
    expect(() => load({ ...env, BACKEND_WS_URL: 'ws://10.0.0.1/ws' })).toThrow(
      /BACKEND_WS_URL must use wss:\/\//,
    );
    expect(
      load({
        ...env,
        BACKEND_URL: 'http://127.0.0.1:8080',
        BACKEND_WS_URL: 'ws://localhost:8080/ws',
      }).backendUrl.port,
    ).toBe('8080');
    expect(() => load({ ...env, BACKEND_WS_URL: 'https://qpilot.example.com/ws' })).toThrow(
      /must start with wss:\/\//,
    );
    expect(() => load({ ...env, BACKEND_URL: 'https://u:p@qpilot.example.com' })).toThrow(
      /credentials/,
    );
  });

  it('refuses bad numbers and short keys, never repeating a key', () => {
    expect(() => load({ ...env, ACTION_POLL_INTERVAL: '0' })).toThrow(
      /ACTION_POLL_INTERVAL must be a whole number from 1/,
    );
    expect(() => load({ ...env, BATCH_SIZE: '1e3' })).toThrow(/BATCH_SIZE/);
    const short = 'short-key';
    expect(() => load({ ...env, SECRET_KEY: short })).toThrow(/SECRET_KEY must be at least 16/);
    let message = '';
    try {
      load({ ...env, API_KEY: short });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^API_KEY must be at least 16/);
    expect(message).not.toContain(short);
    expect(() => load({ ...env, CLUSTER_ID: 'no spaces' })).toThrow(/CLUSTER_ID must be/);
  });
  it('takes the actions to carry out from AGENT_ACTIONS, every one by default', () => {
    const all = loadAgentConfig(env, () => 'x').actions;
    expect(all).toContain('scale');
    expect(all).toContain('record_event');
    expect(
      loadAgentConfig({ ...env, AGENT_ACTIONS: 'scale, evict,scale' }, () => 'x').actions,
    ).toEqual(['scale', 'evict']);
    expect(() => loadAgentConfig({ ...env, AGENT_ACTIONS: 'scale,reboot' }, () => 'x')).toThrow(
      /AGENT_ACTIONS names "reboot", which is not an action/,
    );
  });
});
