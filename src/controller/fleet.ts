/**
 * The fleet (ADR 17): the clusters one `qpilot serve` steers besides its home cluster, each
 * through its agent, each with its own controller: its ClusterClient, its settings, its loop,
 * its actuator and its view of the decision log. Nothing is shared between members but the
 * store and the hub, so that a workload's history, cooldown and changes in flight belong to
 * the cluster it runs in.
 */
import type { ClusterClient } from '../cluster/clusterClient.js';
import type { ScalingService } from './scalingService.js';

export interface FleetMember {
  readonly id: string;
  readonly cluster: ClusterClient;
  readonly scaling: ScalingService;
  /** What else stops with the member (its Autopilots' reader). */
  readonly stop?: () => Promise<void>;
}

export class Fleet {
  private readonly members = new Map<string, FleetMember>();
  private closed = false;

  /** `make` builds a member's controller; the fleet begins it (its loop follows its settings). */
  constructor(private readonly make: (clusterId: string) => FleetMember) {}

  /** Starts steering a cluster; a cluster already steered is left as it is. */
  join(clusterId: string): FleetMember | undefined {
    if (this.closed) return undefined;
    let member = this.members.get(clusterId);
    if (!member) {
      member = this.make(clusterId);
      this.members.set(clusterId, member);
      member.scaling.begin();
    }
    return member;
  }

  /** Stops steering a cluster: its loop stops, and the changes it was making are recorded. */
  async leave(clusterId: string): Promise<void> {
    const member = this.members.get(clusterId);
    if (!member) return;
    this.members.delete(clusterId);
    await member.scaling.close();
    await member.stop?.();
  }

  member(clusterId: string): FleetMember | undefined {
    return this.members.get(clusterId);
  }

  ids(): string[] {
    return [...this.members.keys()].sort();
  }

  /** Stops every member's loop and waits for the changes they were making to be recorded. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      [...this.members.values()].map(async (m) => {
        await m.scaling.close();
        await m.stop?.();
      }),
    );
  }
}
