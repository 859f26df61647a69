/**
 * `qpilot agent`'s configuration: seed 003's environment, read here and nowhere else. A
 * required variable that is missing stops start-up with a message naming it (the seed's
 * "Agent Not Starting"); a secret is never repeated in a message. The backend must be reached
 * over TLS (https, wss) unless it is on this machine's loopback.
 */
import { invalidArgument } from '../core/errors.js';
import { ACTION_TYPES, type ActionType } from '../core/protocol.js';

export interface AgentConfig {
  backendUrl: URL;
  backendWsUrl: URL;
  /** Authenticates the agent to the hub (stored hashed there). */
  apiKey: string;
  /** Verifies the hub's signatures on actions (HMAC-SHA256). */
  secretKey: string;
  clusterId: string;
  /** Generated at start when absent (`generated` says so). */
  agentId: string;
  generatedAgentId: boolean;
  /** AGENT_ACTIONS: the actions this agent carries out (every one when absent); its RBAC may grant no more. */
  actions: ActionType[];
  collectionIntervalSec: number;
  actionPollIntervalSec: number;
  batchSize: number;
}

export const AGENT_DEFAULTS = {
  collectionIntervalSec: 60,
  actionPollIntervalSec: 10,
  batchSize: 100,
};

const ID = /^[A-Za-z0-9]([-_.A-Za-z0-9]{0,126}[A-Za-z0-9])?$/;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

function url(
  env: Record<string, string | undefined>,
  name: string,
  schemes: [string, string],
): URL {
  const text = required(env, name);
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw invalidArgument(
      `${name} must be a URL such as ${schemes[1]}//qpilot.example.com, got "${text}"`,
    );
  }
  if (u.protocol !== schemes[0] && u.protocol !== schemes[1])
    throw invalidArgument(
      `${name} must start with ${schemes[1]}// (or ${schemes[0]}// to loopback), got "${text}"`,
    );
  if (u.protocol === schemes[0] && !LOOPBACK.has(u.hostname) && !u.hostname.endsWith('.localhost'))
    throw invalidArgument(
      `${name} must use ${schemes[1]}// (TLS) for a backend that is not on loopback, got "${text}"`,
    );
  if (u.username || u.password)
    throw invalidArgument(`${name} must not carry credentials (API_KEY does)`);
  return u;
}

function required(env: Record<string, string | undefined>, name: string): string {
  const v = env[name]?.trim();
  if (!v)
    throw invalidArgument(`${name} is required (seed 003: the agent cannot start without it)`);
  return v;
}

function secret(env: Record<string, string | undefined>, name: string): string {
  const v = required(env, name);
  if (v.length < 16 || /\s/.test(v))
    throw invalidArgument(`${name} must be at least 16 characters without spaces`);
  return v;
}

function id(value: string, name: string): string {
  if (!ID.test(value))
    throw invalidArgument(`${name} must be 1-128 letters, digits, '-', '_' or '.', got "${value}"`);
  return value;
}

function integer(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw invalidArgument(`${name} must be a whole number from ${min} to ${max}, got "${text}"`);
  return n;
}

/** `newId`: where a missing AGENT_ID comes from (random; injected for tests). */
export function loadAgentConfig(
  env: Record<string, string | undefined>,
  newId: () => string,
): AgentConfig {
  const given = env.AGENT_ID?.trim();
  return {
    backendUrl: url(env, 'BACKEND_URL', ['http:', 'https:']),
    backendWsUrl: url(env, 'BACKEND_WS_URL', ['ws:', 'wss:']),
    apiKey: secret(env, 'API_KEY'),
    secretKey: secret(env, 'SECRET_KEY'),
    clusterId: id(required(env, 'CLUSTER_ID'), 'CLUSTER_ID'),
    agentId: id(given || newId(), 'AGENT_ID'),
    generatedAgentId: !given,
    collectionIntervalSec: integer(
      env,
      'COLLECTION_INTERVAL',
      AGENT_DEFAULTS.collectionIntervalSec,
      1,
      86_400,
    ),
    actionPollIntervalSec: integer(
      env,
      'ACTION_POLL_INTERVAL',
      AGENT_DEFAULTS.actionPollIntervalSec,
      1,
      3_600,
    ),
    batchSize: integer(env, 'BATCH_SIZE', AGENT_DEFAULTS.batchSize, 1, 10_000),
    actions: actions(env.AGENT_ACTIONS),
  };
}

function actions(text: string | undefined): ActionType[] {
  if (!text?.trim()) return [...ACTION_TYPES];
  const names = text
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  for (const n of names)
    if (!(ACTION_TYPES as readonly string[]).includes(n))
      throw invalidArgument(
        `AGENT_ACTIONS names "${n}", which is not an action (${ACTION_TYPES.join(', ')})`,
      );
  return [...new Set(names)] as ActionType[];
}
