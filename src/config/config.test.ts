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
      'QPILOT_CLUSTER must be one of auto, sim, kube, got "gke"',
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
});
