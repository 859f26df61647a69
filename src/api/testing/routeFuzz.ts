/**
 * Property-based fuzzing of one route against its own OpenAPI description: requests whose
 * path parameters, query parameters and bodies are drawn from what the schema allows, from
 * what it does not, and from the spellings of numbers a lenient parser would take (`0x10`,
 * ` 1`, `+1`, `1e1`, `.5`). Each answer is judged on its meaning, not only its status:
 *
 * - never a 5xx, never a stack trace; every 4xx has `{"success": false, "error": "..."}`;
 * - a 4xx leaves the cluster, the store and the settings as they were (no write reached them);
 * - a GET writes nothing, whatever it answers;
 * - a number written other than in decimal digits is a 400.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterClient } from '../../cluster/clusterClient.js';
import type { SimCluster } from '../../cluster/sim/simCluster.js';
import { MemoryDecisionLog } from '../../store/decisionLog.js';
import { MemoryPolicyStateStore } from '../../store/policyStates.js';
import { MemorySampleStore } from '../../store/sampleStore.js';
import { type SimApp, simApp } from './simApp.js';

/** The ClusterClient calls that change something. */
const CLUSTER_WRITES = new Set([
  'scaleWorkload',
  'resizePod',
  'updateWorkloadResources',
  'evictPod',
  'deletePod',
  'cordonNode',
  'uncordonNode',
  'drainNode',
  'label',
  'recordEvent',
]);
const STORE_WRITES = new Set(['append', 'appendMany', 'settle', 'discard', 'prune', 'save']);

/**
 * Counts calls to `writes` on `target`, through a Proxy that is otherwise the target; the
 * views a store gives of one cluster (`forCluster`) are counted too.
 */
function counting<T extends object>(target: T, writes: Set<string>, count: () => void): T {
  return new Proxy(target, {
    get(obj, key, receiver) {
      const value: unknown = Reflect.get(obj, key, receiver);
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (key === 'forCluster')
        return (...args: unknown[]) => counting(fn.apply(obj, args) as object, writes, count);
      return typeof key === 'string' && writes.has(key)
        ? (...args: unknown[]) => {
            count();
            return fn.apply(obj, args);
          }
        : fn.bind(obj);
    },
  });
}

/** The one cluster of the fuzzed app's fleet. */
const FLEET_MEMBER = 'east';

export interface FuzzApp {
  t: SimApp;
  writes: { cluster: number; store: number };
  pods: string[];
  spec: OpenApi;
}

interface ParamSchema {
  type?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  enum?: unknown[];
  pattern?: string;
  maxLength?: number;
}
interface Parameter {
  in: 'path' | 'query';
  name: string;
  schema: ParamSchema;
}
interface OpenApi {
  paths: Record<
    string,
    Record<
      string,
      { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: unknown }> } }
    >
  >;
}

export async function fuzzApp(): Promise<FuzzApp> {
  const writes = { cluster: 0, store: 0 };
  const toCluster = () => writes.cluster++;
  const toStore = () => writes.store++;
  const t = await simApp({
    // Every request is judged on its own merits, not on the rate limit.
    config: { rateLimitPerMin: 100_000_000 },
    // The fleet's copies of the cluster routes are fuzzed too, on a member of this id.
    fleetMember: FLEET_MEMBER,
    cluster: (sim: SimCluster) => counting<ClusterClient>(sim, CLUSTER_WRITES, toCluster),
    store: {
      decisions: counting(new MemoryDecisionLog(), STORE_WRITES, toStore),
      samples: counting(new MemorySampleStore(), STORE_WRITES, toStore),
      policyStates: counting(new MemoryPolicyStateStore(), STORE_WRITES, toStore),
    },
  });
  const pods = (await t.sim.listPods({ namespace: 'default' })).items.map((p) => p.metadata!.name!);
  const spec = (await t.app.inject('/docs/json')).json<OpenApi>();
  return { t, writes, pods, spec };
}

/** Spellings of numbers that only a lenient parser reads as one. */
export const NOT_DECIMAL = [
  '',
  ' ',
  '%20',
  '%09',
  '%0A',
  '%C2%A0',
  '0x10',
  '0o7',
  '0b11',
  '.5e1',
  '1e1',
  '%2B1',
  '+1',
  '1%20',
  '%201',
  '1_000',
  'Infinity',
  'NaN',
  '1,5',
  '%D9%A1', // an Arabic-Indic one
  '１', // a full-width one
  '0.5.5',
  '--1',
];

