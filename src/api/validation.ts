/**
 * Two Ajv instances: path and query strings are coerced to the types their schemas declare
 * (everything in a URL is a string), bodies are not, so `"dry_run": "yes"` is a 400 and not
 * a silent `true`. Neither removes unknown fields; schemas decide whether they are allowed.
 *
 * Ajv coerces whatever `Number()` accepts: `" "` becomes 0, `0x10` 16, `.5e1` 5. A number in a
 * URL must be written in decimal digits before it is coerced (grammarOf).
 */
import { Ajv, type Options } from 'ajv';
import addFormatsImport from 'ajv-formats';
import type { FastifyInstance, FastifySchema, FastifySchemaValidationError } from 'fastify';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

function makeAjv(coerceTypes: Options['coerceTypes']): Ajv {
  const ajv = new Ajv({
    coerceTypes,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false,
  });
  addFormats(ajv);
  return ajv;
}

interface NumberSchema {
  type?: unknown;
  minimum?: number;
  exclusiveMinimum?: number;
}

const UNSIGNED_INTEGER = /^[0-9]{1,15}$/;
const INTEGER = /^-?[0-9]{1,15}$/;
const UNSIGNED_DECIMAL = /^[0-9]{1,15}(\.[0-9]{1,15})?$/;
const DECIMAL = /^-?[0-9]{1,15}(\.[0-9]{1,15})?$/;

/** The grammar a URL string must match to be read as this schema's number, if it is one. */
export function grammarOf(schema: NumberSchema): { pattern: RegExp; says: string } | undefined {
  const unsigned = (schema.minimum ?? schema.exclusiveMinimum ?? -1) >= 0;
  if (schema.type === 'integer')
    return unsigned
      ? { pattern: UNSIGNED_INTEGER, says: 'must be written in decimal digits only' }
      : { pattern: INTEGER, says: 'must be an integer written in decimal digits' };
  if (schema.type === 'number')
    return unsigned
      ? { pattern: UNSIGNED_DECIMAL, says: 'must be a decimal number such as 12 or 0.5' }
      : { pattern: DECIMAL, says: 'must be a decimal number such as -3, 12 or 0.5' };
  return undefined;
}

type Validate = ((data: unknown) => boolean) & { errors?: FastifySchemaValidationError[] | null };

/** Checks the grammar of a path or query string's numbers, then lets Ajv coerce and validate. */
function strictNumbers(schema: object, validate: Validate): Validate {
  const properties = (schema as { properties?: Record<string, NumberSchema> }).properties ?? {};
  const grammars = Object.entries(properties).flatMap(([name, s]) => {
    const g = grammarOf(s);
    return g ? [{ name, ...g }] : [];
  });
  if (grammars.length === 0) return validate;
  const checked: Validate = (data) => {
    if (data !== null && typeof data === 'object') {
      for (const { name, pattern, says } of grammars) {
        const raw = (data as Record<string, unknown>)[name];
        const values = Array.isArray(raw) ? raw : [raw];
        if (values.some((v) => typeof v === 'string' && !pattern.test(v))) {
          checked.errors = [
            {
              keyword: 'format',
              schemaPath: `#/properties/${name}`,
              instancePath: `/${name}`,
              message: says,
              params: {},
            },
          ];
          return false;
        }
      }
    }
    const ok = validate(data);
    checked.errors = validate.errors;
    return ok;
  };
  return checked;
}

export function installValidation(app: FastifyInstance): void {
  const coercing = makeAjv('array');
  const strict = makeAjv(false);
  app.setValidatorCompiler<FastifySchema>(({ schema, httpPart }) =>
    httpPart === 'body'
      ? strict.compile(schema as object)
      : strictNumbers(schema, coercing.compile(schema as object)),
  );
}
