/**
 * The Autopilot custom resource (deploy/crds/autopilots.qpilot.io.yaml, docs/autopilot.md) as
 * qpilot reads and writes it, and the interface through which the controller sees the
 * Autopilots of a cluster: a watched cache and a status writer. The API server has validated
 * every spec against the CRD's schema and CEL rules before qpilot sees it; what the schema
 * cannot say (a target that does not exist) is reported in the status.
 */
import type { V1ObjectMeta } from '@kubernetes/client-node';

export const AUTOPILOT_GROUP = 'qpilot.io';
export const AUTOPILOT_VERSION = 'v1alpha1';
export const AUTOPILOT_PLURAL = 'autopilots';
export const AUTOPILOT_API_VERSION = `${AUTOPILOT_GROUP}/${AUTOPILOT_VERSION}`;
/** KEDA's `autoscaling.keda.sh/paused`, for qpilot: "true" stops every change. */
export const PAUSED_ANNOTATION = 'qpilot.io/paused';

export type AutopilotMode = 'Auto' | 'Recommend' | 'Off';

export interface ScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
  policies?: { type: 'Pods' | 'Percent'; value: number; periodSeconds: number }[];
}

export interface ContainerConstraint {
  name: string;
  minAllowed?: { cpu?: string; memory?: string };
  maxAllowed?: { cpu?: string; memory?: string };
}

export interface AutopilotSpec {
  targetRef: { apiVersion?: string; kind: 'Deployment' | 'StatefulSet'; name: string };
  mode?: AutopilotMode;
  policy?: 'dqn' | 'dqn-vertical' | 'hpa' | 'vpa' | 'static';
  objectives?: {
    p95LatencyMs?: number;
    maxErrorRatio?: number;
    latencySource?: { prometheus?: { histogram: string; selector?: string } };
  };
  constraints?: {
    minReplicas?: number;
    maxReplicas?: number;
    containers?: ContainerConstraint[];
  };
  behavior?: { cooldownSeconds?: number; scaleUp?: ScalingRules; scaleDown?: ScalingRules };
  fallback?: { policy?: 'hpa' | 'vpa' | 'static'; breachesToHandBack?: number };
}

export type ConditionType = 'Ready' | 'Active' | 'Fallback' | 'Limited';

export interface AutopilotCondition {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface AutopilotDecisionStatus {
  time: string;
  action: string;
  policy: string;
  confidence?: number;
  explanation: string;
  outcome: string;
  decisionId: number;
}

export interface AutopilotStatus {
  observedGeneration?: number;
  currentReplicas?: number;
  desiredReplicas?: number;
  conditions?: AutopilotCondition[];
  recommendation?: {
    replicas?: number;
    containers?: { name: string; cpu?: string; memory?: string }[];
  };
  lastDecision?: AutopilotDecisionStatus;
  recentActions?: { time: string; action: string; outcome: string; limitedBy?: string }[];
}

export interface Autopilot {
  apiVersion?: string;
  kind?: string;
  metadata: V1ObjectMeta & { name: string; namespace: string };
  spec: AutopilotSpec;
  status?: AutopilotStatus;
}

/** The Autopilots of a cluster, as a controller sees them: from a watch, never listed per cycle. */
export interface AutopilotClient {
  /** Every Autopilot now; undefined until the first listing has arrived (or after a watch broke). */
  list(): readonly Autopilot[] | undefined;
  /** Replaces the status through the status subresource. */
  writeStatus(namespace: string, name: string, status: AutopilotStatus): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The two calls an Autopilot controller makes, without a watch: what an agent answers for its
 * hub (ADR 17). Without the CRD there are no Autopilots: `list` answers none.
 */
export interface AutopilotCalls {
  list(): Promise<Autopilot[]>;
  writeStatus(namespace: string, name: string, status: AutopilotStatus): Promise<void>;
}

/** Whether the pause annotation is set to a true value (KEDA's reading: "true"). */
export function isPaused(ap: Pick<Autopilot, 'metadata'>): boolean {
  return ap.metadata.annotations?.[PAUSED_ANNOTATION]?.trim().toLowerCase() === 'true';
}