const JUNK = [
  '',
  'web',
  'default',
  'prod',
  'Bad_Name',
  '..%2F..%2Fetc%2Fpasswd',
  '%00',
  'null',
  'true',
  'false',
  '-1',
  '0',
  '1e309',
  '__proto__',
  'constructor',
  '%F0%9F%92%A5',
  'a'.repeat(64),
  'a'.repeat(300),
  "'%3B%20DROP%20TABLE%20decisions%3B%20--",
  'json',
  'csv',
];

interface Drawn {
  text: string;
  /** The value is a number spelt other than in decimal digits: the request must be a 400. */
  notDecimal: boolean;
}

/** A value for a parameter: valid by its schema, a lenient number, or junk. */
function valueArb(p: Parameter, pods: string[]): fc.Arbitrary<Drawn> {
  const s = p.schema;
  const plain = (a: fc.Arbitrary<string>) => a.map((text) => ({ text, notDecimal: false }));
  const numeric = s.type === 'integer' || s.type === 'number';
  const choices: fc.Arbitrary<Drawn>[] = [plain(fc.constantFrom(...JUNK))];
  if (numeric) {
    const lo = Math.max(-5, Math.ceil(s.minimum ?? s.exclusiveMinimum ?? 0) - 2);
    const hi = Math.min(s.maximum ?? 100_000, 100_000) + 2;
    choices.push(
      plain(fc.integer({ min: lo, max: hi }).map(String)),
      plain(fc.integer({ min: lo, max: Math.min(hi, lo + 20) }).map(String)),
      fc.constantFrom(...NOT_DECIMAL).map((text) => ({ text, notDecimal: true })),
      fc
        .integer({ min: 1, max: 99 })
        .chain((n) =>
          fc
            .constantFrom(`0x${n.toString(16)}`, `${n}e0`, `%2B${n}`, `%20${n}`, `${n}%20`)
            .map((text) => ({ text, notDecimal: true })),
        ),
    );
    if (s.type === 'number') choices.push(plain(fc.constantFrom('0.5', '12.25', '200')));
  } else if (s.type === 'boolean') {
    choices.push(plain(fc.constantFrom('true', 'false', 'yes', '1', 'TRUE')));
  } else if (s.enum) {
    choices.push(plain(fc.constantFrom(...s.enum.map(String))));
  } else {
    if (p.name === 'pod') choices.push(plain(fc.constantFrom(...pods)));
    if (p.name === 'namespace') choices.push(plain(fc.constant('default')));
    if (p.name === 'cluster') choices.push(plain(fc.constant(FLEET_MEMBER)));
    choices.push(
      plain(fc.constantFrom('default', 'web', 'prod', 'api', 'node-1', 'run-1', ...pods)),
      plain(fc.stringMatching(/^[a-z0-9]{1,12}$/)),
      plain(fc.string({ maxLength: 20 }).map(encodeURIComponent)),
    );
  }
  return fc.oneof(...choices);
}

/** Bodies: of the route's shape when it has fields, random JSON, or not JSON at all. */
function bodyArb(pods: string[]): fc.Arbitrary<{ payload: string; notJson: boolean }> {
  const quantity = fc.constantFrom(
    ...['100m', '200m', '250m', '0.5', '1', '0', ' 100m', '64Mi', '128Mi', '200Mi', '1Gi', 'x', ''],
  );
  const keyed = fc.dictionary(
    fc.constantFrom(
      'dry_run',
      'auto_scale_enabled',
      'auto_scale_interval',
      'scaling_cooldown',
      'namespaces',
      'excluded_deployments',
      'excluded_labels',
      'action',
      'series',
      'interval_ms',
      'namespace',
      'deployment',
      'containers',
      'policy',
      '__proto__',
    ),
    fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom('start', 'stop', 'run-1', 'default', 'web', true, false, 30, 0, -1),
      fc.dictionary(
        fc.constantFrom('nginx', 'api', ...pods.slice(0, 1)),
        fc.record(
          { requests: fc.record({ cpu: quantity, memory: quantity }, { requiredKeys: [] }) },
          { requiredKeys: [] },
        ),
      ),
    ),
    { maxKeys: 4 },
  );
  // The shapes the routes take, so that some requests get past validation to the handlers.
  const shaped = fc.oneof(
    fc.record({
      containers: fc.dictionary(
        fc.constantFrom('nginx', 'api', 'ghost'),
        fc.record(
          {
            requests: fc.record({ cpu: quantity, memory: quantity }, { requiredKeys: [] }),
            limits: fc.record({ cpu: quantity, memory: quantity }, { requiredKeys: [] }),
          },
          { requiredKeys: [] },
        ),
        { minKeys: 1, maxKeys: 2 },
      ),
    }),
    fc.record(
      {
        action: fc.constantFrom('start', 'stop', 'pause'),
        series: fc.constantFrom('run-1', 'run-2', 'bad name', ''),
        interval_ms: fc.constantFrom(200, 50, 49, 60_000, 0.5, '200'),
      },
      { requiredKeys: ['action'] },
    ),
    fc.record(
      {
        dry_run: fc.constantFrom(true, false, 'yes'),
        auto_scale_interval: fc.constantFrom(30, 10, 0, -5, 1e9, '30'),
        scaling_cooldown: fc.constantFrom(5, 0, -1, 1.5),
      },
      { requiredKeys: [] },
    ),
  );
  return fc.oneof(
    { weight: 3, arbitrary: shaped.map((b) => ({ payload: JSON.stringify(b), notJson: false })) },
    { weight: 4, arbitrary: keyed.map((b) => ({ payload: JSON.stringify(b), notJson: false })) },
    {
      weight: 2,
      arbitrary: fc.jsonValue({ maxDepth: 3 }).map((b) => ({
        payload: JSON.stringify(b),
        notJson: false,
      })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('{', 'nul', '[1,', '"', '{"a":}', '\u0000', '{"dry_run": tru}')
        .map((payload) => ({ payload, notJson: true })),
    },
  );
}

