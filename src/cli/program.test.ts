import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliIo } from './io.js';
import { buildProgram } from './program.js';
import type { RunningServer } from './serve.js';

const ROOT = join(import.meta.dirname, '..', '..');
const RAW = join(ROOT, 'test', 'fixtures', 'traces-raw');

function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = { stdout: (s) => out.push(s), stderr: (s) => err.push(s), env, cwd: ROOT };
  return { cli, out: () => out.join(''), err: () => err.join('') };
}

async function run(
  args: string[],
  env: Record<string, string> = {},
  onServe?: (s: RunningServer) => void,
) {
  const t = io(env);
  await buildProgram(t.cli, onServe).parseAsync(['node', 'qpilot', ...args]);
  return t;
}

describe('qpilot nodes', () => {
  it('prints the demo cluster as a table', async () => {
    const t = await run(['nodes']);
    const lines = t.out().trim().split('\n');
    expect(lines[0]).toMatch(
      /^NODE\s+CPU ALLOCATABLE\s+CPU REQUESTS\s+CPU LIMITS\s+MEMORY ALLOCATABLE\s+MEMORY REQUESTS\s+MEMORY LIMITS$/,
    );
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['node-1', 'node-2', 'node-3']);
    expect(lines[1]).toMatch(/^node-1\s+4\s+\S+ \(\d+%\)/);
  });

  it('prints the JSON of GET /nodes with --json', async () => {
    const t = await run(['nodes', '--json']);
    const report = JSON.parse(t.out()) as {
      Nodes: { NodeName: string; CPU: { Requests: { InstrumentedValue: number } } }[];
    };
    expect(report.Nodes).toHaveLength(3);
    // The demo requests 4 x 250m + 3 x 250m + 3 x 500m.
    expect(report.Nodes.reduce((s, n) => s + n.CPU.Requests.InstrumentedValue, 0)).toBe(3250);
  });

  it('reads a scenario file and names a wrong field in it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qpilot-'));
    const file = join(dir, 'small.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'small',
        nodes: [{ name: 'solo', cpu: '2', memory: '8Gi' }],
        deployments: [
          {
            name: 'a',
            replicas: 2,
            containers: [{ name: 'c', requests: { cpu: '300m', memory: '1Gi' } }],
          },
        ],
      }),
    );
    const t = await run(['nodes', '--json', '--scenario', file]);
    expect(JSON.parse(t.out())).toMatchObject({
      Nodes: [{ NodeName: 'solo', CPU: { Requests: { InstrumentedValue: 600, Percent: 30 } } }],
    });
    writeFileSync(
      file,
      JSON.stringify({
        name: 'bad',
        nodes: [{ name: 'n', cpu: '2', memory: '8Gi', gpus: 1 }],
        deployments: [],
      }),
    );
    await expect(run(['nodes', '--scenario', file])).rejects.toThrow(
      /nodes\.0: unknown field "gpus"/,
    );
  });
});

