/**
 * The agent protocol, version 1 (docs/protocol.md): every message between qpilot's hub and an
 * in-cluster agent, over the WebSocket or the matching REST routes, as a TypeBox schema. Both
 * sides validate every message they receive against it and refuse the rest with the field at
 * fault; an unknown version or type is refused, never guessed at.
 */
import { type Static, type TSchema, Type } from 'typebox';
import { Compile } from 'typebox/compile';

export const PROTOCOL_VERSION = 1;

const Id = Type.String({ pattern: '^[A-Za-z0-9][-_.A-Za-z0-9]{0,127}$' });
const Name = Type.String({ minLength: 1, maxLength: 253 });
const Key = Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' });
const Time = Type.Integer({ minimum: 0, description: 'milliseconds since the epoch' });

/** A header every message carries. */
const header = <T extends string>(type: T) => ({
  v: Type.Literal(PROTOCOL_VERSION),
  type: Type.Literal(type),
  /** Unique per message: a reply names it in `re`. */
  id: Key,
});

/**
 * Seed 003's actions, then the three that let the hub's AgentCluster make every change a local
 * ClusterClient makes (a Deployment template's resources, a pod deleted, an Event recorded),
 * and the status of an Autopilot, which the hub's Autopilot controller writes (ADR 17).
 */
