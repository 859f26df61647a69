/**
 * Autopilots kept in memory, for unit tests: what the API server would hold after
 * `kubectl apply`, with a count of the status writes a controller made.
 */
import type { Autopilot, AutopilotClient, AutopilotStatus } from '../autopilot.js';

export class MemoryAutopilots implements AutopilotClient {
  private readonly items = new Map<string, Autopilot>();
  statusWrites = 0;
  /** When set, the next status write fails with it. */
  failNextWrite?: Error;
  synced = true;

  apply(ap: Autopilot): Autopilot {
    const key = `${ap.metadata.namespace}/${ap.metadata.name}`;
    const old = this.items.get(key);
    const generation = (old?.metadata.generation ?? 0) + 1;
    const next: Autopilot = {
      ...ap,
      metadata: { ...ap.metadata, generation },
      ...(old?.status ? { status: old.status } : {}),
    };
    this.items.set(key, next);
    return next;
  }

  delete(namespace: string, name: string): void {
    this.items.delete(`${namespace}/${name}`);
  }

  get(namespace: string, name: string): Autopilot | undefined {
    return this.items.get(`${namespace}/${name}`);
  }

  list(): readonly Autopilot[] | undefined {
    return this.synced ? [...this.items.values()] : undefined;
  }

  writeStatus(namespace: string, name: string, status: AutopilotStatus): Promise<void> {
    const error = this.failNextWrite;
    this.failNextWrite = undefined;
    if (error) return Promise.reject(error);
    const ap = this.items.get(`${namespace}/${name}`);
    if (!ap) return Promise.reject(new Error(`autopilots "${namespace}/${name}" not found`));
    this.statusWrites++;
    this.items.set(`${namespace}/${name}`, { ...ap, status: structuredClone(status) });
    return Promise.resolve();
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}
