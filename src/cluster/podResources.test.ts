import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  containerResources,
  defaultedPodSpec,
  podAccounting,
  podLimits,
  podRequests,
  utilizationRequest,
} from './podResources.js';

const MI = 2 ** 20;
const c = (
  name: string,
  requests?: Record<string, string>,
  limits?: Record<string, string>,
  sidecar = false,
): V1Container => ({
  name,
  resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) },
  ...(sidecar ? { restartPolicy: 'Always' } : {}),
});
const pod = (spec: Partial<V1Pod['spec']>, status?: V1Pod['status']): V1Pod => ({
  metadata: { name: 'p' },
  spec: { containers: [], ...spec },
  ...(status ? { status } : {}),
});

describe('podRequests and podLimits (scheduler, kubectl describe node)', () => {
  it('takes a regular init container as the floor, not as an addition', () => {
    const p = pod({
      containers: [c('app', { cpu: '200m', memory: '64Mi' }, { cpu: '400m' })],
      initContainers: [c('init', { cpu: '1', memory: '32Mi' }, { cpu: '1' })],
    });
    expect(podRequests(p)).toEqual({ cpuMillicores: 1000, memoryBytes: 64 * MI });
    expect(podLimits(p)).toEqual({ cpuMillicores: 1000, memoryBytes: 0 });
  });

  it('adds sidecars, and an init container after a sidecar needs both', () => {
    const p = pod({
      containers: [c('app', { cpu: '100m' }, { cpu: '200m' })],
      initContainers: [
        c('proxy', { cpu: '50m' }, { cpu: '100m' }, true),
        c('migrate', { cpu: '300m' }, { cpu: '300m' }),
      ],
    });
    // app + proxy = 150m; migrate while proxy runs = 350m: the larger.
    expect(podRequests(p).cpuMillicores).toBe(350);
    expect(podLimits(p).cpuMillicores).toBe(400);
    const plain = pod({
      containers: [c('app', { cpu: '100m' })],
      initContainers: [c('proxy', { cpu: '50m' }, undefined, true)],
    });
    expect(podRequests(plain).cpuMillicores).toBe(150);
  });

  it('adds the overhead to requests, and to limits only where a limit is set', () => {
    const p = pod({
      containers: [c('app', { cpu: '200m', memory: '128Mi' }, { memory: '256Mi' })],
      overhead: { cpu: '250m', memory: '120Mi' },
    });
    expect(podRequests(p)).toEqual({ cpuMillicores: 450, memoryBytes: 248 * MI });
    expect(podLimits(p)).toEqual({ cpuMillicores: 0, memoryBytes: 376 * MI });
  });

  it('lets pod-level requests replace the containers’ sum', () => {
    const p = pod({
      containers: [c('a', { cpu: '100m' }), c('b', { cpu: '100m', memory: '64Mi' })],
      resources: { requests: { cpu: '1' } },
    });
    expect(podRequests(p)).toEqual({ cpuMillicores: 1000, memoryBytes: 64 * MI });
  });

  it('counts what a resized pod has when it is more than its spec asks', () => {
    const spec = { containers: [c('app', { cpu: '200m', memory: '64Mi' })] };
    const shrunk = pod(spec, {
      containerStatuses: [
        {
          name: 'app',
          image: '',
          imageID: '',
          ready: true,
          restartCount: 0,
          resources: { requests: { cpu: '500m', memory: '64Mi' } },
          allocatedResources: { cpu: '400m', memory: '96Mi' },
        },
      ],
    });
    expect(podRequests(shrunk)).toEqual({ cpuMillicores: 500, memoryBytes: 96 * MI });
    const infeasible = pod(spec, {
      ...shrunk.status,
      conditions: [{ type: 'PodResizePending', status: 'True', reason: 'Infeasible' }],
    });
    const bigger = pod({ containers: [c('app', { cpu: '2', memory: '64Mi' })] }, infeasible.status);
    // An infeasible resize is never actuated: the spec does not count.
    expect(podRequests(bigger).cpuMillicores).toBe(500);
  });

  it('counts nothing for a pod without resources', () => {
    expect(podAccounting(pod({ containers: [c('x')] }))).toMatchObject({
      requests: { cpuMillicores: 0, memoryBytes: 0 },
      limits: { cpuMillicores: 0, memoryBytes: 0 },
    });
  });
});

describe('utilizationRequest (the HPA)', () => {
  it('sums app containers and sidecars, never init containers or the overhead', () => {
    const p = pod({
      containers: [c('app', { cpu: '200m', memory: '64Mi' })],
      initContainers: [
        c('init', { cpu: '1', memory: '1Gi' }),
        c('proxy', { cpu: '50m', memory: '16Mi' }, undefined, true),
      ],
      overhead: { cpu: '250m' },
    });
    expect(utilizationRequest(p)).toEqual({ cpuMillicores: 250, memoryBytes: 80 * MI });
  });

  it('names the container that has no request', () => {
    const p = pod({ containers: [c('app', { memory: '64Mi' }), c('log', { cpu: '10m' })] });
    expect(utilizationRequest(p)).toEqual({
      cpuMissing: 'missing request for cpu in container app of Pod p',
      memoryMissing: 'missing request for memory in container log of Pod p',
    });
  });

  it('uses the pod-level request, with the overhead, when one is set', () => {
    const p = pod({
      containers: [c('app'), c('b')],
      resources: { requests: { cpu: '1' } },
      overhead: { cpu: '100m' },
    });
    expect(utilizationRequest(p)).toEqual({
      cpuMillicores: 1100,
      memoryMissing: 'missing pod-level request for memory in Pod p',
    });
  });
});

describe('defaultedPodSpec (the API server on a pod, not on a template)', () => {
  it('sets a missing request from the limit, per container', () => {
    const spec = defaultedPodSpec({
      containers: [c('app', { memory: '64Mi' }, { cpu: '500m', memory: '128Mi' })],
      initContainers: [c('init', undefined, { cpu: '1' })],
    });
    expect(spec.containers[0]!.resources).toEqual({
      requests: { cpu: '500m', memory: '64Mi' },
      limits: { cpu: '500m', memory: '128Mi' },
    });
    expect(spec.initContainers![0]!.resources?.requests).toEqual({ cpu: '1' });
    expect(containerResources(spec)).toEqual([
      {
        name: 'app',
        requests: { cpuMillicores: 500, memoryBytes: 64 * MI },
        limits: { cpuMillicores: 500, memoryBytes: 128 * MI },
      },
    ]);
  });
});
