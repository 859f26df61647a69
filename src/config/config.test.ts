import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults to port 8080 on loopback against the demo scenario', () => {
    expect(loadConfig({})).toEqual(DEFAULT_CONFIG);
    expect(DEFAULT_CONFIG).toMatchObject({
      port: 8080,
      host: '',
      scenario: 'demo',
      namespaces: ['default'],
    });
  });

  it('reads environment variables, with flags winning', () => {
    const env = {
      PORT: '9090',
      NAMESPACES: 'default, prod',
      QPILOT_SIM_SPEED: '60',
      LOG_LEVEL: 'warn',
    };
    expect(loadConfig(env)).toMatchObject({
      port: 9090,
      namespaces: ['default', 'prod'],
      simSpeed: 60,
      logLevel: 'warn',
    });
    expect(loadConfig(env, { port: '7000' }).port).toBe(7000);
  });

  it('names the variable or flag that carried a bad value', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(
      'PORT must be an integer from 0 to 65535, got "eighty"',
    );
    expect(() => loadConfig({}, { port: '99999' }, { port: '--port' })).toThrow(
      /^--port must be an integer/,
    );
    expect(() => loadConfig({ NAMESPACES: 'Bad_NS' })).toThrow(
      'NAMESPACES: "Bad_NS" is not a valid Kubernetes name',
    );
    expect(() => loadConfig({ NAMESPACES: ' , ' })).toThrow(/at least one namespace/);
    expect(() => loadConfig({ QPILOT_SIM_SPEED: '0' })).toThrow(
      /QPILOT_SIM_SPEED must be a number greater than 0/,
    );
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL must be one of/);
  });

  it('reads how to reach a real cluster and a Prometheus', () => {
    const env = {
      QPILOT_CLUSTER: 'kube',
      KUBERNETES_IN_CLUSTER: 'TRUE',
      PROMETHEUS_URL: 'http://127.0.0.1:9090/',
      QPILOT_KUBE_TIMEOUT_MS: '2500',
    };
    expect(loadConfig(env)).toMatchObject({
      cluster: 'kube',
      inCluster: 'true',
      prometheusUrl: 'http://127.0.0.1:9090',
      kubeRequestTimeoutMs: 2500,
    });
    expect(loadConfig({}, { kubeconfig: '/tmp/k', context: 'prod' })).toMatchObject({
      kubeconfig: '/tmp/k',
      context: 'prod',
      cluster: 'auto',
    });
    expect(() => loadConfig({ QPILOT_CLUSTER: 'gke' })).toThrow(
      'QPILOT_CLUSTER must be one of auto, sim, kube, agent, got "gke"',
    );
    expect(() => loadConfig({ PROMETHEUS_URL: 'ftp://x' })).toThrow(
      /PROMETHEUS_URL must be an http\(s\) URL/,
    );
    expect(() => loadConfig({ KUBERNETES_IN_CLUSTER: 'maybe' })).toThrow(
      /KUBERNETES_IN_CLUSTER must be one of/,
    );
  });

  it('does not share the default namespace list between configurations', () => {
    const a = loadConfig({});
    a.namespaces.push('x');
    expect(loadConfig({}).namespaces).toEqual(['default']);
  });

  it("reads seed 002's settings and the service's own", () => {
    const c = loadConfig({
      DRY_RUN: 'false',
      AUTO_SCALE_ENABLED: '0',
      AUTO_SCALE_INTERVAL: '60',
      EXCLUDED_DEPLOYMENTS: 'redis, database',
      SCALING_COOLDOWN: '45',
      QPILOT_POLICY: 'hpa:80',
      DATABASE_URL: 'postgres://qpilot@db:5432/qpilot',
      QPILOT_API_TOKEN: 'a-token-of-32-characters-exactly',
      QPILOT_CORS_ORIGINS: 'https://dash.example.com',
      QPILOT_POD_MAX: '8',
    });
    expect(c).toMatchObject({
      dryRun: false,
      autoScaleEnabled: false,
      autoScaleIntervalSec: 60,
      excludedDeployments: ['redis', 'database'],
      scalingCooldownMin: 45,
      policy: 'hpa:80',
      databaseUrl: 'postgres://qpilot@db:5432/qpilot',
      apiToken: 'a-token-of-32-characters-exactly',
      corsOrigins: ['https://dash.example.com'],
      podMin: 1,
      podMax: 8,
    });
    expect(DEFAULT_CONFIG).toMatchObject({
      dryRun: true,
      autoScaleEnabled: true,
      autoScaleIntervalSec: 30,
    });
  });

  it('refuses bad settings by name, and never echoes a token', () => {
    expect(() => loadConfig({ DRY_RUN: 'maybe' })).toThrow('DRY_RUN must be true or false');
    expect(() => loadConfig({ AUTO_SCALE_INTERVAL: '1' })).toThrow(/^AUTO_SCALE_INTERVAL must be/);
    expect(() => loadConfig({ QPILOT_POLICY: 'magic' })).toThrow(/^QPILOT_POLICY must be one of/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(
      /^DATABASE_URL must be a postgres/,
    );
    // What the driver would have thrown a stack trace for, named and without the password.
    for (const url of [
      'postgres://u:s3cret@h:99999/x',
      'postgres://u:s3cret%zz@h/x',
      'postgres:///x',
      'postgres://u:s3cret@h a/x',
    ]) {
      let said = '';
      try {
        loadConfig({ DATABASE_URL: url });
      } catch (err) {
        said = (err as Error).message;
      }
      expect(said, url).toMatch(/^DATABASE_URL must be a postgres/);
      expect(said, url).not.toContain('s3cret');
    }
    expect(
      loadConfig({ DATABASE_URL: 'postgres:///qpilot?host=/run/postgresql' }).databaseUrl,
    ).toBe('postgres:///qpilot?host=/run/postgresql');
    expect(() => loadConfig({ QPILOT_POD_MIN: '0' })).toThrow(/QPILOT_POD_MIN/);
    expect(() => loadConfig({ QPILOT_ALLOWED_HOSTS: 'http://evil.example' })).toThrow(
      /QPILOT_ALLOWED_HOSTS must list host names/,
    );
    expect(() => loadConfig({ QPILOT_POD_MIN: '6' })).toThrow(/must not exceed QPILOT_POD_MAX/);
    let message = '';
    try {
      loadConfig({ QPILOT_API_TOKEN: 'short-secret' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('QPILOT_API_TOKEN must be at least 16 characters');
    expect(message).not.toContain('short-secret');
  });
});

describe('the hub settings', () => {
  it('steers through an agent only when told which cluster', () => {
    expect(() => loadConfig({ QPILOT_CLUSTER: 'agent' })).toThrow(
      /QPILOT_CLUSTER "agent" needs the cluster to steer: set QPILOT_AGENT_CLUSTER/,
    );
    expect(loadConfig({ QPILOT_CLUSTER: 'agent', QPILOT_AGENT_CLUSTER: 'prod-eu' })).toMatchObject({
      cluster: 'agent',
      agentCluster: 'prod-eu',
    });
    expect(() => loadConfig({ QPILOT_AGENT_CLUSTER: 'has space' })).toThrow(
      /QPILOT_AGENT_CLUSTER must be a cluster id/,
    );
    expect(loadConfig({}).ingestRetentionHours).toBe(24);
    expect(() => loadConfig({ QPILOT_INGEST_RETENTION_HOURS: '0' })).toThrow(
      /QPILOT_INGEST_RETENTION_HOURS/,
    );
  });
});
