/** A fixed replica count: the baseline of no autoscaling at all. */
import type { HorizontalDecision } from '../../core/decision.js';
import { decisionHeader, type PolicyInput, type ScalingPolicy } from '../types.js';

export class StaticPolicy implements ScalingPolicy {
  readonly kind = 'horizontal' as const;
  readonly name: string;

  constructor(readonly replicas: number) {
    if (!Number.isInteger(replicas) || replicas < 0)
      throw new RangeError(`static replicas must be a non-negative integer, got ${replicas}`);
    this.name = `static-${replicas}`;
  }

  decide(input: PolicyInput): HorizontalDecision {
    const o = input.observation;
    return {
      ...decisionHeader(this.name, o),
      kind: 'horizontal',
      replicas: { current: o.specReplicas, desired: this.replicas },
      canScale: o.specReplicas !== this.replicas,
      explanation: { reasoning: `always ${this.replicas} replicas`, factors: ['static'] },
    };
  }
}
