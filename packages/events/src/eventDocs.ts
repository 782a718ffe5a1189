import { eventJsonSchemas } from './jsonSchemas';
import { DETAIL_TYPES } from './schemas';

/** The generated files of docs/events/: one JSON Schema per event (`npm run docs` writes them). */
export function generatedEventDocs(): Record<string, string> {
  const schemas = eventJsonSchemas();
  return Object.fromEntries(DETAIL_TYPES.map((type) => [`${type}.schema.json`, `${JSON.stringify(schemas[type], null, 2)}\n`]));
}
