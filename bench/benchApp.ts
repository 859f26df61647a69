/** qpilot's API over a simulated cluster and a given store, listening on loopback: the bench servers' `app`. */
import { buildApp } from '../src/api/app.js';
import { createSampler } from '../src/api/sampling.js';
import { SimCluster } from '../src/cluster/sim/simCluster.js';
import { DEFAULT_CONFIG } from '../src/config/config.js';
import { ScalingService } from '../src/controller/scalingService.js';
import { DEFAULT_SETTINGS } from '../src/controller/settings.js';
import type { Clock } from '../src/core/clock.js';
import { ServiceMetrics } from '../src/metrics/serviceMetrics.js';
import { servingPolicies } from '../src/policies/servingPolicies.js';
import type { DecisionLog } from '../src/store/decisionLog.js';
import type { Store } from '../src/store/openStore.js';

/** Builds and starts the app; resolves to its address. `log` defaults to the store's. */
export async function listenBenchApp(
  clock: Clock,
  store: Store,
  log: DecisionLog = store.decisions,
): Promise<string> {
  const sim = new SimCluster(clock, { seed: 'bench' });
  const metrics = new ServiceMetrics();
  const app = await buildApp({
    metrics,
    scaling: new ScalingService({
      cluster: sim,
      clock,
      settings: { ...DEFAULT_SETTINGS, autoScaleEnabled: false },
      policy: servingPolicies(undefined),
      log,
      observer: metrics.observer,
    }),
    samples: store.samples,
    store,
    sampler: createSampler(sim, clock, store.samples),
    cluster: sim,
    clock,
    config: { ...DEFAULT_CONFIG },
    version: 'bench',
  });
  return app.listen({ port: 0, host: '127.0.0.1' });
}
