/** The leader-election Lease in a real cluster (coordination.k8s.io/v1). */
import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { LeaseRecord, LeaseStore } from '../leases.js';
import { isQpError } from '../../core/errors.js';
import { kubeCall } from './errors.js';
import { kubeApiConfiguration } from './kubeCluster.js';

const ms = (d: Date | string | undefined) => (d === undefined ? undefined : new Date(d).getTime());
/**
 * A Lease's times are MicroTime, which the API server parses with exactly six fractional
 * digits; client-node serialises a Date with toISOString's three. Date holds milliseconds
 * only, so padding claims no precision it lacks.
 */
export class MicroTime extends Date {
  override toISOString(): string {
    return super.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
  }
}

const date = (t: number | undefined) => (t === undefined ? undefined : new MicroTime(t));

export class KubeLeaseStore implements LeaseStore {
  private readonly api: CoordinationV1Api;

  constructor(
    kc: KubeConfig,
    private readonly namespace: string,
    private readonly name: string,
    timeoutMs = 10_000,
  ) {
    this.api = new CoordinationV1Api(kubeApiConfiguration(kc, timeoutMs));
  }

  private ctx(verb: string) {
    return { verb, resource: 'leases', namespace: this.namespace, name: this.name };
  }

  async get(): Promise<LeaseRecord | undefined> {
    try {
      const lease = await kubeCall(this.ctx('get'), () =>
        this.api.readNamespacedLease({ name: this.name, namespace: this.namespace }),
      );
      return toRecord(lease);
    } catch (err) {
      if (isQpError(err, 'QP_ERR_NOT_FOUND')) return undefined;
      throw err;
    }
  }

  async create(record: LeaseRecord): Promise<LeaseRecord> {
    const lease = await kubeCall(this.ctx('create'), () =>
      this.api.createNamespacedLease({ namespace: this.namespace, body: this.toLease(record) }),
    );
    return toRecord(lease);
  }

  async update(record: LeaseRecord): Promise<LeaseRecord> {
    const lease = await kubeCall(this.ctx('update'), () =>
      this.api.replaceNamespacedLease({
        name: this.name,
        namespace: this.namespace,
        body: this.toLease(record),
      }),
    );
    return toRecord(lease);
  }

  private toLease(r: LeaseRecord): V1Lease {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.name,
        namespace: this.namespace,
        ...(r.resourceVersion ? { resourceVersion: r.resourceVersion } : {}),
      },
      spec: {
        // An empty holder releases the Lease (client-go does the same).
        holderIdentity: r.holderIdentity ?? '',
        leaseDurationSeconds: r.leaseDurationSeconds,
        acquireTime: date(r.acquireTimeMs),
        renewTime: date(r.renewTimeMs),
        leaseTransitions: r.leaseTransitions,
      },
    };
  }
}

function toRecord(lease: V1Lease): LeaseRecord {
  const s = lease.spec ?? {};
  return {
    holderIdentity: s.holderIdentity || undefined,
    leaseDurationSeconds: s.leaseDurationSeconds ?? 15,
    acquireTimeMs: ms(s.acquireTime),
    renewTimeMs: ms(s.renewTime),
    leaseTransitions: s.leaseTransitions ?? 0,
    resourceVersion: lease.metadata?.resourceVersion,
  };
}
