import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { translateKubeError } from './errors.js';

const status = (code: number, reason: string, message: string) =>
  new ApiException(
    code,
    `HTTP-Code: ${code}`,
    JSON.stringify({ kind: 'Status', status: 'Failure', code, reason, message }),
    {},
  );

describe('translateKubeError', () => {
  it('names the object that was not found', () => {
    const err = translateKubeError(status(404, 'NotFound', 'pods "web-1" not found'), {
      verb: 'get',
      resource: 'pods',
      namespace: 'default',
      name: 'web-1',
    });
    expect(err).toMatchObject({
      code: 'QP_ERR_NOT_FOUND',
      status: 404,
      message: 'pods "default/web-1" not found',
    });
  });

  it('names the verb and resource RBAC refused', () => {
    const err = translateKubeError(
      status(
        403,
        'Forbidden',
        'pods is forbidden: User "system:serviceaccount:qp:reader" cannot list resource "pods" in API group "" in the namespace "prod"',
      ),
      { verb: 'list', resource: 'pods', namespace: 'prod' },
    );
    expect(err.code).toBe('QP_ERR_FORBIDDEN');
    expect(err.message).toMatch(
      /^forbidden: qpilot may not list pods in namespace "prod" \(RBAC\): pods is forbidden: User/,
    );
  });

  it('turns a budget refusal of an eviction into QP_ERR_DISRUPTION_BUDGET, and other 429s into rate limiting', () => {
    const pdb = status(
      429,
      'TooManyRequests',
      "Cannot evict pod as it would violate the pod's disruption budget.",
    );
    expect(
      translateKubeError(pdb, {
        verb: 'create',
        resource: 'pods/eviction',
        namespace: 'a',
        name: 'p',
      }).code,
    ).toBe('QP_ERR_DISRUPTION_BUDGET');
    expect(
      translateKubeError(status(429, 'TooManyRequests', 'slow down'), {
        verb: 'list',
        resource: 'pods',
      }).code,
    ).toBe('QP_ERR_RATE_LIMITED');
  });

  it('treats a write into a namespace being deleted as a conflict, not an RBAC refusal', () => {
    const err = translateKubeError(
      status(
        403,
        'Forbidden',
        'pods "p" is forbidden: unable to create new content in namespace a because it is being terminated',
      ),
      { verb: 'create', resource: 'pods/eviction', namespace: 'a', name: 'p' },
    );
    expect(err.code).toBe('QP_ERR_CONFLICT');
  });

  it('maps the other statuses', () => {
    const ctx = { verb: 'patch', resource: 'deployments', namespace: 'a', name: 'd' };
    expect(
      translateKubeError(status(422, 'Invalid', 'spec.replicas: Invalid value: -1'), ctx),
    ).toMatchObject({
      code: 'QP_ERR_INVALID_ARGUMENT',
      message: 'cannot patch deployments "a/d": spec.replicas: Invalid value: -1',
    });
    expect(
      translateKubeError(status(409, 'Conflict', 'the object has been modified'), ctx).code,
    ).toBe('QP_ERR_CONFLICT');
    expect(translateKubeError(status(410, 'Expired', 'continue expired'), ctx).code).toBe(
      'QP_ERR_GONE',
    );
    expect(translateKubeError(status(503, 'ServiceUnavailable', 'etcd down'), ctx).code).toBe(
      'QP_ERR_UNAVAILABLE',
    );
    expect(translateKubeError(status(401, 'Unauthorized', 'Unauthorized'), ctx).code).toBe(
      'QP_ERR_UNAUTHORIZED',
    );
  });

  it('reports an unreachable API server as unavailable', () => {
    const refused = Object.assign(
      new Error(
        'request to https://127.0.0.1:6443/api/v1/pods failed, reason: connect ECONNREFUSED',
      ),
      {
        name: 'FetchError',
        code: 'ECONNREFUSED',
      },
    );
    const err = translateKubeError(refused, { verb: 'list', resource: 'pods' });
    expect(err.code).toBe('QP_ERR_UNAVAILABLE');
    expect(err.message).toMatch(/^cannot list pods: the Kubernetes API server is unreachable/);
  });

  it('keeps a body that is not JSON, and wraps unknown failures as internal', () => {
    const plain = new ApiException(500, 'x', 'upstream connect error', {});
    expect(translateKubeError(plain, { verb: 'get', resource: 'nodes', name: 'n1' }).message).toBe(
      'cannot get nodes "n1": upstream connect error',
    );
    expect(translateKubeError(new TypeError('boom'), { verb: 'get', resource: 'nodes' }).code).toBe(
      'QP_ERR_INTERNAL',
    );
  });
});
