// The bridge's own OpenAPI description (openapi.json): concrete requests matched to its operations,
// answers validated against its response schemas (ajv 2020-12, straight from the document), and
// curl command lines checked against its paths, methods and parameters.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse as parseShell } from 'shell-quote';
import { projectRoot } from './bridge.js';

type Json = Record<string, any>;

export const openApiFile = join(projectRoot, 'openapi.json');
export const openApi = JSON.parse(readFileSync(openApiFile, 'utf8')) as Json;

const DOC_ID = 'https://reseller-bridge.invalid/openapi.json';
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema(openApi, DOC_ID);

const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const resolveRef = (node: Json): Json => (typeof node?.$ref === 'string' ? resolveRef(pointerAt(node.$ref.slice(1))) : node);
function pointerAt(pointer: string): Json {
  return pointer
    .split('/')
    .slice(1)
    .reduce<any>((node, part) => node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], openApi);
}

export interface Operation {
  template: string;
  method: string;
  operation: Json;
  /** Path parameters by name, from the concrete path. */
  pathParams: Record<string, string>;
}

/** The operation serving `method path` (no query), or undefined. Literal paths win over templated ones. */
export function findOperation(method: string, path: string): Operation | undefined {
  const templates = Object.keys(openApi.paths).sort((a, b) => Number(a.includes('{')) - Number(b.includes('{')));
  for (const template of templates) {
    const names: string[] = [];
    const pattern = new RegExp(
      `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_m, name: string) => (names.push(name), '([^/]+)'))}$`,
    );
    const match = pattern.exec(path);
    const operation = openApi.paths[template][method.toLowerCase()];
    if (!match || !operation) continue;
    const pathParams = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(match[i + 1]!)]));
    const enums = parametersOf(operation).filter((p) => p.in === 'path' && p.schema?.enum);
    if (enums.every((p) => p.schema.enum.includes(pathParams[p.name]))) return { template, method, operation, pathParams };
  }
  return undefined;
}

export const parametersOf = (operation: Json): Json[] => (operation.parameters ?? []).map(resolveRef);

/** Problems of an answer against the operation's declared response (status, media type, schema). */
export function answerProblems(method: string, path: string, status: number, contentType: string | undefined, body: string): string[] {
  const found = findOperation(method, path);
  if (!found) return [`${method} ${path}: no such operation in openapi.json`];
  const response = found.operation.responses[String(status)] ?? found.operation.responses.default;
  if (!response) return [`${method} ${path}: status ${status} is not declared`];
  const pointer = `/paths/${escapePointer(found.template)}/${method.toLowerCase()}/responses/${status}`;
  const declared = resolveRef(response);
  const essence = (type: string) => type.split(';')[0]!.trim().toLowerCase();
  const media = Object.keys(declared.content ?? {}).find((t) => essence(t) === essence(contentType ?? ''));
  if (!media) return [`${method} ${path} ${status}: content type ${contentType} is not declared (${Object.keys(declared.content ?? {}).join(', ')})`];
  if (essence(media) !== 'application/json' && !essence(media).endsWith('+json')) return [];
  const base = typeof response.$ref === 'string' ? response.$ref : `#${pointer}`;
  const validate = validatorFor(`${DOC_ID}${base}/content/${escapePointer(media)}/schema`);
  return validate(JSON.parse(body)) ? [] : (validate.errors ?? []).map((e) => `${method} ${path} ${status}: ${e.instancePath || '/'} ${e.message}`);
}

const validators = new Map<string, ValidateFunction>();
function validatorFor(ref: string): ValidateFunction {
  let validate = validators.get(ref);
  if (!validate) validators.set(ref, (validate = ajv.compile({ $ref: ref })));
  return validate;
}

export interface CurlRequest {
  method: string;
  /** Host and port as written (`localhost:3000`). */
  host: string;
  path: string;
  query: [string, string][];
  form: [string, string][];
  headers: Record<string, string>;
}

