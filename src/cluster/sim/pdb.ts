/**
 * PodDisruptionBudget arithmetic as the disruption controller does it: how many matching
 * pods are healthy, how many must stay healthy, and so how many may be evicted now.
 */
import { parseLabelSelector } from '../selectors.js';
import type { DeploymentState, PdbState, PodState } from './state.js';
import { isActive } from './state.js';

export interface PdbStatus {
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  disruptionsAllowed: number;
}

function resolve(value: number | string, of: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const pct = Number(value.replace('%', '')) / 100;
  return roundUp ? Math.ceil(pct * of) : Math.floor(pct * of);
}

export function pdbMatches(pdb: PdbState, pod: PodState): boolean {
  if (pod.namespace !== pdb.namespace) return false;
  for (const [k, v] of Object.entries(pdb.matchLabels)) if (pod.labels[k] !== v) return false;
  return true;
}

export function pdbStatus(
  pdb: PdbState,
  pods: Iterable<PodState>,
  deployments: Iterable<DeploymentState>,
): PdbStatus {
  let currentHealthy = 0;
  let matching = 0;
  for (const pod of pods) {
    if (!pdbMatches(pdb, pod) || !isActive(pod)) continue;
    matching++;
    if (pod.ready) currentHealthy++;
  }
  // The expected count is the scale of the controllers whose pods the budget selects.
  let expectedPods = 0;
  let controlled = false;
  const select = parseLabelSelector(
    Object.entries(pdb.matchLabels)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
  );
  for (const dep of deployments) {
    if (dep.namespace === pdb.namespace && select(dep.podLabels)) {
      expectedPods += dep.replicas;
      controlled = true;
    }
  }
  if (!controlled) expectedPods = matching;
  let desiredHealthy: number;
  if (pdb.minAvailable !== undefined)
    desiredHealthy = resolve(pdb.minAvailable, expectedPods, true);
  else if (pdb.maxUnavailable !== undefined)
    desiredHealthy = Math.max(0, expectedPods - resolve(pdb.maxUnavailable, expectedPods, true));
  else desiredHealthy = 0;
  return {
    currentHealthy,
    desiredHealthy,
    expectedPods,
    disruptionsAllowed: Math.max(0, currentHealthy - desiredHealthy),
  };
}
