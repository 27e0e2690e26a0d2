// Validation against the official v3 Account Provisioning spec
// (../shared/contracts/v3/tsg_account_provisioning_v3.json), compiled with ajv 2020-12
// straight from the document: no schema is retyped here. Concrete paths such as
// /v3/partners/accounts/sg123/offerings are matched to the spec's templated paths.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction, type ErrorObject } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export const projectRoot = resolve(fileURLToPath(import.meta.url), '../../..');
export const v3SpecPath = resolve(projectRoot, '../shared/contracts/v3/tsg_account_provisioning_v3.json');

type Json = Record<string, unknown>;
interface SpecOperation {
  method: string;
  template: string;
  pattern: RegExp;
  pointer: string;
  operation: Json;
}

const SPEC_ID = 'https://contracts.invalid/v3/tsg_account_provisioning_v3.json';
const spec = JSON.parse(readFileSync(v3SpecPath, 'utf8')) as Json;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema(spec, SPEC_ID);

const methods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

const operations: SpecOperation[] = Object.entries(spec.paths as Record<string, Json>).flatMap(([template, item]) =>
  methods
    .filter((m) => item[m] !== undefined)
    .map((m) => ({
      method: m.toUpperCase(),
      template,
      pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
      pointer: `/paths/${escapePointer(template)}/${m}`,
      operation: item[m] as Json,
    })),
);

function at(pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .reduce<unknown>((node, part) => (node as Json | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
}

/** Follows an OpenAPI `$ref` (responses, parameters, request bodies) to its pointer. */
function deref(pointer: string): string {
  const node = at(pointer) as Json | undefined;
  const ref = node?.$ref;
  return typeof ref === 'string' && ref.startsWith('#/') ? deref(ref.slice(1)) : pointer;
}

const validators = new Map<string, ValidateFunction>();
function schemaValidator(pointer: string): ValidateFunction {
  let validate = validators.get(pointer);
  if (!validate) {
    const fragment = pointer.split('/').map(encodeURIComponent).join('/');
    validate = ajv.compile({ $ref: `${SPEC_ID}#${fragment}` });
    validators.set(pointer, validate);
  }
  return validate;
}

function describe(errors: ErrorObject[] | null | undefined, where: string): string[] {
  return (errors ?? []).map((e) => `${where}${e.instancePath || ''} ${e.message ?? 'is invalid'}${e.params && 'allowedValues' in e.params ? ` (${String(e.params.allowedValues)})` : ''}`);
}

function splitPath(path: string): { pathname: string; query: URLSearchParams } {
  const q = path.indexOf('?');
  return { pathname: q === -1 ? path : path.slice(0, q), query: new URLSearchParams(q === -1 ? '' : path.slice(q + 1)) };
}

/** The spec operation a method + concrete path addresses. */
export function findV3Operation(method: string, path: string): { operationId: string; template: string; pointer: string } | undefined {
  const { pathname } = splitPath(path);
  const op = operations.find((o) => o.method === method.toUpperCase() && o.pattern.test(pathname));
  return op ? { operationId: String(op.operation.operationId), template: op.template, pointer: op.pointer } : undefined;
}

const isEmpty = (body: unknown) => body === undefined || body === null || body === '';

/** Raw text is parsed as JSON; anything else is taken as already parsed. */
function asJson(body: unknown): { ok: true; value: unknown } | { ok: false } {
  if (typeof body !== 'string') return { ok: true, value: body };
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch {
    return { ok: false };
  }
}

function validateJsonContent(content: Json | undefined, pointer: string, body: unknown, where: string): string[] {
  const json = content?.['application/json'] as Json | undefined;
  if (!json?.schema) return isEmpty(body) ? [] : [`${where} must be empty (the spec declares no content)`];
  if (isEmpty(body)) return [`${where} is missing (the spec declares JSON content)`];
  const parsed = asJson(body);
  if (!parsed.ok) return [`${where} is not valid JSON`];
  const validate = schemaValidator(`${pointer}/content/application~1json/schema`);
  return validate(parsed.value) ? [] : describe(validate.errors, where);
}

/**
 * Problems with an answer to `method path` (empty = valid). `body` is the parsed JSON, or the raw
 * text (parsed here; '' or undefined for an empty body). An undeclared status is a problem.
 */
export function validateV3Response(method: string, path: string, status: number, body: unknown): string[] {
  const op = findV3Operation(method, path);
  if (!op) return [`${method.toUpperCase()} ${path} is not an operation of the spec`];
  const responses = (at(op.pointer) as Json).responses as Json;
  if (responses[String(status)] === undefined)
    return [`${op.operationId}: status ${status} is not declared (declared: ${Object.keys(responses).join(', ')})`];
  const pointer = deref(`${op.pointer}/responses/${status}`);
  return validateJsonContent((at(pointer) as Json).content as Json | undefined, pointer, body, `${op.operationId} ${status} body`);
}

/**
 * Problems with a request the spec would receive: the method + path must be an operation, the
 * query (if the path carries one) must use declared parameters, and the body must match the
 * declared request body (or be empty when none is declared).
 */
export function validateV3Request(method: string, path: string, body: unknown): string[] {
  const op = findV3Operation(method, path);
  if (!op) return [`${method.toUpperCase()} ${path} is not an operation of the spec`];
  const problems = validateQuery(op.pointer, op.operationId, splitPath(path).query);
  const operation = at(op.pointer) as Json;
  if (operation.requestBody === undefined) {
    if (!isEmpty(body)) problems.push(`${op.operationId}: the spec declares no request body`);
    return problems;
  }
  const pointer = deref(`${op.pointer}/requestBody`);
  return [...problems, ...validateJsonContent((at(pointer) as Json).content as Json | undefined, pointer, body, `${op.operationId} request body`)];
}

/** A request as the simulator records it (`sim.requests`). */
export function validateRecordedV3Request(r: { method: string; path: string; query: Record<string, string | string[]>; body: unknown }): string[] {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(r.query)) for (const value of [v].flat()) query.append(k, value);
  const qs = query.toString();
  return validateV3Request(r.method, qs ? `${r.path}?${qs}` : r.path, r.body);
}

/** An error body against the spec's shared response for that status (for paths outside the operations). */
export function validateV3ErrorBody(status: number, body: unknown): string[] {
  const pointer = `/components/responses/AccountProvisioningErrorResponse${status}`;
  if (at(pointer) === undefined) return [`the spec declares no error response for ${status}`];
  return validateJsonContent((at(pointer) as Json).content as Json, pointer, body, `${status} body`);
}

function validateQuery(opPointer: string, operationId: string, query: URLSearchParams): string[] {
  const params = ((at(opPointer) as Json).parameters as Json[] | undefined) ?? [];
  const declared = new Map<string, string>();
  params.forEach((_, i) => {
    const pointer = deref(`${opPointer}/parameters/${i}`);
    const p = at(pointer) as Json;
    if (p.in === 'query') declared.set(String(p.name), `${pointer}/schema`);
  });
  const problems: string[] = [];
  for (const name of new Set(query.keys())) {
    const schemaPointer = declared.get(name);
    if (!schemaPointer) {
      problems.push(`${operationId}: query parameter "${name}" is not declared`);
      continue;
    }
    const values = query.getAll(name);
    if (values.length > 1) problems.push(`${operationId}: query parameter "${name}" is repeated`);
    const schema = at(schemaPointer) as Json;
    const raw = values[0] ?? '';
    const value = schema.type === 'integer' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
    const validate = schemaValidator(schemaPointer);
    if (!validate(value)) problems.push(...describe(validate.errors, `${operationId} query ${name}`));
  }
  return problems;
}
