/** `qpilot serve` as a separate process, the way a user runs it, for the end-to-end suites. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { ROOT } from './e2eEnv.js';

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  get(path: string): Promise<{ status: number; body: Record<string, unknown> }>;
  stop(): Promise<void>;
}

export async function startServe(args: string[]): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'serve', '--port', '0', ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`qpilot serve did not start: ${out}`)), 30_000);
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
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
