/**
 * The autoscaler's settings: seed 002's configuration (dry_run, the loop's interval, the
 * cooldown, exclusions, bounds, scale_factor), with the seed's defaults. `GET /config` shows
 * them in the seed's shape; `POST /config` changes only the fields the seed allows, and a
 * wrong type, a bad value or an unknown field is refused with its name.
 */
import { invalidArgument } from '../core/errors.js';

export interface ScalingSettings {
  /** Decide and record, never act. On by default, as in seed 002. */
  dryRun: boolean;
  autoScaleEnabled: boolean;
  autoScaleIntervalSec: number;
  /** The relative step of a vertical INCREASE or DECREASE. */
  scaleFactor: number;
  /** Minutes a workload is left alone after a change (scale-ups excepted: see docs). */
  scalingCooldownMin: number;
  namespaces: string[];
  excludedDeployments: string[];
  /** A workload carrying any of these label values is left alone. */
  excludedLabels: Record<string, string>;
  /** Per pod, in cores. */
  minCpu: number;
  maxCpu: number;
  /** Per pod, in MiB (the seed's "MB"). */
  minMemoryMb: number;
  maxMemoryMb: number;
  minReplicas: number;
  maxReplicas: number;
  /** The policy of workloads whose annotations name none. */
  policy: string;
}

export const DEFAULT_SETTINGS: ScalingSettings = {
  dryRun: true,
  autoScaleEnabled: true,
  autoScaleIntervalSec: 30,
  scaleFactor: 0.2,
  scalingCooldownMin: 30,
  namespaces: ['default'],
  excludedDeployments: [
    'redis',
    'dqn-scaler',
    'metrics-collector',
    'load-generator',
    'dqn-scaler-dashboard',
  ],
  excludedLabels: { app: 'redis', component: 'redis' },
  minCpu: 0.1,
  maxCpu: 8,
  minMemoryMb: 20,
  maxMemoryMb: 16384,
  minReplicas: 1,
  maxReplicas: 100,
  policy: 'dqn',
};

/** The settings at start-up: seed 002's defaults, with what the environment and flags say. */
export function settingsFromConfig(c: {
  dryRun: boolean;
  autoScaleEnabled: boolean;
  autoScaleIntervalSec: number;
  namespaces: string[];
  excludedDeployments: string[];
  scalingCooldownMin: number;
  policy: string;
}): ScalingSettings {
  return {
    ...DEFAULT_SETTINGS,
    dryRun: c.dryRun,
    autoScaleEnabled: c.autoScaleEnabled,
    autoScaleIntervalSec: c.autoScaleIntervalSec,
    namespaces: [...c.namespaces],
    excludedDeployments: [...c.excludedDeployments],
    scalingCooldownMin: c.scalingCooldownMin,
    policy: c.policy,
  };
}

/** Seed 002's `GET /config`, plus what qpilot adds (replica bounds, the default policy). */
export function settingsView(s: ScalingSettings, extra: { modelPath: string; inCluster: boolean }) {
  return {
    model_path: extra.modelPath,
    state_dim: 10,
    action_dim: 3,
    history_window: 5,
    min_cpu: s.minCpu,
    max_cpu: s.maxCpu,
    min_memory: s.minMemoryMb,
    max_memory: s.maxMemoryMb,
    min_replicas: s.minReplicas,
    max_replicas: s.maxReplicas,
    scale_factor: s.scaleFactor,
    dry_run: s.dryRun,
    in_cluster: extra.inCluster,
    namespaces: s.namespaces,
    auto_scale_enabled: s.autoScaleEnabled,
    auto_scale_interval: s.autoScaleIntervalSec,
    scaling_cooldown: s.scalingCooldownMin,
    excluded_deployments: s.excludedDeployments,
    excluded_labels: s.excludedLabels,
    policy: s.policy,
  };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

type Field = (value: unknown, name: string) => Partial<ScalingSettings>;

const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

function bool(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean')
    throw invalidArgument(`${name} must be a boolean, got ${typeName(value)}`);
  return value;
}

function int(value: unknown, name: string, min: number, max: number, unit: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw invalidArgument(`${name} must be an integer (${unit}), got ${JSON.stringify(value)}`);
  if (value < min || value > max)
    throw invalidArgument(`${name} must be from ${min} to ${max} ${unit}, got ${value}`);
  return value;
}

function names(value: unknown, name: string, pattern: RegExp, allowEmpty: boolean): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw invalidArgument(`${name} must be an array of strings, got ${typeName(value)}`);
  if (!allowEmpty && value.length === 0) throw invalidArgument(`${name} must not be empty`);
  for (const v of value)
    if (!pattern.test(v) || v.length > 253)
      throw invalidArgument(`${name}: "${v}" is not a valid Kubernetes name`);
  return [...new Set(value)];
}

/** The fields `POST /config` accepts: seed 002's list, no more. */
const UPDATABLE: Record<string, Field> = {
  dry_run: (v, n) => ({ dryRun: bool(v, n) }),
  auto_scale_enabled: (v, n) => ({ autoScaleEnabled: bool(v, n) }),
  auto_scale_interval: (v, n) => ({ autoScaleIntervalSec: int(v, n, 5, 86_400, 'seconds') }),
  scale_factor: (v, n) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v >= 1)
      throw invalidArgument(`${n} must be a number between 0 and 1, got ${JSON.stringify(v)}`);
    return { scaleFactor: v };
  },
  scaling_cooldown: (v, n) => ({ scalingCooldownMin: int(v, n, 0, 1440, 'minutes') }),
  namespaces: (v, n) => ({ namespaces: names(v, n, DNS_LABEL, false) }),
  excluded_deployments: (v, n) => ({ excludedDeployments: names(v, n, DNS_SUBDOMAIN, true) }),
  excluded_labels: (v, n) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw invalidArgument(`${n} must be an object of label values, got ${typeName(v)}`);
    for (const [k, value] of Object.entries(v))
      if (typeof value !== 'string')
        throw invalidArgument(`${n}.${k} must be a string, got ${typeName(value)}`);
    return { excludedLabels: { ...(v as Record<string, string>) } };
  },
};

export const UPDATABLE_FIELDS = Object.keys(UPDATABLE);

/** The settings with `body` applied, or an error naming the first field that is wrong. */
export function updateSettings(current: ScalingSettings, body: unknown): ScalingSettings {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalidArgument(`the body must be a JSON object of settings, got ${typeName(body)}`);
  const entries = Object.entries(body);
  if (entries.length === 0)
    throw invalidArgument(`the body names no setting: one of ${UPDATABLE_FIELDS.join(', ')}`);
  let next = { ...current };
  for (const [key, value] of entries) {
    // hasOwn: "constructor" or "__proto__" must not find Object.prototype's members.
    const field = Object.hasOwn(UPDATABLE, key) ? UPDATABLE[key] : undefined;
    if (!field)
      throw invalidArgument(
        `"${key}" cannot be set: the settings are ${UPDATABLE_FIELDS.join(', ')}`,
      );
    next = { ...next, ...field(value, key) };
  }
  return next;
}
