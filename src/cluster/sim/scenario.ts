/**
 * Scenarios: a simulated cluster described as data. `demo` is what `npm start` runs; users
 * can describe their own in a JSON file (`qpilot serve --scenario my.json`), validated here
 * with errors that name the offending field.
 */
import { Ajv } from 'ajv';
import { Type, type Static } from 'typebox';
import { invalidArgument } from '../../core/errors.js';
import { describeSchemaIssue } from '../../core/schemaError.js';
import type { Trace } from '../../traces/trace.js';
import type { SimCluster } from './simCluster.js';

export const DEFAULT_WARMUP_SEC = 120;

const Quantities = Type.Object(
  { cpu: Type.Optional(Type.String()), memory: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
const Labels = Type.Record(Type.String(), Type.String());

const ModelSchema = Type.Object(
  {
    traceOffsetSec: Type.Optional(Type.Number({ minimum: 0 })),
    loadScale: Type.Optional(Type.Number({ minimum: 0 })),
    loop: Type.Optional(Type.Boolean()),
    noiseCv: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    cpuSecondsPerRequest: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    idleCpuMillicores: Type.Optional(Type.Number({ minimum: 0 })),
    baseLatencyMs: Type.Optional(Type.Number({ minimum: 0 })),
    memoryBaseBytes: Type.Optional(Type.Number({ minimum: 0 })),
    memoryPerInflightBytes: Type.Optional(Type.Number({ minimum: 0 })),
    startupDelayMs: Type.Optional(Type.Number({ minimum: 0 })),
    shutdownDelayMs: Type.Optional(Type.Number({ minimum: 0 })),
    sloLatencyMs: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    sloMaxDropRatio: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  { additionalProperties: false },
);

export const ScenarioSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    seed: Type.Optional(Type.Union([Type.String(), Type.Number()])),
    warmupSec: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 86_400,
        description: `Simulated time run before the scenario is served, so that pods are Ready and metrics exist (default ${DEFAULT_WARMUP_SEC})`,
      }),
    ),
    options: Type.Optional(
      Type.Object(
        {
          tickMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 60_000 })),
          metricsResolutionMs: Type.Optional(Type.Integer({ minimum: 1000 })),
          metricsLagMs: Type.Optional(Type.Integer({ minimum: 0 })),
          inPlaceResize: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    nodes: Type.Array(
      Type.Object(
        {
          name: Type.String(),
          cpu: Type.String(),
          memory: Type.String(),
          allocatableCpu: Type.Optional(Type.String()),
          allocatableMemory: Type.Optional(Type.String()),
          maxPods: Type.Optional(Type.Integer({ minimum: 1 })),
          labels: Type.Optional(Labels),
          count: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: 10_000,
              description: 'Make this many nodes, suffixed -1, -2, …',
            }),
          ),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
    namespaces: Type.Optional(Type.Array(Type.String())),
    deployments: Type.Array(
      Type.Object(
        {
          namespace: Type.Optional(Type.String()),
          name: Type.String(),
          replicas: Type.Integer({ minimum: 0 }),
          labels: Type.Optional(Labels),
          annotations: Type.Optional(Labels),
          containers: Type.Array(
            Type.Object(
              {
                name: Type.String(),
                image: Type.Optional(Type.String()),
                requests: Type.Optional(Quantities),
                limits: Type.Optional(Quantities),
              },
              { additionalProperties: false },
            ),
            { minItems: 1 },
          ),
          trace: Type.Optional(
            Type.String({ description: 'A bundled trace name, or a trace file path' }),
          ),
          peakRps: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
          model: Type.Optional(ModelSchema),
        },
        { additionalProperties: false },
      ),
    ),
    pdbs: Type.Optional(
      Type.Array(
        Type.Object(
          {
            namespace: Type.Optional(Type.String()),
            name: Type.String(),
            matchLabels: Labels,
            minAvailable: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.String()])),
            maxUnavailable: Type.Optional(
              Type.Union([Type.Integer({ minimum: 0 }), Type.String()]),
            ),
          },
          { additionalProperties: false },
        ),
      ),
    ),
  },
  { additionalProperties: false },
);

export type Scenario = Static<typeof ScenarioSchema>;

const validate = new Ajv({ allErrors: false, strict: false }).compile(ScenarioSchema);

