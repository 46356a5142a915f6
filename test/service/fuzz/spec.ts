// The operations openapi.yaml describes, and validators for every response it declares: the
// fuzzer generates requests from the former and judges every answer by the latter.
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';

export type Schema = Record<string, unknown>;

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Schema;
}

export interface Operation {
  method: string;
  /** The OpenAPI path, with {id} placeholders. */
  path: string;
  parameters: Parameter[];
  /** Request body schema per content type; empty when the operation takes none. */
  bodies: Record<string, Schema>;
  /** Declared response statuses, each with its JSON validator (null: no JSON body). */
  responses: Map<number, ValidateFunction | null>;
}

export interface ApiSpec {
  operations: Operation[];
  /** `#/components/schemas/X` references resolved against the document. */
  resolve(schema: Schema): Schema;
  /** The one error shape, for answers from no operation (unknown routes and methods). */
  error: ValidateFunction;
}

const DOCUMENT_ID = 'openapi';

/** `$ref`s in `value` made absolute, so ajv resolves them against the registered document. */
function absoluteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(absoluteRefs);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' && v.startsWith('#') ? `${DOCUMENT_ID}${v}` : absoluteRefs(v)]),
  );
}

export function loadSpec(file: string): ApiSpec {
  const document = parse(readFileSync(file, 'utf8')) as {
    paths: Record<string, Record<string, Record<string, unknown>>>;
    components: { schemas: Record<string, Schema> };
  };
  // OpenAPI 3.1 schemas are JSON Schema 2020-12 plus annotations ajv need not know.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: DOCUMENT_ID, components: absoluteRefs(document.components) });
  const compile = (schema: unknown) => ajv.compile(absoluteRefs(schema) as Schema);
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const content = (op.requestBody as { content?: Record<string, { schema: Schema }> } | undefined)?.content ?? {};
      const responses = new Map<number, ValidateFunction | null>();
      for (const [status, response] of Object.entries((op.responses ?? {}) as Record<string, { content?: Record<string, { schema: Schema }> }>)) {
        const json = response.content?.['application/json']?.schema;
        responses.set(Number(status), json ? compile(json) : null);
      }
      operations.push({
        method: method.toUpperCase(),
        path,
        parameters: (op.parameters ?? []) as Parameter[],
        bodies: Object.fromEntries(Object.entries(content).map(([type, { schema }]) => [type, schema])),
        responses,
      });
    }
  }
  const resolve = (schema: Schema): Schema => {
    const ref = schema.$ref;
    if (typeof ref !== 'string') return schema;
    return resolve(document.components.schemas[ref.replace('#/components/schemas/', '')]);
  };
  return { operations, resolve, error: compile({ $ref: '#/components/schemas/Error' }) };
}
