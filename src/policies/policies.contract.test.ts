import { DQN_EXPECTATION, DqnPolicy } from './dqn/dqnPolicy.js';
import { DQN_VERTICAL_EXPECTATION, DqnVerticalPolicy } from './dqnVertical/dqnVerticalPolicy.js';
import { HpaPolicy } from './hpa/hpa.js';
import { StaticPolicy } from './static/static.js';
import { runPolicyContract } from './testing/policyContract.js';
import { randomModel } from './testing/randomModel.js';
import { VpaPolicy } from './vpa/vpa.js';

runPolicyContract('hpa', () => new HpaPolicy());
runPolicyContract('hpa at 90 %', () => new HpaPolicy({ targetCpuUtilization: 90 }));
runPolicyContract('static', () => new StaticPolicy(4));
runPolicyContract('vpa', () => new VpaPolicy());
runPolicyContract('dqn', () => new DqnPolicy(randomModel(DQN_EXPECTATION, 1)));
runPolicyContract(
  'dqn-vertical',
  () => new DqnVerticalPolicy(randomModel(DQN_VERTICAL_EXPECTATION, 2)),
);
