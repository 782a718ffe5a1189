import fc from 'fast-check';

/** Pieces attackers reach for: encodings, prototype keys, query syntax, wildcards, overlong text. */
const PIECES = [
  '\ud800',
  '\udfff',
  '\ud800\udbff',
  '\ufffd',
  '\u0000',
  '😀',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '*?*?*?*?*?*?x',
  '*',
  '?',
  'NOT',
  'AND',
  'OR',
  '&&',
  '||',
  '(',
  ')',
  '((((((((((',
  '"',
  '\\',
  '[a TO b]',
  '{* TO *}',
  '/.*/',
  '~2',
  '^3',
  'type:',
  'log_id:',
  'date:[2026-01-01 TO *]',
  '..',
  '/',
  '%',
  '%ff',
  '%ED%A0%80',
  '%00',
  '%2F',
  '%25',
  '+',
  '=',
  '&',
  ' ',
  '\n',
  'a'.repeat(300),
] as const;

const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 6 }).map((parts) => parts.join('')) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)), minLength: 1, maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom('default', 'secrets', 'db.password', 'x', '1', '0', '-1', '1e309', 'true', 'null', 'P1D', 'PT0S', 'date:-1') },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 300_000 }).map((length) => 'A'.repeat(length)) },
);

/** Text as the bytes of a URL component: UTF-8 percent-encoded (a lone surrogate as U+FFFD), or raw escapes. */
function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).padStart(2, '0')}`)).join('');
}

const rawEscape = fc.constantFrom('%ff', '%ED%A0%80', '%C0%AF', '%', '%zz', '%00', '%2e%2e', '%2F');

export const hostilePathValue = fc.oneof(
  { weight: 4, arbitrary: hostileString.filter((text) => text.length > 0).map((text) => percentEncode(text.slice(0, 2_000))) },
  { weight: 1, arbitrary: fc.array(rawEscape, { minLength: 1, maxLength: 3 }).map((parts) => `a${parts.join('')}`) },
);

const QUERY_KEYS = ['q', 'page', 'per_page', 'include_totals', 'at', 'sort', 'fields', 'include_fields', 'from', 'take', 'namespace', 'version', 'encryption_context', '__proto__', 'constructor', 'search'];

const queryValue = fc.oneof(
  { weight: 4, arbitrary: hostileString.map((text) => percentEncode(text.slice(0, 2_100))) },
  { weight: 1, arbitrary: rawEscape },
  { weight: 1, arbitrary: fc.constantFrom('{"__proto__":"x"}', '{"a":"\\ud800"}', '{"a":{"b":1}}', '[]', 'null').map(percentEncode) },
);

/** A raw query string: known and hostile keys, repeated keys, hostile values and raw escapes. */
export const hostileQuery = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS), hostileString.map((text) => percentEncode(text.slice(0, 50)))), queryValue), { minLength: 1, maxLength: 4 })
  .map((pairs) => pairs.map(([key, value]) => `${key}=${value}`).join('&'));

const BODY_KEYS = ['plaintext', 'ciphertext', 'encryption_context', 'batch', 'value', 'expected_version', 'length', 'alphabet', 'characters', 'type', 'wrapped_key', 'oaep_hash', 'auto_retire_after', '__proto__', 'constructor'];

const jsonLeaf = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('aGVsbG8=', '', '====', 'A'.repeat(400_000)),
);

const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, jsonLeaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(fc.oneof(fc.constantFrom(...BODY_KEYS), hostileString), tie('value'), { maxKeys: 4 }),
})).value;

export type HostileBody = { kind: 'json'; value: unknown } | { kind: 'raw'; bytes: Buffer };

const deep = (depth: number, open: string, close: string) => Buffer.from(`${open.repeat(depth)}${close.repeat(depth)}`);

export const hostileBody: fc.Arbitrary<HostileBody> = fc.oneof(
  { weight: 5, arbitrary: fc.dictionary(fc.constantFrom(...BODY_KEYS), jsonValue, { maxKeys: 5 }).map((value) => ({ kind: 'json', value }) as const) },
  { weight: 1, arbitrary: jsonValue.map((value) => ({ kind: 'json', value }) as const) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(
        Buffer.from([0x7b, 0x22, 0x76, 0x61, 0x6c, 0x75, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), // {"value":"\xff\xfe"}
        Buffer.from('{"value":"\xed\xa0\x80"}', 'latin1'), // CESU-8 lone surrogate
        Buffer.from('{"plaintext":"aGVsbG8=","plaintext":"d29ybGQ="}'),
        Buffer.from('{"encryption_context":{"a":"1","a":"2"}}'),
        Buffer.from('{"encryption_context":{"__proto__":{"x":"y"}}}'),
        Buffer.from('{"encryption_context":{"__proto__":"tenant-b"}}'),
        Buffer.from('{"value":"\\ud800"}'),
        Buffer.from('{"characters":"\\ud800\\udbff","length":16}'),
        deep(100_000, '[', ']'),
        deep(50_000, '{"a":', '}'),
        Buffer.alloc(2 * 1024 * 1024, 0x61),
        Buffer.from('not json'),
        Buffer.from(''),
      )
      .map((bytes) => ({ kind: 'raw', bytes }) as const),
  },
);
