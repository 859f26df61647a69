/** `qpilot nodes`: the node report of seed 001 as a table, or as its JSON with --json. */
import type { ClusterClient } from '../cluster/clusterClient.js';
import { buildNodeReport } from '../cluster/nodeReport.js';
import { formatCpu } from '../cluster/quantity.js';
import { millicores } from '../core/units.js';
import type { CliIo } from './io.js';
import { formatTable, humanBytes } from './table.js';

const pct = (p: number) => `${Math.round(p)}%`;

export async function printNodes(
  cluster: Pick<ClusterClient, 'listNodes' | 'listPods'>,
  io: CliIo,
  json: boolean,
): Promise<void> {
  const report = await buildNodeReport(cluster);
  if (json) {
    io.stdout(JSON.stringify(report, null, 2) + '\n');
    return;
  }
  const rows = report.Nodes.map((n) => [
    n.NodeName,
    formatCpu(millicores(n.CPU.Allocatable)),
    `${formatCpu(millicores(n.CPU.Requests.InstrumentedValue))} (${pct(n.CPU.Requests.Percent)})`,
    `${formatCpu(millicores(n.CPU.Limits.InstrumentedValue))} (${pct(n.CPU.Limits.Percent)})`,
    humanBytes(n.RAM.Allocatable),
    `${humanBytes(n.RAM.Requests.InstrumentedValue)} (${pct(n.RAM.Requests.Percent)})`,
    `${humanBytes(n.RAM.Limits.InstrumentedValue)} (${pct(n.RAM.Limits.Percent)})`,
  ]);
  io.stdout(
    formatTable(
      [
        'NODE',
        'CPU ALLOCATABLE',
        'CPU REQUESTS',
        'CPU LIMITS',
        'MEMORY ALLOCATABLE',
        'MEMORY REQUESTS',
        'MEMORY LIMITS',
      ],
      rows,
    ),
  );
}
