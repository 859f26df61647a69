/** Seed 001's node report, `GET /nodes`. */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { errorResponses } from '../schemas.js';
import type { ScopeOf } from '../deps.js';

const Instrumented = Type.Object({ InstrumentedValue: Type.Number(), Percent: Type.Number() });
const Resource = Type.Object({
  Capacity: Type.Number(),
  Allocatable: Type.Number(),
  Requests: Instrumented,
  Limits: Instrumented,
});
export const NodeReportSchema = Type.Object({
  Nodes: Type.Array(Type.Object({ NodeName: Type.String(), CPU: Resource, RAM: Resource })),
});

export function nodeRoutes(app: FastifyInstance, scopeOf: ScopeOf): void {
  app.get(
    '/nodes',
    {
      schema: {
        summary:
          'Per node: CPU (millicores) and RAM (bytes) capacity, allocatable, committed requests and limits',
        tags: ['nodes'],
        response: { 200: NodeReportSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      // Already JSON: sent as it is, without another serialisation.
      const json = await scopeOf(request).nodeReport.get();
      return reply
        .type('application/json; charset=utf-8')
        .serializer((x: unknown) => x as string)
        .send(json);
    },
  );
}
