/**
 * The one HTTP error handler: every failure becomes `{"success": false, "error": "..."}` with
 * the status of its code. Validation errors name the parameter; unexpected errors are logged
 * with their stack and answered with a plain 500 that shows none of it.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isQpError } from '../core/errors.js';

export interface ErrorBody {
  success: false;
  error: string;
  code?: string;
}

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

const PART_NAMES: Record<string, string> = {
  params: 'path parameter',
  querystring: 'query parameter',
  body: 'body field',
  headers: 'header',
};

/** "invalid query parameter "limit": must be integer", from one of Ajv's issues. */
export function describeValidation(context: string | undefined, issue: ValidationIssue): string {
  const part = PART_NAMES[context ?? ''] ?? 'request field';
  const path = (issue.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  const params = issue.params ?? {};
  if (typeof params.missingProperty === 'string') {
    const name = path ? `${path}.${params.missingProperty}` : params.missingProperty;
    return `${part} "${name}" is required`;
  }
  if (typeof params.additionalProperty === 'string') {
    const name = path ? `${path}.${params.additionalProperty}` : params.additionalProperty;
    return `unknown ${part} "${name}"`;
  }
  if (!path)
    return `invalid ${context === 'body' ? 'request body' : part}: ${issue.message ?? 'malformed'}`;
  const allowed = Array.isArray(params.allowedValues)
    ? ` (one of ${params.allowedValues.join(', ')})`
    : '';
  return `invalid ${part} "${path}": ${issue.message ?? 'malformed'}${allowed}`;
}

export function sendError(
  reply: FastifyReply,
  status: number,
  message: string,
  code?: string,
): FastifyReply {
  const body: ErrorBody = { success: false, error: message };
  if (code) body.code = code;
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (isQpError(err)) {
      if (err.status >= 500)
        request.log.warn({ code: err.code, error: err.message }, 'request failed');
      return sendError(reply, err.status, err.message, err.code);
    }
    if (err.validation && err.validation.length > 0) {
      return sendError(
        reply,
        400,
        describeValidation(err.validationContext, err.validation[0] as ValidationIssue),
        'QP_ERR_INVALID_ARGUMENT',
      );
    }
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors (bad JSON, body too large, wrong content type) say what was wrong.
      return sendError(reply, status, err.message, err.code);
    }
    request.log.error({ err }, 'unexpected error while handling a request');
    return sendError(
      reply,
      500,
      'internal error; the server log has the details',
      'QP_ERR_INTERNAL',
    );
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      404,
      `route ${request.method} ${request.url.split('?')[0]} not found`,
      'QP_ERR_NOT_FOUND',
    ),
  );
}
