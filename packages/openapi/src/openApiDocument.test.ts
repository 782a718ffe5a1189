import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { ROUTES } from '@keyledger/http';
import { openApiDocument, openApiJson } from './openApiDocument';

const ROOT = join(__dirname, '..', '..', '..');
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('the OpenAPI document', () => {
  const document = openApiDocument('0.0.0') as Json;

  it('docs/openapi.json is what the route table and the contracts generate (run `npm run docs` after changing them)', () => {
    expect(readFileSync(join(ROOT, 'docs', 'openapi.json'), 'utf8')).toBe(openApiJson());
  });

  it('has every route of the route table, with its scopes, and an Idempotency-Key on every POST and PUT', () => {
    for (const route of ROUTES) {
      const operation = document['paths'][route.path]?.[route.method.toLowerCase()];
      expect(operation).toMatchObject({ operationId: route.operation, security: [{ bearer: [...route.scopes] }], tags: [route.service] });
      const headers = (operation.parameters ?? []).filter((parameter: Json) => parameter['in'] === 'header').map((parameter: Json) => parameter['name']);
      expect(headers).toEqual(route.method === 'POST' || route.method === 'PUT' ? ['Idempotency-Key'] : []);
    }
    const operations = Object.values(document['paths'] as Json).flatMap((methods) => Object.keys(methods));
    expect(operations).toHaveLength(ROUTES.length);
  });

  it('documents path parameters as required and the log search as `q` and `search`', () => {
    const getKey = document['paths']['/api/v2/keys/encryption/{kid}']['get'];
    expect(getKey.parameters).toEqual([expect.objectContaining({ name: 'kid', in: 'path', required: true })]);
    const names = document['paths']['/api/v2/logs']['get'].parameters.map((parameter: Json) => parameter['name']);
    expect(names).toEqual(expect.arrayContaining(['q', 'search', 'page', 'per_page', 'include_totals', 'sort', 'from', 'take']));
  });

  it('holds only schemas JSON Schema 2020-12 compiles, and every $ref resolves', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema(document, 'openapi');
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/([^"]+)"/g)].map((match) => match[1]!);
    expect(refs.length).toBeGreaterThan(50);
    for (const ref of new Set(refs)) {
      const target = ref.split('/').reduce<Json | undefined>((node, part) => node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], document);
      expect([ref, target !== undefined]).toEqual([ref, true]);
    }
    for (const name of Object.keys(document['components']['schemas'])) expect(() => ajv.compile({ $ref: `openapi#/components/schemas/${name}` })).not.toThrow();
  });
});
