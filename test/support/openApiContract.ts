/**
 * The contract test (setupFilesAfterEnv of the e2e project): every response the e2e suites get
 * from a keyledger server over `fetch` is checked against docs/openapi.json — its status must be
 * one the operation documents (or an error under `default`), and its JSON body must match that
 * response's schema. A suite with any response off the contract fails in afterAll, listing them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { matchRoute } from '@keyledger/http';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const document = JSON.parse(readFileSync(join(__dirname, '..', '..', 'docs', 'openapi.json'), 'utf8')) as Json;
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: false });
ajv.addSchema(document, 'openapi');

const pointer = (...parts: string[]) => parts.map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
const validators = new Map<string, ValidateFunction | null>();

/** The validator of one documented response's body (null: it has none), or undefined if the status is not documented. */
function responseValidator(path: string, method: string, status: number): ValidateFunction | null | undefined {
  const key = `${method} ${path} ${status}`;
  if (validators.has(key)) return validators.get(key);
  const responses = document['paths'][path]?.[method]?.['responses'] as Json | undefined;
  const name = responses?.[String(status)] ? String(status) : status >= 400 && responses?.['default'] ? 'default' : undefined;
  if (!responses || !name) return undefined;
  let location = `#/${pointer('paths', path, method, 'responses', name)}`;
  let response = responses[name] as Json;
  if (typeof response['$ref'] === 'string') {
    location = response['$ref'];
    response = document['components']['responses'][location.split('/').pop()!];
  }
  const validator = response['content']?.['application/json'] ? ajv.compile({ $ref: `openapi${location}/content/application~1json/schema` }) : null;
  validators.set(key, validator);
  return validator;
}

const violations: string[] = [];
let checked = 0;

async function check(method: string, url: URL, response: Response): Promise<void> {
  const match = matchRoute(method, url.pathname);
  if (match.kind !== 'match') return;
  const where = `${method} ${url.pathname}${url.search} → ${response.status}`;
  const validator = responseValidator(match.route.path, method.toLowerCase(), response.status);
  checked += 1;
  if (validator === undefined) {
    violations.push(`${where}: status not documented for ${method} ${match.route.path}`);
    return;
  }
  const text = await response.text();
  if (validator === null) {
    if (text !== '') violations.push(`${where}: documented without a body, answered ${text.slice(0, 200)}`);
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    violations.push(`${where}: body is not JSON: ${text.slice(0, 200)}`);
    return;
  }
  if (!validator(body)) violations.push(`${where}: ${ajv.errorsText(validator.errors)} in ${text.slice(0, 300)}`);
}

const originalFetch = globalThis.fetch;
globalThis.fetch = async function contractCheckedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const response = await originalFetch(input, init);
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.hostname === '127.0.0.1' || url.hostname === 'localhost') {
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    await check(method, url, response.clone());
  }
  return response;
};

afterAll(() => {
  if (violations.length > 0) {
    throw new Error(`${violations.length} of ${checked} responses do not match docs/openapi.json:\n  ${violations.slice(0, 20).join('\n  ')}`);
  }
});
