/**
 * The agent's outbox (issue 13): batches waiting for the hub's acknowledgement, on disk so that
 * they survive a restart. Each batch is one file, written whole (a temporary file, fsync,
 * rename) under a name that orders it and carries its idempotency key, so that a batch sent
 * twice (the ack was lost, the agent restarted) is counted once by the hub. Bounded in batches
 * and bytes: past the bound the oldest batch is dropped and counted, never the agent's memory
 * or disk grown without limit (StormForge keeps a write-ahead log; Datadog a 15 MiB queue).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface OutboxBatch<T> {
  /** The hub counts a key once, however often it arrives. */
  idempotencyKey: string;
  /** Order of creation, across restarts. */
  seq: number;
  items: T[];
  /** What the batch is (its kind, when it was collected), as the caller said. */
  meta?: Record<string, string | number>;
}

export interface OutboxOptions {
  maxBatches?: number;
  maxBytes?: number;
  /** Where idempotency keys come from (random; injected for tests). */
  newKey?: () => string;
}

const NAME = /^(\d{16})-([A-Za-z0-9-]{1,64})\.json$/;

export class Outbox<T> {
  private seq = 0;
  private files: { seq: number; name: string; bytes: number }[] = [];
  /** Batches dropped past the bound, or unreadable after a crash. */
  dropped = 0;

  private constructor(
    private readonly dir: string,
    private readonly options: OutboxOptions,
  ) {}

  /** Opens the outbox in `dir`, with whatever a previous run left unacknowledged. */
  static async open<T>(dir: string, options: OutboxOptions = {}): Promise<Outbox<T>> {
    await mkdir(dir, { recursive: true });
    const box = new Outbox<T>(dir, options);
    for (const name of (await readdir(dir)).sort()) {
      const m = NAME.exec(name);
      if (!m) {
        // A temporary file a crash left behind: the batch it held was never acknowledged
        // as stored, so its caller did not count on it.
        if (name.endsWith('.tmp')) await unlink(join(dir, name)).catch(() => undefined);
        continue;
      }
      const seq = Number(m[1]);
      box.files.push({ seq, name, bytes: (await stat(join(dir, name))).size });
      box.seq = Math.max(box.seq, seq);
    }
    return box;
  }

  /** Where the batches are kept. */
  get directory(): string {
    return this.dir;
  }

  /** Batches waiting, oldest first. */
  get size(): number {
    return this.files.length;
  }

  get bytes(): number {
    return this.files.reduce((s, f) => s + f.bytes, 0);
  }

  /** Stores a batch durably; resolves with it once it is on disk. */
  async add(items: T[], meta?: Record<string, string | number>): Promise<OutboxBatch<T>> {
    const batch: OutboxBatch<T> = {
      idempotencyKey: (this.options.newKey ?? randomUUID)(),
      seq: ++this.seq,
      items,
      ...(meta ? { meta } : {}),
    };
    if (!/^[A-Za-z0-9-]{1,64}$/.test(batch.idempotencyKey))
      throw new Error(
        `idempotency key "${batch.idempotencyKey}" is not 1-64 letters, digits or '-'`,
      );
    const name = `${String(batch.seq).padStart(16, '0')}-${batch.idempotencyKey}.json`;
    const text = JSON.stringify(batch);
    const tmp = join(this.dir, `${name}.tmp`);
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, join(this.dir, name));
    // The rename itself is durable once the directory is.
    const d = await open(this.dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
    this.files.push({ seq: batch.seq, name, bytes: Buffer.byteLength(text) });
    await this.bound();
    return batch;
  }

  /**
   * The oldest batches, up to `limit`, to send; unreadable ones are dropped and counted. Those
   * whose key `skip` names (already sent, waiting for their ack) still count towards the limit
   * but are not read: a sender that peeks at every ack would otherwise read and parse each
   * batch once per batch in flight.
   */
  async peek(limit: number, skip?: (idempotencyKey: string) => boolean): Promise<OutboxBatch<T>[]> {
    const out: OutboxBatch<T>[] = [];
    for (const f of this.files.slice(0, limit)) {
      if (skip?.(NAME.exec(f.name)![2]!)) continue;
      try {
        out.push(JSON.parse(await readFile(join(this.dir, f.name), 'utf8')) as OutboxBatch<T>);
      } catch {
        // Acknowledged (and unlinked) while it was being read: sent, not lost.
        if (!this.files.some((x) => x.name === f.name)) continue;
        await this.remove(f.name);
        this.dropped++;
      }
    }
    return out;
  }

  /** The hub acknowledged the batch: it is forgotten. Unknown keys are ignored. */
  async ack(idempotencyKey: string): Promise<void> {
    const f = this.files.find((x) => x.name.endsWith(`-${idempotencyKey}.json`));
    if (f) await this.remove(f.name);
  }

  private async remove(name: string): Promise<void> {
    this.files = this.files.filter((x) => x.name !== name);
    await unlink(join(this.dir, name)).catch(() => undefined);
  }

  private async bound(): Promise<void> {
    const maxBatches = this.options.maxBatches ?? 1000;
    const maxBytes = this.options.maxBytes ?? 16 * 2 ** 20;
    while (this.files.length > 1 && (this.files.length > maxBatches || this.bytes > maxBytes)) {
      await this.remove(this.files[0]!.name);
      this.dropped++;
    }
  }
}
