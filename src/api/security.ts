/**
 * Who may call what (ADR 9). Mutating routes (every POST) need `Authorization: Bearer
 * <QPILOT_API_TOKEN>`; when a read-only token is configured, every other route but /health
 * needs it (or the API token). Without a configured API token, mutating routes answer only
 * loopback clients, so that a qpilot exposed by mistake cannot be steered. Tokens are compared
 * in constant time and never logged. CORS admits only the configured origins; mutating routes
 * are rate-limited per client, failed logins included.
 *
 * The operator's browser is a loopback client too, so loopback alone proves nothing about who
 * asks: a page on another site can send a POST (no preflight for a form), and a page whose DNS
 * name was rebound to 127.0.0.1 can read answers. So a change whose `Origin` is neither
 * qpilot's own nor configured is refused, as is one a browser marks `Sec-Fetch-Site:
 * cross-site`; and a request trusted for coming from loopback must name a loopback host (or
 * one in QPILOT_ALLOWED_HOSTS) in its `Host`.
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
  /** Host names (without port) a loopback client may address besides the loopback ones. */
  allowedHosts: string[];
  rateLimitPerMin: number;
  /** Rejected tokens per minute and client before all its tokens are refused (default 10). */
  failedLoginsPerMin?: number;
  now: () => number;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Equal-length digests, so that neither the content nor the length leaks through timing. */
export function tokenMatches(given: string | undefined, expected: string | undefined): boolean {
  if (given === undefined || expected === undefined) return false;
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token of an `Authorization: Bearer` header, if one was sent. */
export function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The host name of a `Host` header, lower-cased, without its port; undefined if malformed. */
export function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:[0-9]{1,5})?$/i.exec(header.trim());
  return m?.[1]?.toLowerCase().replace(/\.$/, '');
}

function isLoopbackHost(name: string): boolean {
  return (
    LOOPBACK_HOSTS.has(name) || name.endsWith('.localhost') || /^127(\.[0-9]{1,3}){3}$/.test(name)
  );
}

/** Why a loopback client's request names a host qpilot does not answer to, if it does. */
function foreignHost(request: FastifyRequest, options: SecurityOptions): QpError | undefined {
  if (!LOOPBACK.has(request.socket.remoteAddress ?? '')) return undefined;
  const name = hostName(request.headers.host);
  if (name !== undefined && (isLoopbackHost(name) || options.allowedHosts.includes(name)))
    return undefined;
  return new QpError(
    'QP_ERR_CROSS_SITE',
    `host "${String(request.headers.host ?? '')}" is not a loopback name: without a token qpilot answers only to localhost, 127.0.0.1, [::1] and QPILOT_ALLOWED_HOSTS (a page whose DNS name points here is not trusted)`,
  );
}

/** Why a change comes from another site, if it does. */
function crossSite(request: FastifyRequest, options: SecurityOptions): QpError | undefined {
  const origin = request.headers.origin;
  if (origin !== undefined) {
    if (options.corsOrigins.includes(origin)) return undefined;
    const ownOrigin = sameOrigin(origin, request.headers.host);
    if (ownOrigin) return undefined;
    return new QpError(
      'QP_ERR_CROSS_SITE',
      `changes from origin "${origin}" are refused: only qpilot's own origin and QPILOT_CORS_ORIGINS may make them`,
    );
  }
  if (request.headers['sec-fetch-site'] === 'cross-site')
    return new QpError(
      'QP_ERR_CROSS_SITE',
      'changes from another site are refused (Sec-Fetch-Site: cross-site)',
    );
  return undefined;
}

/** Whether an `Origin` is the origin of the host the request was sent to. */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  try {
    // Through URL too, so that a default port is spelt the same way on both sides.
    return new URL(`${url.protocol}//${host}`).host === url.host;
  } catch {
    return false;
  }
}

/** Routes that act although they are GETs: `GET /app/stat` sends load to the target. */
const ACTIONS = new Set(['/app/stat']);

/**
 * Every POST (and DELETE) changes the cluster, the settings or the hub, and the load test acts
 * on the target; every other route only reads.
 */
export function isMutating(request: FastifyRequest): boolean {
  return (
    request.method === 'POST' ||
    request.method === 'DELETE' ||
    ACTIONS.has(request.routeOptions.url ?? '')
  );
}

