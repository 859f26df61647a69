/**
 * The policies `qpilot serve` decides with, built once per spec and kept: policies hold
 * per-workload history (the HPA's stabilisation window, the DQN's trend features). A learned
 * policy whose model did not load is served by its baseline (the HPA, the VPA), which /health
 * reports; a model directory named in an annotation is loaded on first use.
 */
import type { FallbackEvent } from './guardrails.js';
import { loadDqnModel } from './dqn/dqnPolicy.js';
import { loadDqnVerticalModel } from './dqnVertical/dqnVerticalPolicy.js';
import { createPolicy, type PolicyContext, type PolicySpec } from './registry.js';
import { FALLBACK_POLICY, type ServingModels } from './servingModels.js';
import type { ScalingPolicy } from './types.js';

export function servingPolicies(
  models: ServingModels | undefined,
  onFallback?: (e: FallbackEvent) => void,
): (spec: PolicySpec) => Promise<ScalingPolicy> {
  const built = new Map<string, Promise<ScalingPolicy>>();
  const ctx: PolicyContext = {
    loadModel: (policy, dir) => {
      if (dir !== undefined)
        return policy === 'dqn' ? loadDqnModel(dir) : loadDqnVerticalModel(dir);
      const state = models?.[policy];
      return state?.model
        ? Promise.resolve(state.model)
        : Promise.reject(new Error(`the ${policy} model is unavailable`));
    },
    onFallback,
  };
  const build = (spec: PolicySpec): Promise<ScalingPolicy> => {
    const name = spec.name;
    if (
      (name === 'dqn' || name === 'dqn-vertical') &&
      spec.arg === undefined &&
      !models?.[name].model
    )
      return createPolicy({ name: FALLBACK_POLICY[name] }, ctx);
    return createPolicy(spec, ctx);
  };
  return (spec) => {
    const key = `${spec.name}:${spec.arg ?? ''}`;
    let policy = built.get(key);
    if (!policy) {
      policy = build(spec);
      // A spec that fails to build (a bad model directory) is tried again next time.
      policy.catch(() => built.delete(key));
      built.set(key, policy);
    }
    return policy;
  };
}
