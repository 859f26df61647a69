/** Builds @kubernetes/client-node objects from the simulator's state, as the API server would show them. */
import type {
  V1ContainerStatus,
  V1Deployment,
  V1Node,
  V1Pod,
  V1PodCondition,
  V1PodDisruptionBudget,
} from '@kubernetes/client-node';
import { bytes, millicores } from '../../core/units.js';
import { formatCpu, formatMemory } from '../quantity.js';
import type { ContainerState, DeploymentState, NodeState, PdbState, PodState } from './state.js';
import { isActive } from './state.js';

const date = (ms: number): Date => new Date(ms);

function containerSpec(c: ContainerState) {
  const resources: { requests?: Record<string, string>; limits?: Record<string, string> } = {};
  if (Object.keys(c.requests).length)
    resources.requests = { ...(c.requests as Record<string, string>) };
  if (Object.keys(c.limits).length) resources.limits = { ...(c.limits as Record<string, string>) };
  return { name: c.name, image: c.image, resources };
}

function condition(
  type: string,
  ok: boolean,
  sinceMs: number,
  reason?: string,
  message?: string,
): V1PodCondition {
  const c: V1PodCondition = {
    type,
    status: ok ? 'True' : 'False',
    lastTransitionTime: date(sinceMs),
  };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

function containerStatus(pod: PodState, c: ContainerState, first: boolean): V1ContainerStatus {
  const status: V1ContainerStatus = {
    name: c.name,
    image: c.image,
    imageID: '',
    ready: pod.ready,
    restartCount: first ? pod.restartCount : 0,
    started: pod.containerStartMs !== null,
  };
  if (pod.phase === 'Succeeded' || pod.phase === 'Failed') {
    status.state = {
      terminated: {
        exitCode: pod.phase === 'Succeeded' ? 0 : 1,
        reason: pod.phase === 'Succeeded' ? 'Completed' : 'Error',
      },
    };
  } else if (pod.containerStartMs !== null) {
    status.state = { running: { startedAt: date(pod.containerStartMs) } };
  } else if (pod.nodeName !== null) {
    status.state = { waiting: { reason: pod.waitingReason ?? 'ContainerCreating' } };
  }
  if (first && pod.lastTerminationReason) {
    status.lastState = {
      terminated: {
        exitCode: pod.lastTerminationReason === 'OOMKilled' ? 137 : 1,
        reason: pod.lastTerminationReason,
      },
    };
  }
  status.resources = containerSpec(c).resources;
  return status;
}

export function podToKube(pod: PodState, nodes: ReadonlyMap<string, NodeState>): V1Pod {
  const node = pod.nodeName ? nodes.get(pod.nodeName) : undefined;
  const conditions: V1PodCondition[] = [
    pod.nodeName
      ? condition('PodScheduled', true, pod.scheduledMs ?? pod.createdMs)
      : condition(
          'PodScheduled',
          false,
          pod.createdMs,
          'Unschedulable',
          pod.unschedulableMessage ?? undefined,
        ),
  ];
  if (pod.nodeName) {
    const since = pod.readySinceMs ?? pod.scheduledMs ?? pod.createdMs;
    conditions.push(condition('Initialized', true, pod.scheduledMs ?? pod.createdMs));
    conditions.push(condition('ContainersReady', pod.ready, since));
    conditions.push(condition('Ready', pod.ready, since));
  }
  const owner = pod.owner;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: pod.name,
      namespace: pod.namespace,
      uid: pod.uid,
      resourceVersion: String(pod.resourceVersion),
      creationTimestamp: date(pod.createdMs),
      ...(pod.deletionMs !== null
        ? { deletionTimestamp: date(pod.deletionMs), deletionGracePeriodSeconds: 30 }
        : {}),
      labels: { ...pod.labels },
      annotations: { ...pod.annotations },
      ...(owner
        ? {
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'ReplicaSet',
                name: `${owner.name}-${pod.templateHash}`,
                uid: `${owner.uid}-${pod.templateHash}`,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          }
        : {}),
    },
    spec: {
      ...(pod.nodeName ? { nodeName: pod.nodeName } : {}),
      containers: pod.containers.map(containerSpec),
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
    },
    status: {
      phase: pod.phase,
      conditions,
      ...(node ? { hostIP: `10.0.0.${node.index + 10}` } : {}),
      ...(pod.podIp ? { podIP: pod.podIp, podIPs: [{ ip: pod.podIp }] } : {}),
      ...(pod.scheduledMs !== null ? { startTime: date(pod.scheduledMs) } : {}),
      ...(pod.phase === 'Failed' ? { reason: 'Evicted' } : {}),
      containerStatuses: pod.nodeName
        ? pod.containers.map((c, i) => containerStatus(pod, c, i === 0))
        : [],
      qosClass: qosClass(pod.containers),
    },
  };
}

