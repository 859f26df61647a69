/**
 * A list kept current by a watch (client-go's reflector and informer), on client-node's
 * ListWatch. What client-node leaves to its caller is here: a watch that breaks is started
 * again with a backoff (ListWatch stops on any error but 410 Gone), the cache answers nothing
 * while it is out of sync (so that a caller lists instead of trusting stale objects), and
 * objects are trimmed of what qpilot never reads (managedFields, the last applied
 * configuration), so that memory follows the number of objects, not their history.
 */
import {
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  Watch,
} from '@kubernetes/client-node';
import { Backoff } from '../../core/backoff.js';
import { Rng } from '../../core/rng.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

/** Drops the fields qpilot never reads; the object is changed in place and returned. */
export function trimObject<T extends KubernetesObject>(obj: T): T {
  const meta = obj.metadata;
  if (meta) {
    delete (meta as { managedFields?: unknown }).managedFields;
    if (meta.annotations && LAST_APPLIED in meta.annotations) {
      const { [LAST_APPLIED]: _dropped, ...rest } = meta.annotations;
      meta.annotations = rest;
    }
  }
  return obj;
}

export interface WatchedListOptions<T extends KubernetesObject> {
  /** The collection's path, e.g. /api/v1/pods (all namespaces). */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  onError?: (err: unknown) => void;
  /** Told whenever an object is added or changed, with the object (trimmed). */
  onUpsert?: (obj: T) => void;
}

export class WatchedList<T extends KubernetesObject> {
  private readonly informer: ListWatch<T>;
  private inSync = false;
  private stopped = true;
  private errors = 0;
  private timer?: NodeJS.Timeout;
  private readonly backoff: Backoff;

  constructor(
    kc: KubeConfig,
    private readonly options: WatchedListOptions<T>,
  ) {
    this.backoff = new Backoff(new Rng(`watch ${options.path}`), FIRST_RETRY_MS, MAX_RETRY_MS);
    const watch = new Watch(kc);
    // Every watched object is trimmed before ListWatch keeps it.
    const trimming = {
      watch: (
        path: string,
        query: Record<string, string | number | boolean | undefined>,
        callback: (phase: string, obj: T, watchObj?: unknown) => void,
        done: (err: unknown) => void,
      ) =>
        watch.watch(
          path,
          query,
          (phase, obj: T, w) =>
            callback(phase, obj && typeof obj === 'object' ? trimObject(obj) : obj, w),
          done,
        ),
    } as unknown as Watch;
    const list = async () => {
      const result = await options.list();
      for (const item of result.items) trimObject(item);
      return result;
    };
    this.informer = new ListWatch<T>(options.path, trimming, list, false);
    this.informer.on('error', (err) => this.broken(err));
    const onUpsert = options.onUpsert;
    if (onUpsert) {
      this.informer.on('add', (obj) => onUpsert(obj));
      this.informer.on('update', (obj) => onUpsert(obj));
    }
  }

  /** Resolves once the first listing has arrived or failed; a failure is retried in the background. */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await this.connect();
  }

  private async connect(): Promise<void> {
    const before = this.errors;
    try {
      await this.informer.start();
    } catch (err) {
      this.broken(err);
      return;
    }
    if (this.errors === before && !this.stopped) {
      this.inSync = true;
      this.backoff.reset();
    }
  }

  private broken(err: unknown): void {
    this.errors++;
    this.inSync = false;
    // Stopping aborts the watch, which reports the abort as an error.
    if (this.stopped) return;
    this.options.onError?.(err);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), this.backoff.next());
    this.timer.unref();
  }

  /** Whether the cache holds the collection as the API server last told it. */
  synced(): boolean {
    return this.inSync;
  }

  /** The objects of a namespace (every namespace when absent); undefined while out of sync. */
  list(namespace?: string): readonly T[] | undefined {
    return this.inSync ? this.informer.list(namespace) : undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.inSync = false;
    clearTimeout(this.timer);
    await this.informer.stop();
  }
}
