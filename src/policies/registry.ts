/**
 * The explicit policy registry (STYLE.md, after KEDA's scaler switch): a policy spec names a
 * policy and its configuration — `hpa`, `hpa:80`, `vpa`, `static:5`, `oracle`, `dqn`,
 * `dqn:path/to/model`, `dqn-vertical` — and `createPolicy` builds it. Unknown names are refused
 * with the list of known ones.
 */
import { invalidArgument } from '../core/errors.js';
import type { LoadedModel } from '../rl/modelFiles.js';
import { DqnPolicy } from './dqn/dqnPolicy.js';
import { DqnVerticalPolicy } from './dqnVertical/dqnVerticalPolicy.js';
import { type FallbackEvent, withFallback } from './guardrails.js';
import { HpaPolicy } from './hpa/hpa.js';
import { type OracleForecast, type OracleModel, OraclePolicy } from './oracle/oracle.js';
import { StaticPolicy } from './static/static.js';
import type { ScalingPolicy } from './types.js';
import { VpaPolicy } from './vpa/vpa.js';

export const POLICY_NAMES = ['dqn', 'dqn-vertical', 'hpa', 'oracle', 'static', 'vpa'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export interface PolicySpec {
  name: PolicyName;
  /** What follows the colon: a target for hpa, replicas for static, a model directory for dqn. */
  arg?: string;
}

export function parsePolicySpec(text: string): PolicySpec {
  const [name, ...rest] = text.trim().split(':');
  const arg = rest.length ? rest.join(':') : undefined;
  if (!(POLICY_NAMES as readonly string[]).includes(name ?? '')) {
    throw invalidArgument(`unknown policy "${name}": one of ${POLICY_NAMES.join(', ')}`);
  }
  return { name: name as PolicyName, arg };
}

export interface PolicyContext {
  /** Loads (once) the model of a learned policy; a missing or bad model is an error. */
  loadModel(policy: 'dqn' | 'dqn-vertical', dir?: string): Promise<LoadedModel>;
  /** Evaluation only. */
  oracle?: { forecast(): OracleForecast; model: OracleModel };
  /** Told each time a learned policy fails and its baseline decides instead. */
  onFallback?: (e: FallbackEvent) => void;
}

export function policyKind(spec: PolicySpec): 'horizontal' | 'vertical' {
  return spec.name === 'vpa' || spec.name === 'dqn-vertical' ? 'vertical' : 'horizontal';
}

/**
 * Whether the policy, in evaluation, decides every interval even while a change rolls out.
 * The baselines stand for what users run today — the HPA and VPA controllers, which never
 * wait on a rollout, a fixed count, the oracle — so they do; qpilot's own policies run in
 * qpilot's loop, which leaves a workload alone until its change has rolled out.
 */
export function decidesWhileRollingOut(spec: PolicySpec): boolean {
  return spec.name !== 'dqn' && spec.name !== 'dqn-vertical';
}

/** A readable label: the name, with its argument when it changes behaviour. */
export function policyLabel(spec: PolicySpec): string {
  return spec.arg !== undefined && spec.name !== 'dqn' && spec.name !== 'dqn-vertical'
    ? `${spec.name}-${spec.arg}`
    : spec.name;
}

export async function createPolicy(spec: PolicySpec, ctx: PolicyContext): Promise<ScalingPolicy> {
  switch (spec.name) {
    // A learned policy that throws or answers non-finite values hands over to its baseline:
    // the HPA for replicas, the VPA recommender for resources.
    case 'dqn':
      return withFallback(
        new DqnPolicy(await ctx.loadModel('dqn', spec.arg)),
        new HpaPolicy(),
        ctx.onFallback,
      );
    case 'dqn-vertical':
      return withFallback(
        new DqnVerticalPolicy(await ctx.loadModel('dqn-vertical', spec.arg)),
        new VpaPolicy(),
        ctx.onFallback,
      );
    case 'hpa': {
      const target = spec.arg === undefined ? 70 : Number(spec.arg);
      if (!Number.isInteger(target) || target < 1 || target > 1000)
        throw invalidArgument(`hpa target must be a whole percentage, got "${spec.arg}"`);
      return new HpaPolicy(
        { targetCpuUtilization: target },
        spec.arg === undefined ? 'hpa' : `hpa-${target}`,
      );
    }
    case 'oracle':
      if (!ctx.oracle)
        throw invalidArgument('the oracle knows the future: it exists only in evaluation');
      return new OraclePolicy(ctx.oracle.forecast(), ctx.oracle.model);
    case 'static': {
      const replicas = Number(spec.arg);
      if (spec.arg === undefined || !Number.isInteger(replicas) || replicas < 0)
        throw invalidArgument('static needs a replica count, like static:4');
      return new StaticPolicy(replicas);
    }
    case 'vpa':
      return new VpaPolicy();
  }
}
