/**
 * Workload profiles as data: what a pod requests, what a request costs it, how long a pod
 * takes to start and the service level it owes, in the simulator's model names. `qpilot
 * evaluate --workload` and `qpilot train --workload` read them from JSON files or by the name
 * of a bundled profile (profiles/*.json).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { type Static, Type } from 'typebox';
import { parseCpu, parseMemory } from '../cluster/quantity.js';
import { invalidArgument } from '../core/errors.js';
import { describeSchemaIssue } from '../core/schemaError.js';
import { maxRpsWithinSlo } from '../policies/oracle/oracle.js';
import type { EvalWorkload } from './simRun.js';

export const BUNDLED_PROFILES_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'profiles',
);

export const WorkloadProfileSchema = Type.Object(
  {
    description: Type.Optional(Type.String()),
    cpu: Type.String({ description: 'CPU request (and limit) of a pod, e.g. 500m' }),
    memory: Type.String({ description: 'Memory request (and limit) of a pod, e.g. 256Mi' }),
    startupDelayMs: Type.Number({ minimum: 0, maximum: 3_600_000 }),
    cpuSecondsPerRequest: Type.Number({ exclusiveMinimum: 0, maximum: 60 }),
    baseLatencyMs: Type.Number({ minimum: 0 }),
    sloLatencyMs: Type.Number({ exclusiveMinimum: 0 }),
    sloMaxDropRatio: Type.Number({ minimum: 0, maximum: 1 }),
    noiseCv: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    idleCpuMillicores: Type.Optional(Type.Number({ minimum: 0 })),
    memoryBaseBytes: Type.Optional(Type.Number({ minimum: 0 })),
    memoryPerInflightBytes: Type.Optional(Type.Number({ minimum: 0 })),
    verticalReplicas: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
);

export type WorkloadProfileFile = Static<typeof WorkloadProfileSchema>;

export interface WorkloadProfile {
  name: string;
  description?: string;
  workload: EvalWorkload;
  /** The CPU utilisation at which the p95 latency of a pod reaches the SLO. */
  kneeUtilization: number;
}

const validate = new Ajv({ allErrors: false, strict: false }).compile(WorkloadProfileSchema);

/** Checks a parsed profile, naming the field that is wrong; the SLO must be reachable. */
export function parseWorkloadProfile(value: unknown, name: string): WorkloadProfile {
  if (!validate(value))
    throw invalidArgument(`workload profile ${name}: ${describeSchemaIssue(validate.errors?.[0])}`);
  const p = value as WorkloadProfileFile;
  let cpuMillicores: number;
  try {
    cpuMillicores = parseCpu(p.cpu);
    parseMemory(p.memory);
  } catch (err) {
    throw invalidArgument(`workload profile ${name}: ${(err as Error).message}`);
  }
  if (!(cpuMillicores > 0)) throw invalidArgument(`workload profile ${name}: cpu must be above 0`);
  const podCores = cpuMillicores / 1000;
  const perPod = maxRpsWithinSlo(podCores, p.cpuSecondsPerRequest, p.baseLatencyMs, p.sloLatencyMs);
  if (!(perPod > 0))
    throw invalidArgument(
      `workload profile ${name}: a pod cannot meet a p95 of ${p.sloLatencyMs} ms with a base latency of ${p.baseLatencyMs} ms and ${p.cpuSecondsPerRequest * 1000} ms of CPU per request`,
    );
  return {
    name,
    ...(p.description ? { description: p.description } : {}),
    kneeUtilization: (perPod * p.cpuSecondsPerRequest) / podCores,
    workload: {
      cpu: p.cpu,
      memory: p.memory,
      model: {
        noiseCv: p.noiseCv ?? 0.03,
        startupDelayMs: p.startupDelayMs,
        cpuSecondsPerRequest: p.cpuSecondsPerRequest,
        baseLatencyMs: p.baseLatencyMs,
        sloLatencyMs: p.sloLatencyMs,
        sloMaxDropRatio: p.sloMaxDropRatio,
        idleCpuMillicores: p.idleCpuMillicores ?? 5,
        ...(p.memoryBaseBytes !== undefined ? { memoryBaseBytes: p.memoryBaseBytes } : {}),
        ...(p.memoryPerInflightBytes !== undefined
          ? { memoryPerInflightBytes: p.memoryPerInflightBytes }
          : {}),
      },
      verticalReplicas: p.verticalReplicas ?? 4,
    },
  };
}

/** The names of the bundled profiles. */
export function bundledProfiles(): string[] {
  return existsSync(BUNDLED_PROFILES_DIR)
    ? readdirSync(BUNDLED_PROFILES_DIR)
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.slice(0, -'.json'.length))
        .sort()
    : [];
}

/** A bundled profile by name, or a JSON file (relative to `cwd`). */
export function loadWorkloadProfile(ref: string, cwd: string): WorkloadProfile {
  const bundled = join(BUNDLED_PROFILES_DIR, `${ref}.json`);
  const isName = !ref.includes('/') && !ref.endsWith('.json');
  const file = isName ? bundled : resolve(cwd, ref);
  if (!existsSync(file))
    throw invalidArgument(
      isName
        ? `no bundled workload profile "${ref}" (bundled: ${bundledProfiles().join(', ')}); give a JSON file to use your own`
        : `workload profile ${ref} does not exist`,
    );
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw invalidArgument(`workload profile ${ref} is not JSON: ${(err as Error).message}`);
  }
  return parseWorkloadProfile(value, isName ? ref : basename(ref, '.json'));
}
