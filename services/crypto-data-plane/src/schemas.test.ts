import { encryptBody, getSecretQuery, rotateSecretBody } from './schemas';

describe('encryption_context', () => {
  const parse = (text: string) => encryptBody.safeParse(JSON.parse(text));

  it.each(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'])('keeps a %s key as an own entry, so it binds', (key) => {
    const result = parse(`{"plaintext":"","encryption_context":{"${key}":"tenant-b","a":"1"}}`);

    expect(result.success).toBe(true);
    const context = result.data!.encryption_context!;
    expect(Object.keys(context).sort()).toEqual([key, 'a'].sort());
    expect(Object.getOwnPropertyDescriptor(context, key)?.value).toBe('tenant-b');
    expect(Object.getPrototypeOf(context)).toBeNull();
  });

  it.each([
    ['{"__proto__":{"x":"y"}}', 'encryption_context.__proto__: values must be strings'],
    ['{"a":1}', 'encryption_context.a: values must be strings'],
    ['{"":"x"}', 'keys must not be empty'],
    ['{"a":"\\ud800"}', 'values must be valid Unicode text'],
    ['{"\\udc00":"a"}', 'keys must be valid Unicode text'],
    ['["a"]', 'must be a JSON object'],
    ['null', 'must be a JSON object'],
    ['"text"', 'must be a JSON object'],
  ])('refuses %s', (context, message) => {
    const result = parse(`{"plaintext":"","encryption_context":${context}}`);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')).toContain(message.replace(/^encryption_context\./, 'encryption_context.'));
  });

  it('applies the same rules to the context of a read in the query string', () => {
    const ok = getSecretQuery.safeParse({ encryption_context: '{"__proto__":"b"}' });
    const bad = getSecretQuery.safeParse({ encryption_context: '{"__proto__":{}}' });

    expect(Object.getOwnPropertyDescriptor(ok.data!.encryption_context, '__proto__')?.value).toBe('b');
    expect(bad.success).toBe(false);
  });
});

describe('rotate', () => {
  it.each(['a', 'aa', 'ab'.repeat(129)])('refuses the alphabet %j', (characters) => {
    expect(rotateSecretBody.safeParse({ characters }).success).toBe(false);
  });
});
