import * as z from 'zod';

type Json = Record<string, unknown>;

/**
 * A zod schema as OpenAPI 3.1 takes it (JSON Schema 2020-12): what a request may send (input
 * side, so defaults are optional and transforms show the text they parse) or what a response
 * carries. Schemas named with `.meta({id})` become `#/components/schemas/<id>`, collected in
 * `components`.
 */
export function toOpenApiSchema(schema: z.ZodType, io: 'input' | 'output', components: Record<string, Json>): Json {
  const converted = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any', reused: 'inline' }) as Json;
  const { $defs, $schema: _schema, ...root } = converted as Json & { $defs?: Record<string, Json> };
  for (const [id, definition] of Object.entries($defs ?? {})) components[id] = rewriteRefs(definition) as Json;
  const result = rewriteRefs(root) as Json;
  // A named schema at the top is itself a component: refer to it.
  const id = (z.globalRegistry.get(schema) as { id?: string } | undefined)?.id;
  if (id) {
    // zod may already have put the named schema in $defs and answered a $ref to it.
    if (result['$ref'] !== `#/components/schemas/${id}`) components[id] = result;
    return { $ref: `#/components/schemas/${id}` };
  }
  return result;
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === '$ref' && typeof inner === 'string' && inner.startsWith('#/$defs/')) out[key] = `#/components/schemas/${inner.slice('#/$defs/'.length)}`;
    // `.meta({id})` names a component; a property called `id` (an object) stays.
    else if (!(key === 'id' && typeof inner === 'string')) out[key] = rewriteRefs(inner);
  }
  return out;
}
