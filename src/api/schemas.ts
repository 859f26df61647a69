/** Shared schemas: they validate requests and describe them in the OpenAPI document. */
import { Type } from 'typebox';

export const ErrorResponse = Type.Object(
  {
    success: Type.Literal(false),
    error: Type.String({ description: 'What was wrong, naming the parameter or object' }),
    code: Type.Optional(
      Type.String({ description: 'The qpilot error code, such as QP_ERR_NOT_FOUND' }),
    ),
  },
  { $id: 'ErrorResponse' },
);

/** A Kubernetes name (RFC 1123 label): namespaces, Deployments. */
export const KubeName = Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 });

/** A Kubernetes object name (RFC 1123 subdomain): pods, nodes. */
export const KubeObjectName = Type.String({
  pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
  maxLength: 253,
});

/** A cluster's CLUSTER_ID in the hub. */
export const ClusterIdSchema = Type.String({
  pattern: '^[A-Za-z0-9][-_.A-Za-z0-9]{0,127}$',
  description: "The cluster's CLUSTER_ID",
});

export const StringMap = Type.Record(Type.String(), Type.String());

export const errorResponses = {
  400: ErrorResponse,
  404: ErrorResponse,
  500: ErrorResponse,
  503: ErrorResponse,
};
