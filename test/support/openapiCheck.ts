import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Checks a request against GitHub's published OpenAPI description (`@octokit/openapi`,
 * `api.github.com.json`, loaded once): the method and path template, the query parameters and
 * the JSON body against the operation's `requestBody` schema. The validator covers the subset of
 * JSON Schema GitHub's description uses: `$ref`, `type` (also lists), `nullable`, `enum`,
 * `required`, `properties`, `additionalProperties: false`, `items`, `oneOf`/`anyOf`/`allOf`,
 * lengths, `minimum`/`maximum` and `pattern` (formats are not checked). `oneOf` passes when any
 * branch fits: GitHub's branches overlap (e.g. a string or a list of strings), and its server does
 * not refuse a body for fitting two. Errors name the field, never its value (report text).
 */
export type RequestCheck =
  | { ok: true; operationId: string; template: string }
  | { ok: false; status: 404 }
  | { ok: false; status: 422; operationId: string; template: string; errors: string[] };

type Schema = Record<string, unknown>;

interface Operation {
  operationId: string;
  parameters?: Schema[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
}

interface Description {
  paths: Record<string, Record<string, unknown>>;
  components: Record<string, Record<string, unknown>>;
}

interface Route {
  template: string;
  pattern: RegExp;
  names: string[];
  item: Record<string, unknown>;
}

/**
 * GitHub's advisory comments API (public preview since 2026-10-02) is not in `@octokit/openapi`
 * 23.0.2. Its four operations, written in the description's own shape so that requests to them
 * are checked like every other: the routes, the `since` (update time) and paging parameters and
 * the `{ body }` request come from GitHub's changelog and a client verified live against GitHub
 * on that day; the parameters reuse the description's shared ones. Used only while the package
 * lacks the paths: once it has them, its own entries win.
 */
const PREVIEW_PATHS: Record<string, Record<string, unknown>> = {
  '/repos/{owner}/{repo}/security-advisories/{ghsa_id}/comments': {
    parameters: ['owner', 'repo', 'ghsa_id'].map(shared),
    get: {
      operationId: 'security-advisories/list-repository-advisory-comments',
      parameters: ['since', 'per-page', 'page'].map(shared),
    },
    post: {
      operationId: 'security-advisories/create-repository-advisory-comment',
      requestBody: commentBody(),
    },
  },
  '/repos/{owner}/{repo}/security-advisories/{ghsa_id}/comments/{comment_id}': {
    parameters: ['owner', 'repo', 'ghsa_id', 'comment-id'].map(shared),
    get: { operationId: 'security-advisories/get-repository-advisory-comment' },
    patch: {
      operationId: 'security-advisories/update-repository-advisory-comment',
      requestBody: commentBody(),
    },
  },
};

function shared(name: string): Schema {
  return { $ref: `#/components/parameters/${name}` };
}

function commentBody(): Record<string, unknown> {
  const schema = {
    type: 'object',
    properties: { body: { type: 'string', minLength: 1 } },
    required: ['body'],
    additionalProperties: false,
  };
  return { required: true, content: { 'application/json': { schema } } };
}

let loaded: { description: Description; routes: Route[] } | undefined;

function description(): { description: Description; routes: Route[] } {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Description;
  parsed.paths = { ...PREVIEW_PATHS, ...parsed.paths };
  const routes = Object.entries(parsed.paths).map(([template, item]) => {
    const names: string[] = [];
    const source = template
      .split('/')
      .map((segment) =>
        segment.replace(/\{([^}]+)\}|[^{]+/g, (part, name: string | undefined) => {
          if (name === undefined) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
          names.push(name);
          return '([^/]+)';
        }),
      )
      .join('/');
    return { template, pattern: new RegExp(`^${source}$`), names, item };
  });
  // Literal segments win over parameters (`/releases/latest` before `/releases/{release_id}`).
  routes.sort((a, b) => a.names.length - b.names.length);
  loaded = { description: parsed, routes };
  return loaded;
}

export function checkRequest(
  method: string,
  path: string,
  query: URLSearchParams | Record<string, string>,
  body: unknown,
): RequestCheck {
  const { routes } = description();
  const params = query instanceof URLSearchParams ? query : new URLSearchParams(query);
  const verb = method.toLowerCase();
  let found: { route: Route; values: string[] } | undefined;
  for (const route of routes) {
    const match = route.pattern.exec(path);
    if (match && route.item[verb]) {
      found = { route, values: match.slice(1) };
      break;
    }
  }
  if (!found) return { ok: false, status: 404 };
  const { route, values } = found;
  const operation = route.item[verb] as Operation;
  const errors: string[] = [];
  const parameters = [
    ...((route.item['parameters'] as Schema[] | undefined) ?? []),
    ...(operation.parameters ?? []),
  ].map((p) => resolve(p));

  route.names.forEach((name, index) => {
    const parameter = parameters.find((p) => p['in'] === 'path' && p['name'] === name);
    const value = decode(values[index] ?? '');
    if (parameter?.['schema']) {
      validate(
        coerce(value, resolve(parameter['schema'] as Schema)),
        parameter['schema'] as Schema,
        name,
        errors,
      );
    }
  });
  const known = parameters.filter((p) => p['in'] === 'query');
  for (const [name, value] of params) {
    const parameter = known.find((p) => p['name'] === name);
    if (!parameter) {
      errors.push(`For '${name}', the query parameter is not one of this operation's.`);
      continue;
    }
    const schema = parameter['schema'] as Schema | undefined;
    if (schema) validate(coerce(value, resolve(schema)), schema, name, errors);
  }
  for (const parameter of known) {
    if (parameter['required'] === true && !params.has(String(parameter['name']))) {
      errors.push(`For '${String(parameter['name'])}', the query parameter is required.`);
    }
  }

  const schema = operation.requestBody?.content?.['application/json']?.schema;
  const empty = body === undefined || (isRecord(body) && Object.keys(body).length === 0);
  if (schema) {
    if (body === undefined) {
      if (operation.requestBody?.required) errors.push('The request body is required.');
    } else {
      validate(body, schema, '', errors);
    }
  } else if (!empty) {
    errors.push('This operation takes no request body.');
  }
  const operationId = operation.operationId;
  if (errors.length > 0) {
    return { ok: false, status: 422, operationId, template: route.template, errors };
  }
  return { ok: true, operationId, template: route.template };
}

function resolve(schema: Schema): Schema {
  let current = schema;
  for (let depth = 0; typeof current['$ref'] === 'string' && depth < 20; depth++) {
    const ref = current['$ref'];
    if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
    let target: unknown = description().description;
    for (const part of ref.slice(2).split('/')) {
      target = (target as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    }
    if (!isRecord(target)) throw new Error(`unresolved $ref ${ref}`);
    current = target;
  }
  return current;
}

/** Query and path values are text: read them as the schema's type. */
function coerce(value: string, schema: Schema): unknown {
  const type = schema['type'];
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(value)) {
    return Number(value);
  }
  if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function fits(type: string, actual: string): boolean {
  return type === actual || (type === 'number' && actual === 'integer');
}

function where(at: string): string {
  return at === '' ? 'the body' : `'${at}'`;
}

function validate(value: unknown, raw: Schema, at: string, errors: string[]): void {
  const schema = resolve(raw);
  const actual = typeOf(value);
  if (value === null && schema['nullable'] === true) return;
  for (const key of ['oneOf', 'anyOf'] as const) {
    const branches = schema[key] as Schema[] | undefined;
    if (!branches) continue;
    const fitting = branches.some((branch) => {
      const inner: string[] = [];
      validate(value, branch, at, inner);
      return inner.length === 0;
    });
    if (!fitting) errors.push(`For ${where(at)}, the value fits none of ${key}.`);
  }
  for (const branch of (schema['allOf'] as Schema[] | undefined) ?? []) {
    validate(value, branch, at, errors);
  }
  const declared = schema['type'];
  if (declared !== undefined) {
    const types = Array.isArray(declared) ? (declared as string[]) : [String(declared)];
    if (!types.some((t) => fits(t, actual))) {
      errors.push(`For ${where(at)}, the value is not of type ${types.join(' or ')}.`);
      return;
    }
  }
  const choices = schema['enum'] as unknown[] | undefined;
  if (choices && !choices.some((c) => c === value)) {
    errors.push(`For ${where(at)}, the value is not a member of enum.`);
  }
  if (typeof value === 'string') {
    const min = schema['minLength'] as number | undefined;
    const max = schema['maxLength'] as number | undefined;
    if (min !== undefined && value.length < min) {
      errors.push(`For ${where(at)}, the value is shorter than ${min}.`);
    }
    if (max !== undefined && value.length > max) {
      errors.push(`For ${where(at)}, the value is longer than ${max}.`);
    }
    const pattern = schema['pattern'] as string | undefined;
    if (pattern !== undefined && !new RegExp(pattern, 'u').test(value)) {
      errors.push(`For ${where(at)}, the value does not match ${pattern}.`);
    }
  }
  if (typeof value === 'number') {
    const min = schema['minimum'] as number | undefined;
    const max = schema['maximum'] as number | undefined;
    if (min !== undefined && value < min)
      errors.push(`For ${where(at)}, the value is below ${min}.`);
    if (max !== undefined && value > max)
      errors.push(`For ${where(at)}, the value is above ${max}.`);
  }
  if (Array.isArray(value)) {
    const min = schema['minItems'] as number | undefined;
    const max = schema['maxItems'] as number | undefined;
    if (min !== undefined && value.length < min) {
      errors.push(`For ${where(at)}, the list has fewer than ${min} items.`);
    }
    if (max !== undefined && value.length > max) {
      errors.push(`For ${where(at)}, the list has more than ${max} items.`);
    }
    const items = schema['items'] as Schema | undefined;
    if (items) value.forEach((item, index) => validate(item, items, `${at}[${index}]`, errors));
  }
  if (isRecord(value)) {
    const properties = (schema['properties'] as Record<string, Schema> | undefined) ?? {};
    for (const name of (schema['required'] as string[] | undefined) ?? []) {
      if (!(name in value)) errors.push(`For ${where(at)}, "${name}" is a required key.`);
    }
    const additional = schema['additionalProperties'];
    for (const [name, item] of Object.entries(value)) {
      const child = at === '' ? name : `${at}.${name}`;
      const property = properties[name];
      if (property) validate(item, property, child, errors);
      else if (additional === false) errors.push(`For '${child}', the key is not allowed.`);
      else if (isRecord(additional)) validate(item, additional, child, errors);
    }
  }
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
