import { untilSettled } from './testing/untilSettled.js';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import type {
  DecisionRecord,
  HorizontalDecision,
  NewDecisionRecord,
  VerticalDecision,
} from '../core/decision.js';
import { QpError, isQpError } from '../core/errors.js';
import { MemoryDecisionLog } from '../store/decisionLog.js';
import { Actuator } from './actuator.js';
import { SimCluster } from './sim/simCluster.js';
import { RecordingCluster } from './testing/recordingCluster.js';

const MiB = 2 ** 20;
const metrics = {
  cpuUsageMillicores: 100,
  memoryUsageBytes: 64 * MiB,
  cpuLimitMillicores: 500,
  memoryLimitBytes: 256 * MiB,
};

function setup(options: { inPlaceResize?: boolean; log?: MemoryDecisionLog } = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const sim = new SimCluster(clock, {
    seed: 'actuator',
    inPlaceResize: options.inPlaceResize ?? true,
  });
  sim.addNode({ name: 'n1', cpu: '16', memory: '64Gi' });
  sim.createDeployment({
    name: 'web',
    replicas: 2,
    containers: [
      {
        name: 'app',
        requests: { cpu: '500m', memory: '256Mi' },
        limits: { cpu: '1', memory: '512Mi' },
      },
    ],
    model: { startupDelayMs: 30_000 },
  });
  clock.advance(60_000);
  sim.sync();
  const rec = new RecordingCluster(sim);
  const log = options.log ?? new MemoryDecisionLog();
  const settled: DecisionRecord[] = [];
  const actuator = new Actuator({
    cluster: rec.client,
    clock,
    journal: log,
    verifyTimeoutMs: 120_000,
    observer: { settled: (r) => settled.push(r) },
  });
  const until = <T>(p: Promise<T>): Promise<T> => untilSettled(clock, actuator, p);
  return { clock, sim, rec, log, actuator, until, settled };
}

const scale = (current: number, desired: number, policy = 'dqn'): HorizontalDecision => ({
  policy,
  kind: 'horizontal',
  namespace: 'default',
  name: 'web',
  timeMs: 0,
  replicas: { current, desired },
  canScale: true,
  explanation: { reasoning: 'test', factors: [] },
});