describe('qpilot trace', () => {
  it('imports per-minute counts to canonical CSV on standard output', async () => {
    const t = await run([
      'trace',
      'import',
      join(RAW, 'worldcup98-per-minute.csv'),
      '--peak-rps',
      '100',
    ]);
    const lines = t.out().split('\n');
    expect(lines[0]).toBe('t,rps');
    expect(lines[1]).toMatch(/^0,\d/);
    expect(lines[2]).toMatch(/^60,/);
    const peak = lines
      .slice(1)
      .filter(Boolean)
      .reduce((m, l) => Math.max(m, Number(l.split(',')[1])), 0);
    expect(peak).toBeCloseTo(100, 3);
  });

  it('imports several files into a directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qpilot-'));
    const files = [
      join(RAW, 'reddit-2015', 'LoadReddit-60minutes-2015-03.csv'),
      join(RAW, 'azure-vm-2019', 'vm_cpu_readings_week1_aggregated_cpu_mem.csv'),
    ];
    const t = await run(['trace', 'import', ...files, '--out-dir', dir, '--peak-rps', '50']);
    expect(t.err()).toMatch(/LoadReddit-60minutes-2015-03\.csv -> .*: 743 points/);
    const azure = readFileSync(
      join(dir, 'vm_cpu_readings_week1_aggregated_cpu_mem.csv'),
      'utf8',
    ).split('\n');
    expect(azure[0]).toBe('t,rps');
    expect(azure[2]).toMatch(/^300,/);
  });

  it('describes traces', async () => {
    const t = await run(['trace', 'info', 'traces/reddit-2015-01.csv']);
    expect(t.out()).toMatch(/reddit-2015-01\s+744\s+3600 s\s+31\.0 days/);
  });

  it('rejects bad options naming them', async () => {
    const file = join(RAW, 'worldcup98-per-minute.csv');
    await expect(run(['trace', 'import', file, '--peak-rps', 'lots'])).rejects.toThrow(
      '--peak-rps must be a number greater than 0, got "lots"',
    );
    await expect(run(['trace', 'import', file, '--format', 'xml'])).rejects.toThrow(
      /--format must be one of/,
    );
    await expect(run(['trace', 'import', file, file, '-o', '/tmp/x.csv'])).rejects.toThrow(
      /--out takes one input file/,
    );
  });
});

/** Runs `qpilot serve` in-process on a free port with its own data directory; `fn` gets its URL. */
async function withServe(flags: string[], fn: (url: string) => Promise<void>): Promise<void> {
  let server: RunningServer | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'qpilot-serve-'));
  const args = ['serve', '--port', '0', '--log-level', 'silent', '--data-dir', dataDir, ...flags];
  await run(args, {}, (s) => (server = s));
  try {
    const address = server!.app.server.address() as { port: number };
    await fn(`http://127.0.0.1:${address.port}`);
  } finally {
    await server?.close();
  }
}

describe('qpilot serve', () => {
  it('serves the API on the given port and stops cleanly', async () => {
    await withServe([], async (url) => {
      const res = await fetch(`${url}/pod`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ success: true, deployment: 'web', ready_pods: 4 });
    });
  });

  it("takes seed 002's settings as flags, and GET /config shows them", async () => {
    const flags = [
      '--dry-run',
      'false',
      '--auto-scale-enabled',
      'false',
      '--auto-scale-interval',
      '90',
      '--scaling-cooldown',
      '5',
      '--excluded-deployments',
      'redis,batch',
    ];
    await withServe(flags, async (url) => {
      const res = await fetch(`${url}/config`);
      expect(await res.json()).toMatchObject({
        dry_run: false,
        auto_scale_enabled: false,
        auto_scale_interval: 90,
        scaling_cooldown: 5,
        excluded_deployments: ['redis', 'batch'],
      });
      const status = await fetch(`${url}/autoscale/status`);
      expect(await status.json()).toMatchObject({ enabled: false, running: false });
    });
  });

  it('names a bad flag or environment value', async () => {
    await expect(run(['serve', '--port', 'http'])).rejects.toThrow(
      '--port must be an integer from 0 to 65535, got "http"',
    );
    await expect(run(['serve'], { QPILOT_SIM_SPEED: '-1' })).rejects.toThrow(
      /QPILOT_SIM_SPEED must be a number greater than 0/,
    );
  });
});

describe('the qpilot executable', () => {
  const qpilot = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
    });

  it('exits non-zero with the line and column of a malformed trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qpilot-'));
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'period,count\n1998-04-30 21:30:00,2\n1998-04-30 21:31:00,many\n');
    const result = qpilot(['trace', 'import', bad]);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`qpilot: ${bad}:3:21: expected a number for "count", got "many"\n`);
    expect(result.stdout).toBe('');
  });

  it('prints its version and exits 0', () => {
    const result = qpilot(['--version']);
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
