import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { generatedEventDocs } from './eventDocs';
import { busEventSchema } from './jsonSchemas';
import { DETAIL_TYPES } from './schemas';

const DOCS = join(__dirname, '..', '..', '..', 'docs', 'events');
const read = (name: string) => readFileSync(join(DOCS, name), 'utf8');

describe('docs/events', () => {
  it('holds exactly the JSON Schemas the zod schemas generate (run `npm run docs` after changing them)', () => {
    for (const [name, content] of Object.entries(generatedEventDocs())) expect(read(name)).toBe(content);
    expect(readdirSync(DOCS).filter((name) => name.endsWith('.schema.json')).sort()).toEqual(Object.keys(generatedEventDocs()).sort());
  });

  it.each(DETAIL_TYPES)('documents %s with an example that both its zod schema and its JSON Schema accept', (type) => {
    const example: unknown = JSON.parse(read(`${type}.example.json`));
    const validate = new Ajv2020({ strict: false, validateFormats: false }).compile(JSON.parse(read(`${type}.schema.json`)));

    expect(busEventSchema(type).safeParse(example).error).toBeUndefined();
    expect(validate(example) ? [] : validate.errors).toEqual([]);
    expect(read('README.md')).toContain(`\`${type}\``);
  });

  it('has schemas that reject what the contract forbids', () => {
    const example = JSON.parse(read('kms_key_state_changed.example.json')) as { detail: Record<string, unknown> };
    const validate = new Ajv2020({ strict: false, validateFormats: false }).compile(JSON.parse(read('kms_key_state_changed.schema.json')));
    const withKey = { ...example, detail: { ...example.detail, plaintext_key: 'AAAA' } };
    const badState = { ...example, detail: { ...example.detail, to: 'deleted' } };

    expect(validate(withKey)).toBe(false);
    expect(validate(badState)).toBe(false);
    expect(busEventSchema('kms_key_state_changed').safeParse(withKey).success).toBe(false);
  });
});
