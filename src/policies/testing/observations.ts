/** Builders of observations for policy tests. */
import { hpaUtilization } from '../../core/utilization.js';
import type { PodObservation, WorkloadObservation } from '../../core/workload.js';
import { DEFAULT_BOUNDS, type PolicyInput, type ScalingBounds } from '../types.js';

export interface PodSpec {
  cpu?: number;
  memory?: number;
  ready?: boolean;
  phase?: string;
  metrics?: boolean;
  startedMsAgo?: number;
  readyMsAgo?: number;
  sampleMsAgo?: number;
  deleting?: boolean;
  restarts?: number;
  lastTerminationReason?: string;
}

export function pods(count: number, spec: PodSpec = {}): PodSpec[] {
  return Array.from({ length: count }, () => ({ ...spec }));
}

export function observation(
  timeMs: number,
  podSpecs: PodSpec[],
  options: {
    specReplicas?: number;
    cpuRequest?: number;
    memoryRequest?: number;
    cpuLimit?: number;
    memoryLimit?: number;
  } = {},
): WorkloadObservation {
  const cpuRequest = options.cpuRequest ?? 500;
  const memoryRequest = options.memoryRequest ?? 256 * 2 ** 20;
  const cpuLimit = options.cpuLimit ?? cpuRequest;
  const memoryLimit = options.memoryLimit ?? memoryRequest * 2;
  const list: PodObservation[] = podSpecs.map((s, i) => {
    const ready = s.ready ?? true;
    const started = timeMs - (s.startedMsAgo ?? 3_600_000);
    return {
      name: `web-${i}`,
      phase: s.phase ?? 'Running',
      status: s.phase ?? 'Running',
      deleting: s.deleting ?? false,
      ready,
      readyTransitionMs: timeMs - (s.readyMsAgo ?? 3_000_000),
      startTimeMs: started,
      restarts: s.restarts ?? 0,
      lastTerminationReason: s.lastTerminationReason,
      cpuRequestMillicores: cpuRequest,
      memoryRequestBytes: memoryRequest,
      cpuLimitMillicores: cpuLimit,
      memoryLimitBytes: memoryLimit,
      utilizationRequest: { cpuMillicores: cpuRequest, memoryBytes: memoryRequest },
      usage:
        (s.metrics ?? true) && s.cpu !== undefined
          ? {
              cpuMillicores: s.cpu,
              memoryBytes: s.memory ?? memoryRequest / 2,
              timestampMs: timeMs - (s.sampleMsAgo ?? 5_000),
              windowMs: 15_000,
            }
          : undefined,
    };
  });
  return {
    namespace: 'default',
    name: 'web',
    timeMs,
    specReplicas: options.specReplicas ?? podSpecs.length,
    readyReplicas: list.filter((p) => p.ready).length,
    template: {
      cpuRequestMillicores: cpuRequest,
      memoryRequestBytes: memoryRequest,
      cpuLimitMillicores: cpuLimit,
      memoryLimitBytes: memoryLimit,
    },
    containers: [
      {
        name: 'app',
        requests: { cpuMillicores: cpuRequest, memoryBytes: memoryRequest },
        limits: { cpuMillicores: cpuLimit, memoryBytes: memoryLimit },
      },
    ],
    pods: list,
    utilization: hpaUtilization({ pods: list, timeMs }),
    annotations: {},
  };
}

export function input(o: WorkloadObservation, bounds: Partial<ScalingBounds> = {}): PolicyInput {
  return { observation: o, bounds: { ...DEFAULT_BOUNDS, ...bounds }, scaleFactor: 0.2 };
}
