import { runClusterClientContract } from '../testing/contract.js';
import { simContract } from '../testing/simContract.js';

runClusterClientContract('SimCluster', () => {
  const { sim, fixture } = simContract();
  return Promise.resolve({ ...fixture, client: sim, dispose: () => Promise.resolve() });
});
