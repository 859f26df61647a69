/**
 * Which cluster a route acts on (ADR 17). The seed's routes (`/config`, `/autoscale/*`,
 * `/decisions`, `/statistics`, `/pods`, `/nodes`, `/scale/*`) act on the home cluster; the same
 * routes under `/clusters/:cluster/` act on one cluster of the fleet, with its own settings,
 * loop, decisions and node report.
 */
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { Type } from 'typebox';
import { QpError } from '../core/errors.js';
import type { AppDeps, ClusterScope, ScopeOf } from './deps.js';
import { NodeReportCache } from './nodeReportCache.js';
import { ClusterIdSchema } from './schemas.js';

export function homeScope(deps: AppDeps): ScopeOf {
  const scope: ClusterScope = {
    id: deps.homeClusterId ?? '',
    cluster: deps.cluster,
    scaling: deps.scaling,
    nodeReport: new NodeReportCache(deps.cluster, deps.clock, () => deps.config.nodeReportTtlMs),
  };
  return () => scope;
}

/**
 * The scope of `/clusters/:cluster/…`: the fleet's member of that id (or the home cluster,
 * when it is the one steered through an agent); a 404 for a cluster qpilot does not steer.
 */
export function fleetScope(deps: AppDeps, home: ScopeOf): ScopeOf {
  const scopes = new Map<string, ClusterScope>();
  return (request: FastifyRequest) => {
    const id = (request.params as { cluster: string }).cluster;
    if (deps.homeClusterId === id) return home(request);
    const member = deps.fleet?.member(id);
    if (!member)
      throw new QpError(
        'QP_ERR_NOT_FOUND',
        `cluster "${id}" is not steered by this qpilot: register it with POST /clusters and run its agent`,
        { cluster: id },
      );
    let scope = scopes.get(id);
    if (scope?.scaling !== member.scaling) {
      scope = {
        id,
        cluster: member.cluster,
        scaling: member.scaling,
        nodeReport: new NodeReportCache(
          member.cluster,
          deps.clock,
          () => deps.config.nodeReportTtlMs,
        ),
      };
      scopes.set(id, scope);
    }
    return scope;
  };
}

/**
 * Registers `routes` under `/clusters/:cluster`: each gets the cluster in its path parameters
 * (checked like every cluster id) and says in its summary that it acts on one cluster.
 */
export async function registerFleetRoutes(
  app: FastifyInstance,
  routes: (scoped: FastifyInstance) => void,
): Promise<void> {
  await app.register(
    (scoped, _options, done) => {
      scoped.addHook('onRoute', (route: RouteOptions) => {
        const schema = (route.schema ?? {}) as {
          params?: { properties?: Record<string, unknown>; required?: string[] };
          summary?: string;
          tags?: string[];
        };
        const params = Type.Object({
          cluster: ClusterIdSchema,
          ...((schema.params?.properties ?? {}) as Record<string, never>),
        });
        route.schema = {
          ...schema,
          params,
          tags: ['fleet'],
          ...(schema.summary ? { summary: `${schema.summary} (one cluster of the fleet)` } : {}),
        };
      });
      routes(scoped);
      done();
    },
    { prefix: '/clusters/:cluster' },
  );
}