export interface FuzzRequest {
  method: 'GET' | 'POST';
  url: string;
  payload?: string;
  notDecimal: string[];
}

/** Requests to one route (`GET /decisions/:id`), drawn from its OpenAPI parameters. */
export function requestArb(
  endpoint: string,
  spec: OpenApi,
  pods: string[],
): fc.Arbitrary<FuzzRequest> {
  const [method, path] = endpoint.split(' ') as ['GET' | 'POST', string];
  const openApiPath = path.replace(/:([a-z_]+)/g, '{$1}');
  const operation = spec.paths[openApiPath]?.[method.toLowerCase()];
  if (!operation) throw new Error(`${endpoint} is not in the OpenAPI document`);
  const params = operation.parameters ?? [];
  const inPath = params.filter((p) => p.in === 'path');
  const inQuery = params.filter((p) => p.in === 'query');
  const pathArb = fc.tuple(...inPath.map((p) => valueArb(p, pods)));
  const queryArb = fc.array(
    fc.oneof(
      ...inQuery.map((p) => valueArb(p, pods).map((v) => ({ name: p.name, ...v }))),
      fc
        .constantFrom('limit', 'color', 'duration', 'connections', 'labelSelector')
        .map((name) => ({ name, text: '1', notDecimal: false })),
    ),
    { maxLength: inQuery.length > 0 ? 3 : 1 },
  );
  const body = method === 'POST' ? bodyArb(pods) : fc.constant(undefined);
  return fc.tuple(pathArb, queryArb, body).map(([values, query, b]) => {
    let i = 0;
    const url =
      path.replace(/:([a-z_]+)/g, () => values[i++]!.text || 'x') +
      (query.length ? `?${query.map((q) => `${q.name}=${q.text}`).join('&')}` : '');
    const notDecimal = [
      ...inPath
        .filter((_p, k) => values[k]!.notDecimal && values[k]!.text !== '')
        .map((p) => p.name),
      ...query.filter((q) => q.notDecimal).map((q) => q.name),
    ];
    return { method, url, ...(b ? { payload: b.payload } : {}), notDecimal };
  });
}

const tick = () => new Promise<void>((r) => setImmediate(r));

function errorOf(res: { json(): unknown }): string {
  try {
    const e = (res.json() as { error?: unknown }).error;
    return typeof e === 'string' ? e : '';
  } catch {
    return '';
  }
}

/**
 * Sends `runs` requests to `endpoint` and checks every answer's meaning; the failures, at
 * most 10, each with the request that caused it, and the statuses seen.
 */
