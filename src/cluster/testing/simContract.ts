/**
 * The simulator as the ClusterClient contract's fixture: three nodes, a namespace of its own,
 * Deployments and PDBs made through the simulator's back door, and cluster time driven by a
 * manual clock. Whatever client the contract judges (the simulator itself, or AgentCluster in
 * front of it) is given by the caller.
 */
import { ManualClock } from '../../core/clock.js';
import { SimCluster } from '../sim/simCluster.js';
import type { ContractHarness } from './contract.js';

export interface SimContract {
  sim: SimCluster;
  clock: ManualClock;
  fixture: Omit<ContractHarness, 'client' | 'dispose'>;
}

export function simContract(): SimContract {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const sim = new SimCluster(clock, { seed: 'contract' });
  const nodes = ['node-a', 'node-b', 'node-c'];
  for (const name of nodes) sim.addNode({ name, cpu: '4', memory: '16Gi' });
  const namespace = 'contract';
  sim.createNamespace(namespace);
  return {
    sim,
    clock,
    fixture: {
      namespace,
      nodes,
      createDeployment: (spec) => {
        sim.createDeployment({
          namespace,
          name: spec.name,
          replicas: spec.replicas,
          labels: spec.labels,
          annotations: spec.annotations,
          containers: [
            {
              name: 'app',
              requests: { cpu: spec.cpuRequest, memory: spec.memoryRequest },
              limits: { cpu: spec.cpuLimit, memory: spec.memoryLimit },
            },
          ],
        });
        return Promise.resolve();
      },
      createPdb: (spec) => {
        sim.createPdb({ namespace, ...spec });
        return Promise.resolve();
      },
      settle: (p) => clock.settle(p),
      elapse: (ms) => {
        clock.advance(ms);
        sim.sync();
        return Promise.resolve();
      },
      metricsDelayMs: 60_000,
      readyTimeoutMs: 120_000,
    },
  };
}