describe('Actuator', () => {
  it('records the decision as pending before it touches the cluster, then tracks the rollout', async () => {
    const t = setup();
    const seen: { outcome: string; replicas: number | undefined }[] = [];
    const append = t.log.append.bind(t.log);
    t.log.append = async (r: NewDecisionRecord) => {
      seen.push({
        outcome: r.outcome,
        replicas: (await t.sim.getWorkload('default', 'web')).spec?.replicas,
      });
      return append(r);
    };
    const applied = await t.actuator.apply(scale(2, 4), { metrics });
    // The pending record was written while the Deployment still had 2 replicas.
    expect(seen).toEqual([{ outcome: 'pending', replicas: 2 }]);
    expect(applied.record).toMatchObject({
      outcome: 'in_progress',
      message: 'scaled web from 2 to 4 replicas; verifying',
    });
    expect((await t.sim.getWorkload('default', 'web')).spec?.replicas).toBe(4);
    // Nothing waited for the rollout: the clock has not moved.
    expect(t.actuator.changeInFlight('default', 'web')).toMatchObject({
      decisionId: applied.record.id,
    });
    const final = await t.until(applied.done);
    expect(final.outcome).toBe('applied');
    expect(final.message).toMatch(/^scaled web from 2 to 4 replicas; done after 3\d s$/);
    expect(await t.log.get(applied.record.id)).toMatchObject({ outcome: 'applied' });
    expect(t.actuator.changeInFlight('default', 'web')).toBeUndefined();
    expect(t.sim.events.map((e) => [e.event.type, e.event.reason])).toEqual([
      ['Normal', 'QpilotScaled'],
    ]);
    expect(t.settled.map((r) => r.outcome)).toEqual(['applied']);
  });

  it('changes nothing when the decision cannot be recorded, and says retrying is safe', async () => {
    const t = setup();
    t.log.append = () => Promise.reject(new Error('SQLITE_FULL: database or disk is full'));
    const err: unknown = await t.actuator.apply(scale(2, 4), { metrics }).catch((e: unknown) => e);
    expect(isQpError(err, 'QP_ERR_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toMatch(/nothing was changed; retrying is safe$/);
    expect(t.rec.callsTo('scaleWorkload')).toEqual([]);
    expect((await t.sim.getWorkload('default', 'web')).spec?.replicas).toBe(2);
    expect(t.sim.events).toEqual([]);
  });

  it('records a refused change as failed, or leaves no record of an operator’s bad request', async () => {
    const t = setup();
    t.rec.nextError('scaleWorkload', new QpError('QP_ERR_FORBIDDEN', 'RBAC says no'));
    await expect(t.actuator.apply(scale(2, 4), { metrics })).rejects.toThrow('RBAC says no');
    expect((await t.log.recent(5)).map((r) => [r.outcome, r.message])).toEqual([
      ['failed', 'scale web from 2 to 4 replicas failed: RBAC says no'],
    ]);
    t.rec.nextError('scaleWorkload', new QpError('QP_ERR_CONFLICT', 'the object changed'));
    await expect(
      t.actuator.apply(scale(2, 3, 'manual'), { metrics, forgetRefusals: true }),
    ).rejects.toThrow('the object changed');
    expect(await t.log.recent(5)).toHaveLength(1);
  });

  it('settles a rollout that does not finish in time as unverified, with a Warning', async () => {
    const t = setup();
    t.sim.setFailNewPods('default', 'web', 'ImagePullBackOff');
    const applied = await t.actuator.apply(scale(2, 3), { metrics });
    const final = await t.until(applied.done);
    expect(final.outcome).toBe('unverified');
    expect(final.message).toMatch(/not confirmed after 120 s: 2\/3 pods ready/);
    expect(t.sim.events.map((e) => e.event.reason)).toEqual(['QpilotScaled', 'QpilotUnverified']);
  });

  it('lets a later change supersede one still rolling out, and notices a change made by others', async () => {
    const t = setup();
    const first = await t.actuator.apply(scale(2, 4, 'manual'), { metrics });
    const second = await t.actuator.apply(scale(4, 5, 'manual'), { metrics });
    expect(await first.done).toMatchObject({
      outcome: 'superseded',
      message: `superseded by decision #${second.record.id}`,
    });
    await t.sim.scaleWorkload('default', 'web', 1);
    expect(await t.until(second.done)).toMatchObject({
      outcome: 'superseded',
      message: 'spec.replicas became 1 (changed by someone else)',
    });
  });

  it('tracks a resize and a scale of one workload side by side: neither undoes the other', async () => {
    const t = setup();
    const pod = (await t.sim.listPods({ namespace: 'default' })).items[0]!.metadata!.name!;
    const resize = await t.actuator.apply(
      {
        policy: 'manual',
        kind: 'vertical',
        namespace: 'default',
        name: 'web',
        timeMs: 0,
        cpuMillicores: { current: 500, desired: 400 },
        memoryBytes: { current: 256 * MiB, desired: 256 * MiB },
        containers: [
          {
            name: 'app',
            requests: { cpuMillicores: 400, memoryBytes: 256 * MiB },
            limits: { cpuMillicores: 1000, memoryBytes: 512 * MiB },
          },
        ],
        pod,
        templateFallback: false,
        canScale: true,
        explanation: { reasoning: 'test', factors: [] },
      },
      { metrics, pod },
    );
    const scaled = await t.actuator.apply(scale(2, 3, 'manual'), { metrics });
    const [a, b] = await t.until(Promise.all([resize.done, scaled.done]));
    expect([a.outcome, b.outcome]).toEqual(['applied', 'applied']);
  });

  it('makes one change to a workload at a time', async () => {
    const t = setup();
    await Promise.all([
      t.actuator.apply(scale(2, 3), { metrics }),
      t.actuator.apply(scale(3, 4), { metrics }),
    ]);
    // Each scale was preceded by its own pending record, never interleaved.
    expect(t.rec.callsTo('scaleWorkload').map((a) => a[2])).toEqual([3, 4]);
    const outcomes = (await t.log.recent(5)).map((r) => r.outcome).reverse();
    expect(outcomes).toEqual(['superseded', 'in_progress']);
  });

  it('resizes every running pod in place, and verifies it', async () => {
    const t = setup();
    const containers = [
      {
        name: 'app',
        requests: { cpuMillicores: 600, memoryBytes: 300 * MiB },
        limits: { cpuMillicores: 1200, memoryBytes: 600 * MiB },
      },
    ];
    const d: VerticalDecision = {
      policy: 'vpa',
      kind: 'vertical',
      namespace: 'default',
      name: 'web',
      timeMs: 0,
      cpuMillicores: { current: 500, desired: 600 },
      memoryBytes: { current: 256 * MiB, desired: 300 * MiB },
      containers,
      templateFallback: true,
      canScale: true,
      explanation: { reasoning: 'test', factors: [] },
    };
    const applied = await t.actuator.apply(d, { metrics });
    expect(applied.resize).toEqual({ method: 'in_place' });
    const pods = (await t.sim.listPods({ namespace: 'default' })).items;
    expect(pods.map((p) => p.spec?.containers[0]?.resources)).toEqual([
      { requests: { cpu: '600m', memory: '300Mi' }, limits: { cpu: '1200m', memory: '600Mi' } },
      { requests: { cpu: '600m', memory: '300Mi' }, limits: { cpu: '1200m', memory: '600Mi' } },
    ]);
    expect((await t.until(applied.done)).outcome).toBe('applied');
    expect(t.sim.events.map((e) => e.event.reason)).toEqual(['QpilotResized']);
  });

  it('falls back to the template where pods cannot be resized in place, and waits for the rollout', async () => {
    const t = setup({ inPlaceResize: false });
    const d: VerticalDecision = {
      policy: 'vpa',
      kind: 'vertical',
      namespace: 'default',
      name: 'web',
      timeMs: 0,
      cpuMillicores: { current: 500, desired: 250 },
      memoryBytes: { current: 256 * MiB, desired: 256 * MiB },
      containers: [
        {
          name: 'app',
          requests: { cpuMillicores: 250, memoryBytes: 256 * MiB },
          limits: { cpuMillicores: 500, memoryBytes: 512 * MiB },
        },
      ],
      templateFallback: true,
      canScale: true,
      explanation: { reasoning: 'test', factors: [] },
    };
    const applied = await t.actuator.apply(d, { metrics });
    expect(applied.resize?.method).toBe('template');
    expect(t.rec.callsTo('resizePod')).toHaveLength(1);
    const final = await t.until(applied.done);
    expect(final.outcome).toBe('applied');
    // New pods, each made from the new template.
    expect(
      (await t.sim.listPods({ namespace: 'default' })).items
        .filter((p) => !p.metadata?.deletionTimestamp)
        .map((p) => p.spec?.containers[0]?.resources?.requests?.cpu),
    ).toEqual(['250m', '250m']);
  });

  it('deletes a pod and verifies it is gone', async () => {
    const t = setup();
    const pod = (await t.sim.listPods({ namespace: 'default' })).items[0]!.metadata!.name!;
    t.sim.injectPodState('default', pod, 'CrashLoopBackOff');
    const applied = await t.actuator.apply(
      {
        policy: 'manual',
        kind: 'pod_deletion',
        namespace: 'default',
        name: 'web',
        timeMs: 0,
        pod,
        podStatus: 'CrashLoopBackOff',
        canScale: true,
        explanation: { reasoning: 'unhealthy', factors: [] },
      },
      { metrics, pod },
    );
    expect(applied.record.message).toBe(`deleted pod ${pod} (CrashLoopBackOff); verifying`);
    expect((await t.until(applied.done)).message).toMatch(/; done after \d+ s$/);
    expect(t.sim.events.map((e) => e.event.reason)).toEqual(['QpilotPodDeleted']);
  });

  it('takes over what a previous run left open: made or not, never twice', async () => {
    const log = new MemoryDecisionLog();
    const t = setup({ log });
    const base = { timeMs: t.clock.now(), namespace: 'default', workload: 'web', metrics };
    // A crash between the record and the call: the cluster never saw it.
    const notMade = await log.append({
      ...base,
      decision: scale(2, 7),
      outcome: 'pending',
      message: 'about to scale',
    });
    expect(await t.actuator.resume()).toBe(0);
    expect(await log.get(notMade.id)).toMatchObject({
      outcome: 'failed',
      message:
        'qpilot stopped before making this change; nothing was changed (scale web from 2 to 7 replicas)',
    });
    // A crash after the call: the cluster shows it, so it is tracked, not made again.
    await t.sim.scaleWorkload('default', 'web', 3);
    const made = await log.append({
      ...base,
      decision: scale(2, 3),
      outcome: 'pending',
      message: 'about to scale',
    });
    t.rec.reset();
    expect(await t.actuator.resume()).toBe(1);
    expect(t.rec.callsTo('scaleWorkload')).toEqual([]);
    expect(t.actuator.changeInFlight('default', 'web')?.decisionId).toBe(made.id);
    for (let i = 0; i < 40; i++) {
      t.clock.advance(1000);
      await t.actuator.poll();
    }
    expect(await log.get(made.id)).toMatchObject({ outcome: 'applied' });
  });
});
