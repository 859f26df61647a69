/**
 * The coded error catalogue (ARCHITECTURE.md rule 3). Every failure that reaches a user
 * carries one of these codes and its HTTP status; the API's single error handler turns them
 * into `{"success": false, "error": "..."}` and never shows a stack trace.
 */
export const errorCatalogue = {
  QP_ERR_INVALID_ARGUMENT: {
    status: 400,
    summary: 'a parameter, query or body field is malformed',
  },
  QP_ERR_UNAUTHORIZED: { status: 401, summary: 'a bearer token is required or was not accepted' },
  QP_ERR_FORBIDDEN: { status: 403, summary: 'the cluster refused the operation (RBAC)' },
  QP_ERR_CROSS_SITE: {
    status: 403,
    summary: 'a change from another site, or a request to a host name qpilot does not answer to',
  },
  QP_ERR_NOT_FOUND: {
    status: 404,
    summary: 'the named namespace, pod, node, workload or route does not exist',
  },
  QP_ERR_CONFLICT: {
    status: 409,
    summary: 'the object changed or is in a state that forbids the operation',
  },
  QP_ERR_GONE: { status: 410, summary: 'a continue token expired or belongs to another listing' },
  QP_ERR_PAYLOAD_TOO_LARGE: { status: 413, summary: 'the request body is too large' },
  QP_ERR_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    summary: 'the request body has an unsupported content type',
  },
  QP_ERR_INFEASIBLE: { status: 422, summary: 'the change cannot be made on the current nodes' },
  QP_ERR_MODEL_INVALID: {
    status: 422,
    summary: 'a model directory is missing, corrupt, or trained for something else',
  },
  QP_ERR_DISRUPTION_BUDGET: {
    status: 429,
    summary: 'a PodDisruptionBudget forbids the eviction now',
  },
  QP_ERR_RATE_LIMITED: { status: 429, summary: 'too many requests' },
  QP_ERR_INTERNAL: { status: 500, summary: 'an unexpected internal error' },
  QP_ERR_UNSUPPORTED: { status: 501, summary: 'the cluster does not offer this operation' },
  QP_ERR_UNAVAILABLE: { status: 503, summary: 'the cluster or a dependency cannot be reached' },
  QP_ERR_TIMEOUT: { status: 504, summary: 'the cluster did not reach the desired state in time' },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export class QpError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'QpError';
    this.status = errorCatalogue[code].status;
  }
}

export function isQpError(value: unknown, code?: ErrorCode): value is QpError {
  return value instanceof QpError && (code === undefined || value.code === code);
}

export const notFound = (what: string, name: string): QpError =>
  new QpError('QP_ERR_NOT_FOUND', `${what} "${name}" not found`, { kind: what, name });

export const invalidArgument = (message: string, details?: Record<string, unknown>): QpError =>
  new QpError('QP_ERR_INVALID_ARGUMENT', message, details);
