/**
 * Seed 002's configuration and loop control: `GET/POST /config`, `POST /autoscale/start`,
 * `POST /autoscale/stop` and `GET /autoscale/status`.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { settingsView, UPDATABLE_FIELDS } from '../../controller/settings.js';
import type { ScalingService } from '../../controller/scalingService.js';
import type { AppDeps, ScopeOf } from '../deps.js';
import { errorResponses } from '../schemas.js';

const Open = Type.Object({}, { additionalProperties: true });

export function controlRoutes(app: FastifyInstance, deps: AppDeps, scopeOf: ScopeOf): void {
  const view = (scaling: ScalingService) =>
    settingsView(scaling.settings(), {
      modelPath: deps.modelPath ?? 'models',
      inCluster: deps.inCluster ?? false,
    });

  app.get(
    '/config',
    {
      schema: {
        summary: 'Get current configuration',
        tags: ['control'],
        response: { 200: Open },
      },
    },
    (request) => view(scopeOf(request).scaling),
  );

  app.post(
    '/config',
    {
      schema: {
        summary: 'Update configuration',
        description: `Accepts only ${UPDATABLE_FIELDS.join(', ')}; a wrong type or an unknown field is a 400 that names it, and nothing is changed.`,
        tags: ['control'],
        // Validated by updateSettings, whose messages name the seed's fields.
        body: Type.Unknown(),
        response: {
          200: Type.Object({ success: Type.Literal(true), message: Type.String(), config: Open }),
          ...errorResponses,
        },
      },
    },
    (request) => {
      const { scaling, id } = scopeOf(request);
      scaling.configure(request.body);
      request.log.info(
        { fields: Object.keys(request.body as object), ...(id ? { cluster: id } : {}) },
        'configuration updated',
      );
      return { success: true as const, message: 'Configuration updated', config: view(scaling) };
    },
  );

  app.post(
    '/autoscale/start',
    {
      schema: {
        summary: 'Start automatic scaling',
        tags: ['control'],
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            message: Type.String(),
            interval: Type.Integer(),
          }),
          ...errorResponses,
        },
      },
    },
    (request) => {
      const { scaling } = scopeOf(request);
      scaling.startLoop();
      return {
        success: true as const,
        message: 'Auto-scaling started',
        interval: scaling.settings().autoScaleIntervalSec,
      };
    },
  );

  app.post(
    '/autoscale/stop',
    {
      schema: {
        summary: 'Stop automatic scaling',
        tags: ['control'],
        response: {
          200: Type.Object({ success: Type.Literal(true), message: Type.String() }),
          ...errorResponses,
        },
      },
    },
    (request) => {
      // Not awaited: a cycle may be waiting on a verification; it stops after that workload.
      void scopeOf(request).scaling.stopLoop();
      return { success: true as const, message: 'Auto-scaling stopped' };
    },
  );

  app.get(
    '/autoscale/status',
    {
      schema: {
        summary: 'Get auto-scaler status',
        tags: ['control'],
        response: { 200: Open },
      },
    },
    (request) => scopeOf(request).scaling.loopStatus(),
  );
}
