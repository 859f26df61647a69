/**
 * Who may call what. Mutating routes (every POST) need `Authorization: Bearer
 * <QPILOT_API_TOKEN>`; when a read-only token is configured, every other route but /health
 * needs it (or the API token). Without a configured API token, mutating routes answer only
 * loopback clients, so that a qpilot exposed by mistake cannot be steered. Tokens are compared
 * in constant time and never logged. CORS admits only the configured origins; mutating routes
 * are rate-limited per client.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { QpError } from '../core/errors.js';

export interface SecurityOptions {
  apiToken?: string;
  readToken?: string;
  corsOrigins: string[];
  rateLimitPerMin: number;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Equal-length digests, so that neither the content nor the length leaks through timing. */
export function tokenMatches(given: string | undefined, expected: string | undefined): boolean {
  if (given === undefined || expected === undefined) return false;
  return timingSafeEqual(digest(given), digest(expected));
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** Every POST changes the cluster or the settings; every other route only reads. */
export function isMutating(request: FastifyRequest): boolean {
  return request.method === 'POST';
}

const OPEN_PATHS = new Set(['/health']);

export async function installSecurity(
  app: FastifyInstance,
  options: SecurityOptions,
): Promise<void> {
  await app.register(cors, {
    origin: options.corsOrigins.length > 0 ? options.corsOrigins : false,
    methods: ['GET', 'POST'],
    allowedHeaders: ['Authorization', 'Content-Type'],
  });
  await app.register(rateLimit, {
    max: options.rateLimitPerMin,
    timeWindow: 60_000,
    allowList: (request) => !isMutating(request),
    errorResponseBuilder: (_request, context) =>
      new QpError(
        'QP_ERR_RATE_LIMITED',
        `rate limit exceeded: at most ${context.max} changes per minute; retry in ${Math.ceil(context.ttl / 1000)} s`,
      ),
  });

  app.addHook('onRequest', (request, _reply, done) => done(refusal(request, options)));
}

/** Why a request may not proceed, or undefined when it may. */
function refusal(request: FastifyRequest, options: SecurityOptions): QpError | undefined {
  const path = request.url.split('?')[0] ?? '';
  if (OPEN_PATHS.has(path) || request.method === 'OPTIONS') return undefined;
  const token = bearer(request);
  if (isMutating(request)) {
    if (options.apiToken === undefined) {
      if (LOOPBACK.has(request.socket.remoteAddress ?? '')) return undefined;
      return new QpError(
        'QP_ERR_UNAUTHORIZED',
        'changes are accepted from loopback only unless QPILOT_API_TOKEN is set',
      );
    }
    if (tokenMatches(token, options.apiToken)) return undefined;
    return new QpError(
      'QP_ERR_UNAUTHORIZED',
      token === undefined
        ? 'this route changes the cluster or the settings: send Authorization: Bearer <QPILOT_API_TOKEN>'
        : 'the bearer token was not accepted',
    );
  }
  if (options.readToken === undefined) return undefined;
  if (tokenMatches(token, options.readToken) || tokenMatches(token, options.apiToken))
    return undefined;
  return new QpError(
    'QP_ERR_UNAUTHORIZED',
    token === undefined
      ? 'send Authorization: Bearer <QPILOT_READ_TOKEN>'
      : 'the bearer token was not accepted',
  );
}
