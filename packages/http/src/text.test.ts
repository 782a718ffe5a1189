import { httpEvent } from './testing';
import { createRouteHandler, json } from './httpHandler';
import { decodeUtf8Strictly, describePath, findIllFormedText, isWellFormedText } from './text';
import * as z from 'zod';
import type { Context } from 'aws-lambda';

describe('strict text', () => {
  it('tells lone surrogates from valid pairs', () => {
    expect(isWellFormedText('a😀b')).toBe(true);
    expect(isWellFormedText('\ud800')).toBe(false);
    expect(isWellFormedText('x\udfffy')).toBe(false);
    expect(isWellFormedText('\ud83d\ude00\ud83d')).toBe(false);
  });

  it('decodes only valid UTF-8', () => {
    expect(decodeUtf8Strictly(Buffer.from('héllo'))).toBe('héllo');
    expect(decodeUtf8Strictly(Buffer.from([0x61, 0xff]))).toBeUndefined();
    expect(decodeUtf8Strictly(Buffer.from([0xed, 0xa0, 0x80]))).toBeUndefined(); // an encoded lone surrogate
  });

  it('finds the path of the first ill-formed key or string, in deep values too', () => {
    expect(findIllFormedText({ a: ['ok', { b: '\ud800' }] })).toEqual(['a', 1, 'b']);
    expect(findIllFormedText({ ['k\udc00']: 'v' })).toEqual(['k\udc00']);
    expect(findIllFormedText('\ud800')).toEqual([]);
    expect(findIllFormedText({ a: 1, b: [true, null, 'fine'] })).toBeUndefined();
    let deep: unknown = '\ud800';
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    expect(findIllFormedText(deep)).toHaveLength(100_000);
    expect(describePath(['encryption_context', 'k\ud800'])).toBe('encryption_context.k\\ud800');
  });
});

describe('validateInput', () => {
  const handler = createRouteHandler({
    route: { scopes: [] },
    tenantClaim: 'tenant_id',
    input: { body: z.object({ value: z.string() }).strict(), queryStringParameters: z.object({ q: z.string().optional() }).strict() },
    handle: async ({ input }) => json(200, input.body),
  });
  const claims = { sub: 'u', tenant_id: 'acme' };
  const post = async (body: string, options: { base64?: boolean; query?: Record<string, string>; contentType?: string } = {}) => {
    const headers = { 'content-type': options.contentType ?? 'application/json' };
    const event = { ...httpEvent('POST /x', { claims, query: options.query, headers }), body, isBase64Encoded: !!options.base64 };
    const result = await handler(event, {} as Context);
    return { status: result.statusCode, body: JSON.parse(result.body ?? '{}') as { message?: string; errorCode?: string; value?: string } };
  };

  it('refuses a body that is not valid UTF-8', async () => {
    const bytes = Buffer.concat([Buffer.from('{"value":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    expect(await post(bytes.toString('base64'), { base64: true })).toEqual({ status: 400, body: expect.objectContaining({ errorCode: 'invalid_body', message: 'Body is not valid UTF-8.' }) });
  });

  it('refuses a lone surrogate anywhere in the body, naming where', async () => {
    const answer = await post('{"value":"\\ud800"}');
    expect(answer).toEqual({ status: 400, body: expect.objectContaining({ errorCode: 'invalid_body' }) });
    expect(answer.body.message).toContain('Body value: is not valid Unicode text');
  });

  it('refuses a lone surrogate in a query parameter', async () => {
    const answer = await post('{"value":"x"}', { query: { q: '\udfff' } });
    expect(answer).toEqual({ status: 400, body: expect.objectContaining({ errorCode: 'invalid_query_string' }) });
  });

  it('accepts valid text, pairs included', async () => {
    expect(await post('{"value":"\\ud83d\\ude00"}')).toEqual({ status: 200, body: { value: '😀' } });
  });

  it.each([
    ['application/json-patch+json', 415],
    ['application/json; charset=utf-16', 415],
    ['text/plain', 415],
    ['application/json; charset="UTF-8"', 200],
    ['Application/JSON', 200],
  ])('takes the content type %s with %d', async (contentType, status) => {
    expect((await post('{"value":"x"}', { contentType })).status).toBe(status);
  });
});
