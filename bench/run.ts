/**
 * `npm run bench [-- name...]`: runs the benchmarks (all by default), each printing JSON
 * lines of figures. Compare figures within one run: these machines are noisy.
 */
import { agentBench } from './agent.js';
import { decisions } from './decisions.js';
import { hubIngest } from './hubIngest.js';
import { decisionsApi } from './decisionsApi.js';
import { evalSpeed } from './evalSpeed.js';
import { healthUnderStatistics } from './healthUnderStatistics.js';
import { kubeList } from './kubeList.js';
import { loopCycle } from './loopCycle.js';
import { nodesApi } from './nodesApi.js';
import { simSpeed } from './simSpeed.js';

const benches: Record<string, () => Promise<void>> = {
  simSpeed: () => simSpeed(),
  decisions: () => decisions(),
  evalSpeed: () => evalSpeed(),
  nodesApi: () => nodesApi(),
  loopCycle: () => loopCycle(),
  decisionsApi: () => decisionsApi(),
  healthUnderStatistics: () => healthUnderStatistics(),
  // Builds the e2e control plane the first time (minutes), then starts a 50-node cluster.
  kubeList: () => kubeList(),
  hubIngest: () => hubIngest(),
  // A 50-node control plane with 5,000 pods, `qpilot serve` as the hub and `qpilot agent`.
  agent: () => agentBench(),
};

const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!benches[name]) {
    process.stderr.write(
      `unknown benchmark "${name}"; known: ${Object.keys(benches).join(', ')}\n`,
    );
    process.exit(2);
  }
}
for (const [name, run] of Object.entries(benches)) {
  if (wanted.length === 0 || wanted.includes(name)) await run();
}
