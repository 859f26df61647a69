/** `GET /metrics`: qpilot's own metrics in Prometheus' text format (seed 004's sampler is `POST /metrics`). */
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../deps.js';

export function metricsRoute(app: FastifyInstance, deps: AppDeps): void {
  app.get(
    '/metrics',
    {
      schema: {
        summary:
          "qpilot's own metrics for Prometheus: decisions, scalings, fallbacks, loop and verification time, errors",
        tags: ['service'],
      },
    },
    async (_request, reply) => {
      const text = await deps.metrics.registry.metrics();
      return reply.type(deps.metrics.registry.contentType).send(text);
    },
  );
}
