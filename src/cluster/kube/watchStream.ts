/**
 * A collection's changes as a stream, with nothing kept (client-go's reflector without its
 * store): listed once in pages, then watched from the listing's resourceVersion, resumed from
 * the last version seen when the watch closes or breaks (with a backoff), and listed again
 * only when the API server says that version is gone (410). For the agent's events, which it
 * forwards and forgets: an informer would keep every event of the last hour as a full object
 * (5,000 pods' events were most of the agent's memory, docs/benchmarks.md).
 */
import { type KubeConfig, type KubernetesObject, Watch } from '@kubernetes/client-node';
import { Backoff } from '../../core/backoff.js';
import { Rng } from '../../core/rng.js';
import { trimObject } from './watchedList.js';

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

export interface ListPage<T> {
  items: T[];
  metadata?: { resourceVersion?: string; _continue?: string };
}

export interface WatchStreamOptions<T extends KubernetesObject> {
  /** The collection's path, e.g. /api/v1/events (all namespaces). */
  path: string;
  /** One page of the listing. */
  list: (page: { limit: number; continue?: string }) => Promise<ListPage<T>>;
  /** Told of every object added or changed (trimmed); `relisted` when it comes from a listing. */
  onUpsert: (obj: T, relisted: boolean) => void;
  onError?: (err: unknown) => void;
  pageSize?: number;
}

interface Status {
  kind?: string;
  code?: number;
}

export class WatchStream<T extends KubernetesObject> {
  private readonly watch: Watch;
  private resourceVersion?: string;
  private stopped = true;
  private request?: AbortController;
  private timer?: NodeJS.Timeout;
  private readonly backoff: Backoff;
  /** Listings so far (the first, and one per 410). */
  listings = 0;

  constructor(
    kc: KubeConfig,
    private readonly options: WatchStreamOptions<T>,
  ) {
    this.watch = new Watch(kc);
    this.backoff = new Backoff(
      new Rng(`watch stream ${options.path}`),
      FIRST_RETRY_MS,
      MAX_RETRY_MS,
    );
  }

  /** Resolves once the first listing has arrived and the watch is open, or they failed (retried). */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.resourceVersion === undefined) await this.relist();
      if (this.stopped) return;
      const opened = performance.now();
      const request = await this.watch.watch(
        this.options.path,
        { resourceVersion: this.resourceVersion, allowWatchBookmarks: true },
        (phase: string, obj: T | Status) => this.seen(phase, obj),
        (err: unknown) => this.closed(err, performance.now() - opened),
      );
      if (this.stopped) request.abort();
      else this.request = request;
    } catch (err) {
      this.closed(err, 0);
    }
  }

  private async relist(): Promise<void> {
    const limit = this.options.pageSize ?? 500;
    const relisted = this.listings++ > 0;
    let token: string | undefined;
    let version: string | undefined;
    do {
      const page = await this.options.list({ limit, continue: token });
      for (const item of page.items) this.options.onUpsert(trimObject(item), relisted);
      // A continued listing is a snapshot at its first page's version.
      version ??= page.metadata?.resourceVersion;
      token = page.metadata?._continue || undefined;
    } while (token && !this.stopped);
    this.resourceVersion = version;
  }

  private seen(phase: string, obj: T | Status): void {
    if (phase === 'ERROR') {
      // 410 Gone: the version is older than the API server keeps; list again.
      if ((obj as Status).code === 410) this.resourceVersion = undefined;
      return;
    }
    const version = (obj as T).metadata?.resourceVersion;
    if (version) this.resourceVersion = version;
    if (phase === 'ADDED' || phase === 'MODIFIED')
      this.options.onUpsert(trimObject(obj as T), false);
  }

  private closed(err: unknown, lastedMs: number): void {
    this.request = undefined;
    if (this.stopped) return;
    // A watch that lasted was healthy, whatever ended it: the backoff starts afresh.
    if (lastedMs > 10_000) this.backoff.reset();
    // The API server ends every watch after a while: resume at once where it stopped (unless
    // it ended at once, which would make this a busy loop).
    if (!err && this.resourceVersion !== undefined && lastedMs > 1000) {
      void this.connect();
      return;
    }
    if (err) this.options.onError?.(err);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), this.backoff.next());
    this.timer.unref();
  }

  stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.request?.abort();
    this.request = undefined;
    return Promise.resolve();
  }
}