export async function fuzzRoute(
  f: FuzzApp,
  endpoint: string,
  runs: number,
): Promise<{ failures: string[]; statuses: Record<number, number>; wrote: number }> {
  const failures: string[] = [];
  const statuses: Record<number, number> = {};
  /** Requests that wrote to the cluster or the store: proof that the counting sees writes. */
  let wrote = 0;
  const settings = () => JSON.stringify([f.t.scaling.settings(), f.t.member?.scaling.settings()]);
  await fc.assert(
    fc.asyncProperty(requestArb(endpoint, f.spec, f.pods), async (req) => {
      // Ten failures say enough; the remaining runs are skipped.
      if (failures.length >= 10) return;
      // Whatever an earlier request started (a loop cycle, a rollout check) has settled.
      for (let k = 0; k < 3; k++) await tick();
      f.writes.cluster = 0;
      f.writes.store = 0;
      const before = settings();
      const pending = f.t.app.inject({
        method: req.method,
        url: req.url,
        ...(req.payload !== undefined
          ? { payload: req.payload, headers: { 'content-type': 'application/json' } }
          : {}),
      });
      // `?wait=true` answers once a rollout settles: simulated time moves on until it has.
      let answered = false;
      void pending.finally(() => (answered = true));
      for (let k = 0; !answered && k < 1_000; k++) {
        await tick();
        if (answered || k < 5) continue;
        // As qpilot's actuator loop would: look at the rollouts, then let a second pass.
        await f.t.scaling.actuator.poll();
        await f.t.member?.scaling.actuator.poll();
        f.t.advance(1_000);
      }
      if (!answered) {
        if (failures.length < 10)
          failures.push(`${req.method} ${req.url}: no answer after 1,000 simulated seconds`);
        return;
      }
      const res = await pending;
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
      const what = `${req.method} ${req.url}${req.payload ? ` ${req.payload.slice(0, 120)}` : ''} -> ${res.statusCode}`;
      const fail = (why: string) => {
        if (failures.length < 10) failures.push(`${what}: ${why} ${res.body.slice(0, 160)}`);
      };
      if (res.statusCode >= 500 || res.statusCode < 200) fail('not a 2xx or 4xx');
      if (res.statusCode >= 400) {
        let body: { success?: unknown; error?: unknown } = {};
        try {
          body = res.json();
        } catch {
          fail('not JSON');
        }
        if (body.success !== false || typeof body.error !== 'string' || body.error === '')
          fail('no {"success": false, "error": ...}');
        if (typeof body.error === 'string' && /\n\s+at /.test(body.error)) fail('a stack trace');
        if (f.writes.cluster > 0) fail(`${f.writes.cluster} cluster write(s) on a 4xx`);
        if (f.writes.store > 0) fail(`${f.writes.store} store write(s) on a 4xx`);
        if (settings() !== before) fail('settings changed on a 4xx');
      }
      if (f.writes.cluster > 0 || f.writes.store > 0) wrote++;
      if (req.method === 'GET' && (f.writes.cluster > 0 || f.writes.store > 0))
        fail('a GET wrote something');
      // A request no route takes (another segment was `.` or `..`, which the URL resolves
      // away) never reached the number; any other answer must be the 400.
      const unrouted = res.statusCode === 404 && /^route \S+ \S+ not found$/.test(errorOf(res));
      if (req.notDecimal.length > 0 && res.statusCode !== 400 && !unrouted)
        fail(`${req.notDecimal.join(', ')} is not a decimal number, yet no 400`);
    }),
    { numRuns: runs, seed: 1, endOnFailure: true },
  );
  return { failures, statuses, wrote };
}

/** Requests per route in the suites: the issue's floor. */
export const RUNS_PER_ROUTE = 10_000;

/**
 * Registers a suite that fuzzes every route of `method` the server lists in `GET /`, each with
 * RUNS_PER_ROUTE requests; `more` adds checks of a route's own.
 */
export async function describeRouteFuzz(
  method: 'GET' | 'POST',
  more?: (endpoint: string, result: Awaited<ReturnType<typeof fuzzRoute>>) => void,
): Promise<void> {
  const listing = await fuzzApp();
  const endpoints = Object.keys(
    (await listing.t.app.inject('/')).json<{ endpoints: Record<string, string> }>().endpoints,
  ).filter((e) => e.startsWith(`${method} `));
  await listing.t.scaling.close();
  await listing.t.member?.scaling.close();
  await listing.t.app.close();

  let f: FuzzApp;
  beforeAll(async () => {
    f = await fuzzApp();
  });
  afterAll(async () => {
    await f.t.scaling.close();
    await f.t.member?.scaling.close();
    await f.t.app.close();
  });
  describe(`${method} routes, fuzzed`, () => {
    it('are all here', () => {
      expect(endpoints.length).toBeGreaterThan(10);
    });
    it.each(endpoints)(
      '%s',
      async (endpoint) => {
        const result = await fuzzRoute(f, endpoint, RUNS_PER_ROUTE);
        expect(result.failures).toEqual([]);
        expect(Object.values(result.statuses).reduce((a, b) => a + b, 0)).toBe(RUNS_PER_ROUTE);
        more?.(endpoint, result);
      },
      120_000,
    );
  });
}