const OPEN_PATHS = new Set(['/health', '/ready']);

/**
 * The agents' channels into the hub: an agent proves itself with its cluster's API key (the
 * hub checks it, routes/agents.ts), never with qpilot's operator tokens, and its batches are
 * not the operator's changes the rate limit is for.
 */
export function isAgentChannel(path: string): boolean {
  return path === '/ws' || path.startsWith('/agents/');
}

export async function installSecurity(
  app: FastifyInstance,
  options: SecurityOptions,
): Promise<void> {
  await app.register(cors, {
    origin: options.corsOrigins.length > 0 ? options.corsOrigins : false,
    methods: ['GET', 'POST', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type'],
  });
  await app.register(rateLimit, {
    max: options.rateLimitPerMin,
    timeWindow: 60_000,
    allowList: (request) => !isMutating(request) || isAgentChannel(request.url.split('?')[0] ?? ''),
    errorResponseBuilder: (_request, context) =>
      new QpError(
        'QP_ERR_RATE_LIMITED',
        `rate limit exceeded: at most ${context.max} changes per minute; retry in ${Math.ceil(context.ttl / 1000)} s`,
      ),
  });

  // The limiter above counts changes; it runs after this hook, so token guesses are counted
  // here, per client, whatever the route.
  const guesses = new GuessCounter(options.failedLoginsPerMin ?? FAILED_LOGINS_PER_MIN, 60_000);
  app.addHook('onRequest', (request, _reply, done) => {
    // An agent's key is 256 random bits, checked by the hub: guessing it is hopeless, and an
    // agent must not be locked out by another client's guesses from the same address.
    const guessing =
      bearer(request) !== undefined && !isAgentChannel(request.url.split('?')[0] ?? '');
    const now = options.now();
    if (guessing && guesses.exhausted(request.ip, now))
      return done(
        new QpError(
          'QP_ERR_RATE_LIMITED',
          `too many rejected tokens from this client: retry in ${Math.ceil(guesses.retryInMs(request.ip, now) / 1000)} s`,
        ),
      );
    const refused = refusal(request, options);
    if (guessing && refused?.code === 'QP_ERR_UNAUTHORIZED') guesses.add(request.ip, now);
    done(refused);
  });
}

/** Rejected tokens a client may send per minute before every token it sends is refused. */
export const FAILED_LOGINS_PER_MIN = 10;

/** Rejected tokens per client in a fixed window; a bounded map, so guessing costs no memory. */
class GuessCounter {
  private readonly byClient = new Map<string, { count: number; resetMs: number }>();
  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  private entry(client: string, now: number) {
    const e = this.byClient.get(client);
    if (e && e.resetMs > now) return e;
    if (e) this.byClient.delete(client);
    return undefined;
  }

  exhausted(client: string, now: number): boolean {
    return (this.entry(client, now)?.count ?? 0) >= this.max;
  }

  retryInMs(client: string, now: number): number {
    return Math.max(0, (this.entry(client, now)?.resetMs ?? now) - now);
  }

  add(client: string, now: number): void {
    const e = this.entry(client, now);
    if (e) e.count++;
    else {
      if (this.byClient.size >= 10_000) this.byClient.clear();
      this.byClient.set(client, { count: 1, resetMs: now + this.windowMs });
    }
  }
}

/** Why a request may not proceed, or undefined when it may. */
export function refusal(request: FastifyRequest, options: SecurityOptions): QpError | undefined {
  const path = request.url.split('?')[0] ?? '';
  if (OPEN_PATHS.has(path) || isAgentChannel(path) || request.method === 'OPTIONS')
    return undefined;
  const token = bearer(request);
  if (isMutating(request)) {
    const refused = crossSite(request, options);
    if (refused) return refused;
    if (options.apiToken === undefined) {
      if (LOOPBACK.has(request.socket.remoteAddress ?? '')) return foreignHost(request, options);
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
  if (tokenMatches(token, options.readToken) || tokenMatches(token, options.apiToken))
    return undefined;
  if (options.readToken === undefined) return foreignHost(request, options);
  return new QpError(
    'QP_ERR_UNAUTHORIZED',
    token === undefined
      ? 'send Authorization: Bearer <QPILOT_READ_TOKEN>'
      : 'the bearer token was not accepted',
  );
}
