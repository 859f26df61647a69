/** A data file's first schema error in words that name the field, for scenario and profile files. */
export interface SchemaIssue {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** "deployments.0.replicas: must be integer", "(top level): unknown field "x"". */
export function describeSchemaIssue(issue: SchemaIssue | undefined): string {
  const path = (issue?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.') || '(top level)';
  const params = issue?.params ?? {};
  const detail =
    typeof params.additionalProperty === 'string'
      ? `unknown field "${params.additionalProperty}"`
      : typeof params.missingProperty === 'string'
        ? `missing field "${params.missingProperty}"`
        : (issue?.message ?? 'invalid');
  return `${path}: ${detail}`;
}
