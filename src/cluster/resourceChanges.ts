/**
 * Validates and normalises a requested change of container resources (seed 002's resize
 * body) against the containers it applies to, the way the API server would judge it: known
 * containers only, cpu and memory only, well-formed quantities, requests not above limits.
 */
import { invalidArgument } from '../core/errors.js';
import type { ContainerResourcesMap, ResourceQuantities } from './clusterClient.js';
import { formatCpu, formatMemory, parseCpu, parseMemory } from './quantity.js';

export interface ContainerResourcesLike {
  name: string;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

export interface MergedContainer {
  name: string;
  requests: ResourceQuantities;
  limits: ResourceQuantities;
}

/** The smallest amounts a container can run with: below them a change is a typo, not a plan. */
export const MIN_CPU_MILLICORES = 1;
export const MIN_MEMORY_BYTES = 2 ** 20;

function normalise(resource: string, q: unknown, where: string): string {
  if (resource !== 'cpu' && resource !== 'memory')
    throw invalidArgument(`${where} has unknown resource "${resource}"`);
  if ((typeof q !== 'string' && typeof q !== 'number') || /\s/.test(String(q)) || q === '')
    throw invalidArgument(
      `${where} ${resource} must be a quantity string such as "250m" or "128Mi", without spaces`,
    );
  if (resource === 'cpu') {
    const millicores = parseCpu(String(q));
    if (!(millicores >= MIN_CPU_MILLICORES))
      throw invalidArgument(`${where} cpu must be at least 1m, got "${String(q)}"`);
    return formatCpu(millicores);
  }
  const bytes = parseMemory(String(q));
  if (!(bytes >= MIN_MEMORY_BYTES))
    throw invalidArgument(`${where} memory must be at least 1Mi, got "${String(q)}"`);
  return formatMemory(bytes);
}

type Change = { requests?: ResourceQuantities; limits?: ResourceQuantities };

/** One container's change, checked and normalised; `where` names it in errors. */
function containerChange(change: unknown, where: string): Change {
  if (typeof change !== 'object' || change === null)
    throw invalidArgument(`${where} must be an object with requests and/or limits`);
  for (const key of Object.keys(change))
    if (key !== 'requests' && key !== 'limits')
      throw invalidArgument(`${where} has unknown field "${key}" (requests or limits)`);
  const out: Change = {};
  for (const kind of ['requests', 'limits'] as const) {
    const given: unknown = (change as Record<string, unknown>)[kind];
    if (given === undefined) continue;
    if (typeof given !== 'object' || given === null)
      throw invalidArgument(`${where} ${kind} must be an object`);
    const part: ResourceQuantities = {};
    for (const [resource, q] of Object.entries(given))
      part[resource as 'cpu' | 'memory'] = normalise(resource, q, `${where} ${kind}`);
    out[kind] = part;
  }
  if (Object.values(out).every((part) => Object.keys(part).length === 0))
    throw invalidArgument(
      `${where} asks for no change: give requests and/or limits of cpu or memory`,
    );
  return out;
}

/**
 * The containers after the change, and the change itself with its quantities normalised
 * ("0.5" becomes "500m", "1.5Gi" "1536Mi"). Throws QP_ERR_INVALID_ARGUMENT naming the problem.
 */
export function applyResourceChanges(
  current: readonly ContainerResourcesLike[],
  changes: ContainerResourcesMap,
  what: string,
): { containers: MergedContainer[]; changes: ContainerResourcesMap } {
  if (!changes || typeof changes !== 'object' || Object.keys(changes).length === 0) {
    throw invalidArgument(`no container resources given for ${what}`);
  }
  for (const name of Object.keys(changes)) {
    if (!current.some((c) => c.name === name)) {
      throw invalidArgument(
        `${what} has no container "${name}" (it has ${current.map((c) => `"${c.name}"`).join(', ')})`,
      );
    }
  }
  const normalised: ContainerResourcesMap = {};
  const containers = current.map((c) => {
    const requests: ResourceQuantities = {
      ...(c.resources?.requests as ResourceQuantities | undefined),
    };
    const limits: ResourceQuantities = {
      ...(c.resources?.limits as ResourceQuantities | undefined),
    };
    const change = changes[c.name];
    if (change) {
      const out = containerChange(change, `${what}: container "${c.name}"`);
      Object.assign(requests, out.requests);
      Object.assign(limits, out.limits);
      normalised[c.name] = out;
    }
    for (const resource of ['cpu', 'memory'] as const) {
      const req = requests[resource];
      const lim = limits[resource];
      if (req === undefined || lim === undefined) continue;
      const parse = resource === 'cpu' ? parseCpu : parseMemory;
      if (parse(req) > parse(lim)) {
        throw invalidArgument(
          `${what}: container "${c.name}" ${resource} request ${req} must be less than or equal to its limit ${lim}`,
        );
      }
    }
    return { name: c.name, requests, limits };
  });
  return { containers, changes: normalised };
}
