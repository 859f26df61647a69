/**
 * The one place where @kubernetes/client-node's failures become qpilot's coded errors
 * (ARCHITECTURE.md rule 3). Every call says what it was doing (verb, resource, object), so
 * that an RBAC refusal names exactly what was refused and a 404 names what is missing.
 */
import { QpError, type ErrorCode, isQpError } from '../../core/errors.js';

export interface KubeCallContext {
  /** The Kubernetes verb: get, list, patch, create, delete. */
  verb: string;
  /** The resource, with its subresource if any: pods, deployments/scale, pods/eviction. */
  resource: string;
  namespace?: string;
  name?: string;
}

interface KubeStatus {
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes?: { message?: string; field?: string }[] };
}

function parseStatus(body: unknown): KubeStatus {
  if (body && typeof body === 'object') return body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as unknown;
      if (parsed && typeof parsed === 'object') return parsed;
    } catch {
      return { message: body.slice(0, 500) };
    }
  }
  return {};
}

function target(ctx: KubeCallContext): string {
  const obj = ctx.name
    ? `${ctx.resource.split('/')[0]} "${ctx.namespace ? `${ctx.namespace}/` : ''}${ctx.name}"`
    : ctx.resource;
  return ctx.name ? obj : `${obj}${ctx.namespace ? ` in namespace "${ctx.namespace}"` : ''}`;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
]);

function isNetworkError(err: unknown): err is Error & { code?: string; type?: string } {
  if (!(err instanceof Error)) return false;
  const e = err as Error & { code?: string; type?: string; errno?: string };
  return (
    e.name === 'FetchError' ||
    e.name === 'AbortError' ||
    e.type === 'request-timeout' ||
    (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) ||
    (typeof e.errno === 'string' && NETWORK_CODES.has(e.errno))
  );
}

function codeFor(status: number, s: KubeStatus, ctx: KubeCallContext): ErrorCode {
  if (status === 429 && ctx.resource === 'pods/eviction') return 'QP_ERR_DISRUPTION_BUDGET';
  // Writing into a namespace that is being deleted: not a permission problem, a state that passes.
  if (status === 403 && /because it is being terminated/.test(s.message ?? ''))
    return 'QP_ERR_CONFLICT';
  switch (status) {
    case 400:
    case 422:
      return 'QP_ERR_INVALID_ARGUMENT';
    case 401:
      return 'QP_ERR_UNAUTHORIZED';
    case 403:
      return 'QP_ERR_FORBIDDEN';
    case 404:
      return 'QP_ERR_NOT_FOUND';
    case 405:
      return 'QP_ERR_UNSUPPORTED';
    case 409:
      return 'QP_ERR_CONFLICT';
    case 410:
      return 'QP_ERR_GONE';
    case 429:
      return 'QP_ERR_RATE_LIMITED';
    default:
      return status >= 500 ? 'QP_ERR_UNAVAILABLE' : 'QP_ERR_INTERNAL';
  }
}

/** Turns anything a client-node call threw into a QpError that says what failed. */
export function translateKubeError(err: unknown, ctx: KubeCallContext): QpError {
  if (isQpError(err)) return err;
  const what = `${ctx.verb} ${target(ctx)}`;
  if (isNetworkError(err)) {
    return new QpError(
      'QP_ERR_UNAVAILABLE',
      `cannot ${what}: the Kubernetes API server is unreachable (${err.message})`,
      { ...ctx },
      { cause: err },
    );
  }
  const apiErr = err as { code?: unknown; body?: unknown };
  if (err instanceof Error && typeof apiErr.code === 'number') {
    const status = apiErr.code;
    const s = parseStatus(apiErr.body);
    const serverMessage = s.message ?? `HTTP ${status}`;
    const code = codeFor(status, s, ctx);
    let message: string;
    if (code === 'QP_ERR_FORBIDDEN') {
      message = `forbidden: qpilot may not ${ctx.verb} ${ctx.resource}${ctx.namespace ? ` in namespace "${ctx.namespace}"` : ''} (RBAC): ${serverMessage}`;
    } else if (code === 'QP_ERR_NOT_FOUND' && ctx.name) {
      message = `${target(ctx)} not found`;
    } else if (code === 'QP_ERR_DISRUPTION_BUDGET') {
      message = `cannot evict ${target(ctx)}: ${serverMessage}`;
    } else {
      message = `cannot ${what}: ${serverMessage}`;
    }
    return new QpError(code, message, { ...ctx, status, reason: s.reason }, { cause: err });
  }
  return new QpError(
    'QP_ERR_INTERNAL',
    `cannot ${what}: ${err instanceof Error ? err.message : String(err)}`,
    { ...ctx },
    { cause: err },
  );
}

/** Runs one API call, translating its failure. */
export async function kubeCall<T>(ctx: KubeCallContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw translateKubeError(err, ctx);
  }
}