/** Checks a parsed scenario file, naming the first field that is wrong. */
export function parseScenario(value: unknown, source: string): Scenario {
  if (validate(value)) return value;
  throw invalidArgument(`scenario ${source}: ${describeSchemaIssue(validate.errors?.[0])}`);
}

/** Three nodes of 4 CPU and 16 GiB, three Deployments replaying the bundled public traces. */
export const DEMO_SCENARIO: Scenario = {
  name: 'demo',
  description: 'Three Deployments replaying WorldCup98, Reddit and Azure VM traffic on three nodes',
  nodes: [{ name: 'node', count: 3, cpu: '4', memory: '16Gi' }],
  deployments: [
    {
      name: 'web',
      replicas: 4,
      labels: { app: 'web', tier: 'frontend' },
      // Its service level: the simulator measures its latency, as Prometheus would.
      annotations: { 'qpilot.io/slo-latency-ms': '200' },
      containers: [
        {
          name: 'nginx',
          image: 'nginx:1.27',
          requests: { cpu: '250m', memory: '128Mi' },
          limits: { cpu: '500m', memory: '512Mi' },
        },
      ],
      trace: 'worldcup98',
      peakRps: 400,
      // 1998-06-21, in the group stage: flash crowds at every match.
      model: { traceOffsetSec: 4_502_400 },
    },
    {
      name: 'api',
      replicas: 3,
      labels: { app: 'api', tier: 'backend' },
      // Its service level: the simulator measures its latency, as Prometheus would.
      annotations: { 'qpilot.io/slo-latency-ms': '200' },
      containers: [
        {
          name: 'api',
          image: 'registry.example/api:2.3',
          requests: { cpu: '250m', memory: '256Mi' },
          limits: { cpu: '500m', memory: '512Mi' },
        },
      ],
      trace: 'reddit-2015-11',
      peakRps: 250,
    },
    {
      name: 'analytics',
      replicas: 3,
      labels: { app: 'analytics', tier: 'batch' },
      // Its service level: the simulator measures its latency, as Prometheus would.
      annotations: { 'qpilot.io/slo-latency-ms': '200' },
      containers: [
        {
          name: 'worker',
          image: 'registry.example/analytics:0.9',
          requests: { cpu: '500m', memory: '1Gi' },
          limits: { cpu: '1', memory: '2Gi' },
        },
      ],
      trace: 'azure-vm-2019-week1',
      peakRps: 150,
      model: {
        cpuSecondsPerRequest: 0.015,
        memoryBaseBytes: 512 * 2 ** 20,
        memoryPerInflightBytes: 16 * 2 ** 20,
      },
    },
  ],
};

/** Loads every trace the scenario names, rescaled to its Deployment's peak, keyed by Deployment. */
export async function loadScenarioTraces(
  scenario: Scenario,
  loadTrace: (ref: string) => Promise<Trace>,
): Promise<Map<string, Trace>> {
  const traces = new Map<string, Trace>();
  for (const d of scenario.deployments) {
    if (!d.trace) continue;
    const trace = await loadTrace(d.trace);
    traces.set(
      `${d.namespace ?? 'default'}/${d.name}`,
      d.peakRps !== undefined ? trace.scaledToPeak(d.peakRps) : trace,
    );
  }
  return traces;
}

/**
 * Creates the scenario's nodes, namespaces, Deployments and budgets in `sim`, all at the
 * same instant (traces are loaded beforehand, so that no simulated time passes in between).
 */
export function buildScenario(
  sim: SimCluster,
  scenario: Scenario,
  traces: ReadonlyMap<string, Trace>,
): void {
  for (const node of scenario.nodes) {
    const { count, ...spec } = node;
    if (count === undefined) sim.addNode(spec);
    else for (let i = 1; i <= count; i++) sim.addNode({ ...spec, name: `${spec.name}-${i}` });
  }
  for (const ns of scenario.namespaces ?? []) sim.createNamespace(ns);
  for (const d of scenario.deployments) {
    const { trace: _ref, peakRps: _peak, model, ...spec } = d;
    const trace = traces.get(`${d.namespace ?? 'default'}/${d.name}`);
    sim.createDeployment({ ...spec, model: { ...model, ...(trace ? { trace } : {}) } });
  }
  for (const pdb of scenario.pdbs ?? []) sim.createPdb(pdb);
}
