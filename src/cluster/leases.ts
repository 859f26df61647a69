/**
 * Where a leader-election Lease lives (a coordination.k8s.io Lease on a real cluster, memory in
 * tests): the interface beside ClusterClient that the leader elector in controller/ uses.
 */
export interface LeaseRecord {
  holderIdentity?: string;
  leaseDurationSeconds: number;
  acquireTimeMs?: number;
  renewTimeMs?: number;
  leaseTransitions: number;
  /** Opaque version for optimistic concurrency. */
  resourceVersion?: string;
}

/** Where the Lease lives; a write with a stale resourceVersion fails with QP_ERR_CONFLICT. */
export interface LeaseStore {
  get(): Promise<LeaseRecord | undefined>;
  create(record: LeaseRecord): Promise<LeaseRecord>;
  update(record: LeaseRecord): Promise<LeaseRecord>;
}