/** A README curl line as a request: method, URL, `-d` form body, `-H` headers. */
export function parseCurl(line: string): CurlRequest {
  const words = parseShell(line).filter((w): w is string => typeof w === 'string');
  let method: string | undefined;
  let url = '';
  const data: string[] = [];
  const headers: Record<string, string> = {};
  for (let i = 1; i < words.length; i++) {
    const word = words[i]!;
    if (word === '-d' || word === '--data') data.push(words[++i]!);
    else if (word === '-H') {
      const [name, ...value] = words[++i]!.split(':');
      headers[name!.trim().toLowerCase()] = value.join(':').trim();
    } else if (word === '-X') method = words[++i];
    else if (word === '-w' || word === '-o') i++;
    else if (!word.startsWith('-')) url = word;
  }
  const parsed = new URL(url.includes('://') ? url : `http://${url}`);
  const pairs = (text: string): [string, string][] =>
    text
      .split('&')
      .filter(Boolean)
      .map((pair) => {
        const [key, ...value] = pair.split('=');
        const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
        return [decode(key!), decode(value.join('='))];
      });
  return {
    method: method ?? (data.length ? 'POST' : 'GET'),
    host: parsed.host,
    path: parsed.pathname,
    query: pairs(parsed.search.slice(1)),
    form: data.flatMap(pairs),
    headers,
  };
}

/** What a curl line asks that openapi.json does not declare: path, method, parameter names and enumerated values, headers. */
export function curlProblems(line: string): string[] {
  const request = parseCurl(line);
  const found = findOperation(request.method, request.path);
  if (!found) return [`${request.method} ${request.path}: no such operation in openapi.json`];
  const problems: string[] = [];
  const servers = (openApi.paths[found.template].servers ?? openApi.servers) as { url: string }[];
  if (!servers.some((server) => new URL(server.url).host === request.host))
    problems.push(`${request.method} ${found.template}: served on ${servers.map((s) => s.url).join(', ')}, not ${request.host}`);
  const parameters = parametersOf(found.operation);
  const bodySchema = resolveRef(found.operation.requestBody ?? {}).content?.['application/x-www-form-urlencoded']?.schema;
  // `ip[0]=a` and `ip=a` are forms of the declared `ip[]`.
  const declaredName = (names: string[], key: string) => [key, key.replace(/\[\d*\]$/, '[]'), `${key}[]`].find((k) => names.includes(k));
  const check = (where: string, pairs: [string, string][], schemaOf: (name: string) => Json | undefined, names: string[]) => {
    for (const [key, value] of pairs) {
      const name = declaredName(names, key);
      if (!name) {
        problems.push(`${request.method} ${found.template}: ${where} parameter ${key} is not declared`);
        continue;
      }
      const schema = schemaOf(name);
      const allowed = schema?.enum ?? schema?.items?.enum;
      if (allowed && !allowed.includes(value)) problems.push(`${request.method} ${found.template}: ${key}=${value} is not one of ${allowed.join(', ')}`);
    }
  };
  const queryParams = parameters.filter((p) => p.in === 'query');
  check('query', request.query, (n) => queryParams.find((p) => p.name === n)?.schema, queryParams.map((p) => p.name));
  if (request.form.length) {
    if (!bodySchema) problems.push(`${request.method} ${found.template}: no form body is declared`);
    else check('form', request.form, (n) => bodySchema.properties?.[n], Object.keys(bodySchema.properties ?? {}));
  }
  const schemes = openApi.components.securitySchemes as Json;
  const headerNames = [
    ...parameters.filter((p) => p.in === 'header').map((p) => p.name.toLowerCase()),
    ...(found.operation.security ?? []).flatMap((requirement: Json) =>
      Object.keys(requirement).map((s) => (schemes[s].in === 'header' ? schemes[s].name.toLowerCase() : schemes[s].type === 'http' ? 'authorization' : undefined)),
    ),
  ];
  for (const header of Object.keys(request.headers))
    if (!headerNames.includes(header)) problems.push(`${request.method} ${found.template}: header ${header} is not declared`);
  return problems;
}
