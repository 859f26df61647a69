/**
 * Makes the cluster a command talks to. For now that is the embedded simulated cluster,
 * built from the demo scenario or a scenario file.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { SimCluster } from '../cluster/sim/simCluster.js';
import {
  DEFAULT_WARMUP_SEC,
  DEMO_SCENARIO,
  type Scenario,
  buildScenario,
  loadScenarioTraces,
  parseScenario,
} from '../cluster/sim/scenario.js';
import type { QpilotConfig } from '../config/config.js';
import { type Clock, ManualClock, RealClock, ScaledClock } from '../core/clock.js';
import { QpError, invalidArgument } from '../core/errors.js';
import { BUNDLED_TRACES_DIR, loadTraceFile } from '../traces/files.js';

export async function loadScenario(
  ref: string,
  cwd: string,
): Promise<{ scenario: Scenario; baseDir: string }> {
  if (ref === 'demo') return { scenario: DEMO_SCENARIO, baseDir: cwd };
  const path = resolve(cwd, ref);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new QpError(
      'QP_ERR_NOT_FOUND',
      `scenario "${ref}" is neither "demo" nor a readable file (${(err as NodeJS.ErrnoException).code})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`scenario ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return { scenario: parseScenario(json, path), baseDir: dirname(path) };
}

/** A trace by bundled name (traces/NAME.csv) or by path, relative to the scenario file. */
export function traceLoader(baseDir: string) {
  return (ref: string) => {
    const bundled = join(BUNDLED_TRACES_DIR, `${ref}.csv`);
    if (!ref.includes('/') && !ref.endsWith('.csv') && existsSync(bundled))
      return loadTraceFile(bundled, { name: ref, format: 'canonical' });
    return loadTraceFile(isAbsolute(ref) ? ref : join(baseDir, ref));
  };
}

export interface SimSetup {
  sim: SimCluster;
  clock: Clock;
  scenario: Scenario;
}

/**
 * Builds the scenario's simulated cluster, begun `warmupSec` ago so that its pods are Ready
 * and have metrics from the start. `live`: its clock then follows real time (times the
 * simulation speed); otherwise the cluster stands still at the present.
 */
export async function createSimCluster(
  config: QpilotConfig,
  cwd: string,
  live: boolean,
): Promise<SimSetup> {
  const { scenario, baseDir } = await loadScenario(config.scenario, cwd);
  const traces = await loadScenarioTraces(scenario, traceLoader(baseDir));
  const warmupMs = (scenario.warmupSec ?? DEFAULT_WARMUP_SEC) * 1000;
  const nowMs = new RealClock().now();
  const clock: Clock = live ? new ScaledClock(config.simSpeed, nowMs) : new ManualClock(nowMs);
  const sim = new SimCluster(clock, {
    ...scenario.options,
    seed: scenario.seed ?? config.seed,
    startMs: nowMs - warmupMs,
  });
  buildScenario(sim, scenario, traces);
  sim.sync();
  return { sim, clock, scenario };
}