function qosClass(containers: readonly ContainerState[]): string {
  const guaranteed = containers.every(
    (c) =>
      c.cpuLimitM > 0 &&
      c.memoryLimitB > 0 &&
      c.cpuLimitM === c.cpuRequestM &&
      c.memoryLimitB === c.memoryRequestB,
  );
  if (guaranteed) return 'Guaranteed';
  const any = containers.some(
    (c) => c.cpuRequestM || c.memoryRequestB || c.cpuLimitM || c.memoryLimitB,
  );
  return any ? 'Burstable' : 'BestEffort';
}

export function nodeToKube(node: NodeState): V1Node {
  const capacity = {
    cpu: formatCpu(millicores(node.cpuCapacityM)),
    memory: formatMemory(bytes(node.memoryCapacityB)),
    pods: String(node.maxPods),
  };
  const allocatable = {
    cpu: formatCpu(millicores(node.cpuAllocatableM)),
    memory: formatMemory(bytes(node.memoryAllocatableB)),
    pods: String(node.maxPods),
  };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      uid: node.uid,
      resourceVersion: String(node.resourceVersion),
      creationTimestamp: date(node.createdMs),
      labels: { ...node.labels },
    },
    spec: {
      podCIDR: `10.244.${node.index}.0/24`,
      ...(node.unschedulable
        ? {
            unschedulable: true,
            taints: [
              {
                key: 'node.kubernetes.io/unschedulable',
                effect: 'NoSchedule',
                timeAdded: date(node.createdMs),
              },
            ],
          }
        : {}),
    },
    status: {
      capacity,
      allocatable,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'simulated kubelet is posting ready status',
        },
      ],
      addresses: [
        { type: 'InternalIP', address: `10.0.0.${node.index + 10}` },
        { type: 'Hostname', address: node.name },
      ],
      nodeInfo: {
        architecture: 'amd64',
        bootID: node.uid,
        containerRuntimeVersion: 'qpilot-sim://1',
        kernelVersion: 'sim',
        kubeProxyVersion: '',
        kubeletVersion: 'v1.35.0-qpilot-sim',
        machineID: node.uid,
        operatingSystem: 'linux',
        osImage: 'qpilot simulated node',
        systemUUID: node.uid,
      },
    },
  };
}

export function deploymentToKube(dep: DeploymentState): V1Deployment {
  const active = dep.pods.filter(isActive);
  const ready = active.filter((p) => p.ready).length;
  const updated = active.filter((p) => p.templateGen === dep.templateGen).length;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: dep.name,
      namespace: dep.namespace,
      uid: dep.uid,
      generation: dep.generation,
      resourceVersion: String(dep.resourceVersion),
      creationTimestamp: date(dep.createdMs),
      labels: { ...dep.labels },
      annotations: { ...dep.annotations },
    },
    spec: {
      replicas: dep.replicas,
      selector: { matchLabels: { ...dep.podLabels } },
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
      },
      template: {
        metadata: { labels: { ...dep.podLabels } },
        spec: { containers: dep.containers.map(containerSpec) },
      },
    },
    status: {
      observedGeneration: dep.generation,
      replicas: active.length,
      readyReplicas: ready,
      availableReplicas: ready,
      updatedReplicas: updated,
      unavailableReplicas: Math.max(0, dep.replicas - ready),
    },
  };
}

export function pdbToKube(
  pdb: PdbState,
  status: {
    currentHealthy: number;
    desiredHealthy: number;
    expectedPods: number;
    disruptionsAllowed: number;
  },
): V1PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: {
      name: pdb.name,
      namespace: pdb.namespace,
      uid: pdb.uid,
      creationTimestamp: date(pdb.createdMs),
    },
    spec: {
      selector: { matchLabels: { ...pdb.matchLabels } },
      ...(pdb.minAvailable !== undefined ? { minAvailable: pdb.minAvailable } : {}),
      ...(pdb.maxUnavailable !== undefined ? { maxUnavailable: pdb.maxUnavailable } : {}),
    },
    status: { ...status, observedGeneration: 1 },
  };
}