export const ACTION_TYPES = [
  'evict',
  'cordon',
  'uncordon',
  'drain',
  'scale',
  'label',
  'resize',
  'update_resources',
  'delete_pod',
  'record_event',
  'autopilot_status',
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

const Resources = Type.Object(
  {
    cpu: Type.Optional(Type.String({ maxLength: 32 })),
    memory: Type.Optional(Type.String({ maxLength: 32 })),
  },
  { additionalProperties: false },
);

const ContainersMap = Type.Record(
  Type.String({ minLength: 1, maxLength: 63 }),
  Type.Object(
    { requests: Type.Optional(Resources), limits: Type.Optional(Resources) },
    { additionalProperties: false },
  ),
);

const ObjectRefSchema = Type.Union([
  Type.Object({ kind: Type.Literal('Node'), name: Name }, { additionalProperties: false }),
  Type.Object(
    {
      kind: Type.Union([
        Type.Literal('Pod'),
        Type.Literal('Deployment'),
        Type.Literal('Autopilot'),
      ]),
      namespace: Name,
      name: Name,
    },
    { additionalProperties: false },
  ),
]);

/** What the hub asks an agent to do; signed whole (core/signing.ts). */
export const ActionSchema = Type.Union([
  Type.Object(
    {
      id: Key,
      type: Type.Literal('evict'),
      namespace: Name,
      pod: Name,
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { id: Key, type: Type.Union([Type.Literal('cordon'), Type.Literal('uncordon')]), node: Name },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      id: Key,
      type: Type.Literal('drain'),
      node: Name,
      timeoutSec: Type.Integer({ minimum: 1, maximum: 3600 }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      id: Key,
      type: Type.Literal('scale'),
      namespace: Name,
      name: Name,
      replicas: Type.Integer({ minimum: 0, maximum: 100_000 }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      id: Key,
      type: Type.Literal('label'),
      target: ObjectRefSchema,
      labels: Type.Record(
        Type.String({ maxLength: 317 }),
        Type.Union([Type.String({ maxLength: 63 }), Type.Null()]),
      ),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      id: Key,
      type: Type.Literal('resize'),
      namespace: Name,
      pod: Name,
      containers: ContainersMap,
      /** Patch the owning Deployment's template when the pod cannot be resized in place. */
      fallbackToTemplate: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      id: Key,
      type: Type.Literal('update_resources'),
      namespace: Name,
      name: Name,
      containers: ContainersMap,
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      id: Key,
      type: Type.Literal('delete_pod'),
      namespace: Name,
      pod: Name,
      gracePeriodSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      id: Key,
      type: Type.Literal('record_event'),
      target: ObjectRefSchema,
      event: Type.Object(
        {
          type: Type.Union([Type.Literal('Normal'), Type.Literal('Warning')]),
          reason: Type.String({ pattern: '^[A-Z][A-Za-z0-9]{0,127}$' }),
          message: Type.String({ maxLength: 1024 }),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      id: Key,
      type: Type.Literal('autopilot_status'),
      namespace: Name,
      name: Name,
      /** The whole status, written through the status subresource (its schema is the CRD's). */
      status: Type.Object({}, { additionalProperties: true }),
    },
    { additionalProperties: false },
  ),
]);
export type Action = Static<typeof ActionSchema>;

const Selector = Type.String({ maxLength: 1024 });
const ListOptionsSchema = {
  labelSelector: Type.Optional(Selector),
  fieldSelector: Type.Optional(Selector),
  limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
  continue: Type.Optional(Type.String({ maxLength: 4096 })),
};

/**
 * What the hub reads through an agent: ClusterClient's reads, one each. Signed like actions, so
 * that an agent answers only its own hub.
 */
export const QuerySchema = Type.Union([
  Type.Object(
    {
      id: Key,
      op: Type.Union([
        Type.Literal('listNamespaces'),
        Type.Literal('nodeMetrics'),
        Type.Literal('listAutopilots'),
      ]),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { id: Key, op: Type.Literal('listNodes'), ...ListOptionsSchema },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      id: Key,
      op: Type.Union([Type.Literal('listPods'), Type.Literal('listWorkloads')]),
      namespace: Type.Optional(Name),
      ...ListOptionsSchema,
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { id: Key, op: Type.Literal('getNode'), name: Name },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      id: Key,
      op: Type.Union([Type.Literal('getPod'), Type.Literal('getWorkload')]),
      namespace: Name,
      name: Name,
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      id: Key,
      op: Type.Literal('podMetrics'),
      namespace: Type.Optional(Name),
      labelSelector: Type.Optional(Selector),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      id: Key,
      op: Type.Literal('waitForWorkloadReady'),
      namespace: Name,
      name: Name,
      replicas: Type.Integer({ minimum: 0, maximum: 100_000 }),
      timeoutMs: Type.Integer({ minimum: 1, maximum: 3_600_000 }),
      pollIntervalMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 600_000 })),
    },
    { additionalProperties: false },
  ),
]);
export type Query = Static<typeof QuerySchema>;
export type QueryOp = Query['op'];

const SignatureSchema = Type.Object(
  {
    timestampMs: Time,
    nonce: Type.String({ pattern: '^[0-9a-f]{16,128}$' }),
    signature: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  },
  { additionalProperties: false },
);

const Health = Type.Union([Type.Literal('ok'), Type.Literal('failed'), Type.Literal('restarting')]);

// ---- agent → hub ------------------------------------------------------------------------

export const RegisterSchema = Type.Object(
  {
    ...header('register'),
    clusterId: Id,
    agentId: Id,
    version: Type.String({ maxLength: 64 }),
    /** The actions this agent will carry out (its RBAC may allow fewer than all). */
    actions: Type.Array(Type.Unsafe<ActionType>({ type: 'string', enum: [...ACTION_TYPES] }), {
      uniqueItems: true,
    }),
    startedAtMs: Time,
  },
  { additionalProperties: false },
);

export const HeartbeatSchema = Type.Object(
  {
    ...header('heartbeat'),
    agentId: Id,
    timeMs: Time,
    components: Type.Record(Type.String({ maxLength: 64 }), Health),
    restarts: Type.Integer({ minimum: 0 }),
    rssBytes: Type.Integer({ minimum: 0 }),
    cpuSeconds: Type.Number({ minimum: 0 }),
    bytesSent: Type.Integer({ minimum: 0 }),
    bytesReceived: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

/** A batch of collected items (at most BATCH_SIZE), counted once per idempotency key. */
export const IngestSchema = Type.Object(
  {
    ...header('ingest'),
    agentId: Id,
    idempotencyKey: Key,
    seq: Type.Integer({ minimum: 1 }),
    kind: Type.Union([
      Type.Literal('pod_metrics'),
      Type.Literal('node_metrics'),
      Type.Literal('nodes'),
      Type.Literal('events'),
    ]),
    collectedAtMs: Time,
    items: Type.Array(Type.Record(Type.String(), Type.Unknown()), { maxItems: 10_000 }),
  },
  { additionalProperties: false },
);

export const ResultSchema = Type.Object(
  {
    ...header('result'),
    agentId: Id,
    actionId: Key,
    outcome: Type.Union([
      Type.Literal('succeeded'),
      Type.Literal('failed'),
      /** Not carried out: a bad signature, a stale timestamp, a replayed nonce, an action this agent does not take. */
      Type.Literal('refused'),
    ]),
    message: Type.String({ maxLength: 4096 }),
    finishedAtMs: Time,
    /** What the call returned (a query's answer, a scale's previous replicas), as JSON. */
    value: Type.Optional(Type.Unknown()),
    /** A failure's qpilot error code (QP_ERR_NOT_FOUND…), so that the hub raises the same error. */
    code: Type.Optional(Type.String({ pattern: '^QP_ERR_[A-Z_]{1,64}$' })),
  },
  { additionalProperties: false },
);

export const DeregisterSchema = Type.Object(
  { ...header('deregister'), agentId: Id, reason: Type.String({ maxLength: 1024 }) },
  { additionalProperties: false },
);

// ---- hub → agent ------------------------------------------------------------------------

export const RegisteredSchema = Type.Object(
  { ...header('registered'), re: Key, heartbeatIntervalSec: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false },
);

export const AckSchema = Type.Object(
  { ...header('ack'), re: Key, idempotencyKey: Type.Optional(Key) },
  { additionalProperties: false },
);

export const ActionMessageSchema = Type.Object(
  { ...header('action'), action: ActionSchema, signature: SignatureSchema },
  { additionalProperties: false },
);

export const QueryMessageSchema = Type.Object(
  { ...header('query'), query: QuerySchema, signature: SignatureSchema },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    ...header('config'),
    collectionIntervalSec: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    actionPollIntervalSec: Type.Optional(Type.Integer({ minimum: 1, maximum: 3_600 })),
    batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  },
  { additionalProperties: false },
);

export const AgentMessageSchema = Type.Union([
  RegisterSchema,
  HeartbeatSchema,
  IngestSchema,
  ResultSchema,
  DeregisterSchema,
]);
export const HubMessageSchema = Type.Union([
  RegisteredSchema,
  AckSchema,
  ActionMessageSchema,
  QueryMessageSchema,
  ConfigSchema,
]);
export type AgentMessage = Static<typeof AgentMessageSchema>;
/** What an agent reports of an action or a query: the `result` message without its header. */
export type CallResult = Omit<Static<typeof ResultSchema>, 'v' | 'id' | 'type' | 'agentId'>;
export type HubMessage = Static<typeof HubMessageSchema>;

const bySchema = new Map<string, ReturnType<typeof Compile>>();
const TYPES: Record<'agent' | 'hub', Record<string, TSchema>> = {
  agent: {
    register: RegisterSchema,
    heartbeat: HeartbeatSchema,
    ingest: IngestSchema,
    result: ResultSchema,
    deregister: DeregisterSchema,
  },
  hub: {
    registered: RegisteredSchema,
    ack: AckSchema,
    action: ActionMessageSchema,
    query: QueryMessageSchema,
    config: ConfigSchema,
  },
};

export type Parsed<T> = { ok: true; message: T } | { ok: false; error: string };

/**
 * A message from `from` checked against its type's schema; the error names the field at
 * fault. A version or a type this side does not know is refused by name.
 */
export function parseMessage(from: 'agent', value: unknown): Parsed<AgentMessage>;
export function parseMessage(from: 'hub', value: unknown): Parsed<HubMessage>;
export function parseMessage(
  from: 'agent' | 'hub',
  value: unknown,
): Parsed<AgentMessage | HubMessage> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return { ok: false, error: 'a message is a JSON object' };
  const { v, type } = value as { v?: unknown; type?: unknown };
  if (v !== PROTOCOL_VERSION)
    return {
      ok: false,
      error: `protocol version ${JSON.stringify(v)} is not supported (this side speaks ${PROTOCOL_VERSION})`,
    };
  const schema = typeof type === 'string' ? TYPES[from][type] : undefined;
  if (!schema)
    return {
      ok: false,
      error: `message type ${JSON.stringify(type)} is not one a${from === 'agent' ? 'n agent' : ' hub'} sends (${Object.keys(TYPES[from]).join(', ')})`,
    };
  let validator = bySchema.get(`${from}/${type as string}`);
  if (!validator) {
    validator = Compile(schema);
    bySchema.set(`${from}/${type as string}`, validator);
  }
  if (validator.Check(value)) return { ok: true, message: value as AgentMessage | HubMessage };
  const [first] = validator.Errors(value);
  const name = type as string;
  const at = first?.instancePath ? first.instancePath.slice(1).replaceAll('/', '.') : name;
  return { ok: false, error: `${name}: ${at} ${first?.message ?? 'is not valid'}` };
}
