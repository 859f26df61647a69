/** `qpilot serve` as a separate process, the way a user runs it, for the end-to-end suites. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..', '..');

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  get(path: string): Promise<{ status: number; body: Record<string, unknown> }>;
  post(path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  stop(): Promise<void>;
}

export async function startServe(
  args: string[],
  env: Record<string, string> = {},
  /** A command the server runs under, e.g. one that gives it a mount namespace of its own. */
  options: {
    prefix?: string[];
    command?: 'serve' | 'agent';
    /** Run dist/bundle/agent.mjs, as the chart does (built from the sources first). */
    bundle?: boolean;
    nodeFlags?: string[];
  } = {},
): Promise<ServeProcess> {
  if (options.bundle) {
    const built = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'scripts', 'bundleAgent.ts')],
      { encoding: 'utf8' },
    );
    if (built.status !== 0) throw new Error(`the agent's bundle did not build: ${built.stderr}`);
  }
  const command = [
    ...(options.prefix ?? []),
    process.execPath,
    ...(options.nodeFlags ?? []),
    ...(options.bundle
      ? [join(ROOT, 'dist', 'bundle', 'agent.mjs')]
      : ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')]),
    options.command ?? 'serve',
    '--port',
    '0',
    ...args,
  ];
  const child = spawn(command[0]!, command.slice(1), {
    cwd: ROOT,
    // A data directory of its own unless told, so that runs never share a database by accident.
    env: {
      ...process.env,
      QPILOT_DATA_DIR: mkdtempSync(join(tmpdir(), 'qpilot-serve-')),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A server that never said where it listens would otherwise outlive the test run.
      child.kill('SIGKILL');
      reject(new Error(`qpilot serve did not start: ${out}`));
    }, 30_000);
    const check = () => {
      const m = /"url":"(http:\/\/localhost:\d+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => reject(new Error(`qpilot serve exited with ${code}: ${out}`)));
  });
  return {
    url,
    child,
    output: () => out,
    get: async (path) => {
      const res = await fetch(url.replace('localhost', '127.0.0.1') + path);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    post: async (path, body) => {
      const res = await fetch(url.replace('localhost', '127.0.0.1') + path, {
        method: 'POST',
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
