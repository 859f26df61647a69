/**
 * The Autopilots of a real cluster: a watch on every namespace's Autopilots, and status
 * written through the status subresource (the spec is the user's, the status qpilot's).
 */
import {
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import {
  AUTOPILOT_GROUP,
  AUTOPILOT_PLURAL,
  AUTOPILOT_VERSION,
  type Autopilot,
  type AutopilotCalls,
  type AutopilotClient,
  type AutopilotStatus,
} from '../autopilot.js';
import { isQpError } from '../../core/errors.js';
import { kubeCall } from './errors.js';
import { kubeApiConfiguration } from './kubeCluster.js';
import { WatchedList } from './watchedList.js';

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * One listing and one status write, without a watch: what an agent makes for its hub. A
 * cluster without the CRD has no Autopilots.
 */
export class KubeAutopilotCalls implements AutopilotCalls {
  private readonly custom: CustomObjectsApi;

  constructor(kc: KubeConfig, options: { requestTimeoutMs: number }) {
    this.custom = new CustomObjectsApi(kubeApiConfiguration(kc, options.requestTimeoutMs));
  }

  async list(): Promise<Autopilot[]> {
    try {
      const list = await kubeCall(
        { verb: 'list', resource: AUTOPILOT_PLURAL },
        async () =>
          (await this.custom.listClusterCustomObject({
            group: AUTOPILOT_GROUP,
            version: AUTOPILOT_VERSION,
            plural: AUTOPILOT_PLURAL,
          })) as KubernetesListObject<Autopilot>,
      );
      return list.items;
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  }

  writeStatus(namespace: string, name: string, status: AutopilotStatus): Promise<void> {
    return patchStatus(this.custom, namespace, name, status);
  }
}

export class KubeAutopilots implements AutopilotClient {
  private readonly custom: CustomObjectsApi;
  private readonly watched: WatchedList<Autopilot>;
  /** The API server does not serve the resource: the CRD is not installed, so there are none. */
  private missing = false;

  constructor(
    kc: KubeConfig,
    options: { requestTimeoutMs: number; onError?: (err: unknown) => void },
  ) {
    this.custom = new CustomObjectsApi(kubeApiConfiguration(kc, options.requestTimeoutMs));
    this.watched = new WatchedList<Autopilot>(kc, {
      path: `/apis/${AUTOPILOT_GROUP}/${AUTOPILOT_VERSION}/${AUTOPILOT_PLURAL}`,
      list: () =>
        kubeCall({ verb: 'list', resource: AUTOPILOT_PLURAL }, async () => {
          const list = (await this.custom.listClusterCustomObject({
            group: AUTOPILOT_GROUP,
            version: AUTOPILOT_VERSION,
            plural: AUTOPILOT_PLURAL,
          })) as KubernetesListObject<Autopilot>;
          this.missing = false;
          return list;
        }),
      onError: (err) => {
        this.missing = isNotFound(err);
        options.onError?.(err);
      },
    });
  }

  list(): readonly Autopilot[] | undefined {
    // Without the CRD there is no Autopilot; the watch is retried, and finds them once installed.
    return this.missing ? [] : this.watched.list();
  }

  /** Whether the CRD was found missing at the last attempt. */
  crdMissing(): boolean {
    return this.missing;
  }

  writeStatus(namespace: string, name: string, status: AutopilotStatus): Promise<void> {
    return patchStatus(this.custom, namespace, name, status);
  }

  start(): Promise<void> {
    return this.watched.start();
  }

  stop(): Promise<void> {
    return this.watched.stop();
  }
}

async function patchStatus(
  custom: CustomObjectsApi,
  namespace: string,
  name: string,
  status: AutopilotStatus,
): Promise<void> {
  await kubeCall({ verb: 'patch', resource: `${AUTOPILOT_PLURAL}/status`, namespace, name }, () =>
    custom.patchNamespacedCustomObjectStatus(
      {
        group: AUTOPILOT_GROUP,
        version: AUTOPILOT_VERSION,
        plural: AUTOPILOT_PLURAL,
        namespace,
        name,
        // A merge patch replaces lists whole and removes fields set to null.
        body: { status: withNulls(status) },
      },
      MERGE,
    ),
  );
}

function isNotFound(err: unknown): boolean {
  if (isQpError(err)) return err.code === 'QP_ERR_NOT_FOUND';
  const e = err as { statusCode?: number; code?: number } | null;
  return e?.statusCode === 404 || e?.code === 404;
}

/** The status's known fields, those absent now set to null so that the patch removes them. */
function withNulls(status: AutopilotStatus): Record<string, unknown> {
  const keys: (keyof AutopilotStatus)[] = [
    'observedGeneration',
    'currentReplicas',
    'desiredReplicas',
    'conditions',
    'recommendation',
    'lastDecision',
    'recentActions',
  ];
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = status[k] ?? null;
  return out;
}
