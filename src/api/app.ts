/**
 * buildApp(deps): the Fastify application, separate from listening (ARCHITECTURE.md rule 5)
 * so that tests call `app.inject` and the composition root decides where to listen.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { AppDeps } from './deps.js';
import { installErrorHandling, sendError } from './errors.js';
import { infoRoutes } from './routes/info.js';
import { modelRoutes } from './routes/model.js';
import { nodeRoutes } from './routes/nodes.js';
import { podStatRoutes } from './routes/pod.js';
import { podRoutes } from './routes/pods.js';
import { installValidation } from './validation.js';
import { controlRoutes } from './routes/control.js';
import { metricsRoute } from './routes/metrics.js';
import { decisionRoutes } from './routes/decisions.js';
import { experimentRoutes } from './routes/experiments.js';
import { scalingRoutes } from './routes/scaling.js';
import { installSecurity } from './security.js';
import { agentRoutes } from './routes/agents.js';
import { clusterRoutes as hubClusterRoutes } from './routes/clusters.js';
import { fleetScope, homeScope, registerFleetRoutes } from './clusterScope.js';
import type { ScopeOf } from './deps.js';

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger || undefined,
    logger: deps.logger === undefined ? false : undefined,
    // Requests are counted in metrics, not logged one by one: a log line per request costs
    // more than most of qpilot's handlers.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    // Longer than any Kubernetes name (253), so that a long one reaches the schema that names
    // what is wrong with it rather than the router's "malformed URL".
    routerOptions: { maxParamLength: 1024 },
    // A request must have arrived whole within 10 s (a body shorter than its Content-Length
    // would otherwise hold its connection), checked every second rather than Node's 30 s.
    // (Node reads both when it creates the server, so they are given there too.)
    requestTimeout: deps.requestTimeoutMs ?? 10_000,
    http: { connectionsCheckingInterval: 1_000, requestTimeout: deps.requestTimeoutMs ?? 10_000 },
    // Errors raised before routing (a URL that cannot be decoded) bypass the error handler.
    frameworkErrors: (error, _request, reply) => {
      void sendError(reply, 400, `malformed URL: ${error.message}`, 'QP_ERR_INVALID_ARGUMENT');
    },
  });
  installValidation(app);
  installErrorHandling(app);
  app.addHook('onResponse', (request, reply, done) => {
    // The route template, never the URL: label values stay few.
    const route = request.routeOptions.url ?? 'unmatched';
    deps.metrics.request(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  await installSecurity(app, {
    apiToken: deps.config.apiToken,
    readToken: deps.config.readToken,
    corsOrigins: deps.config.corsOrigins,
    allowedHosts: deps.config.allowedHosts,
    now: () => deps.clock.now(),
    rateLimitPerMin: deps.config.rateLimitPerMin,
  });

  // The endpoint list of `GET /`, taken from the routes themselves so that it cannot drift.
  const endpoints = new Map<string, string>();
  app.addHook('onRoute', (route) => {
    const schema: { summary?: string; hide?: boolean } | undefined = route.schema;
    if (!schema?.summary || schema.hide) return;
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') endpoints.set(`${method} ${route.url}`, schema.summary);
    }
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'qpilot',
        version: deps.version,
        description:
          'Reinforcement-learning autopilot for Kubernetes workloads. Errors are `{"success": false, "error": "..."}`.',
      },
      tags: [
        { name: 'service', description: 'Service information and health' },
        { name: 'pods', description: 'Pods and the target Deployment' },
        { name: 'nodes', description: 'Node capacity and commitments' },
        { name: 'model', description: 'The learned policies' },
        { name: 'control', description: 'Settings and the control loop' },
        { name: 'scaling', description: 'Decide and act now' },
        { name: 'decisions', description: 'The record of decisions and its statistics' },
        { name: 'experiments', description: "Seed 004's routes for RL experiments" },
        {
          name: 'hub',
          description: 'Clusters steered through in-cluster agents (docs/protocol.md)',
        },
        {
          name: 'fleet',
          description:
            "The seed's routes for one cluster of the fleet, steered through its agent (ADR 17)",
        },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  infoRoutes(app, deps, endpoints);
  const home = homeScope(deps);
  // The routes that act on one cluster: here on the home cluster, and under
  // /clusters/:cluster on each cluster of the fleet.
  const clusterRoutes = (scoped: FastifyInstance, scopeOf: ScopeOf) => {
    podRoutes(scoped, scopeOf);
    nodeRoutes(scoped, scopeOf);
    controlRoutes(scoped, deps, scopeOf);
    scalingRoutes(scoped, deps, scopeOf);
    decisionRoutes(scoped, deps, scopeOf);
  };
  clusterRoutes(app, home);
  podStatRoutes(app, deps);
  modelRoutes(app, deps);
  metricsRoute(app, deps);
  experimentRoutes(app, deps);
  if (deps.hub) {
    // Large enough for a listing of every pod of a big cluster in one result.
    await app.register(websocket, { options: { maxPayload: 64 * 1024 * 1024 } });
    agentRoutes(app, deps);
    hubClusterRoutes(app, deps);
  }
  if (deps.hub || deps.fleet) {
    const fleet = fleetScope(deps, home);
    await registerFleetRoutes(app, (scoped) => clusterRoutes(scoped, fleet));
  }
  await app.ready();
  return app;
}
