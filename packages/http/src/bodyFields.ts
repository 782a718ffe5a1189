import * as z from 'zod';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Bytes sent as standard base64 (padding required, no whitespace), decoded to a Buffer; the
 * length limit is checked on the text before anything is decoded.
 */
export function base64Bytes(what: string, { maxBytes, allowEmpty = false }: { maxBytes: number; allowEmpty?: boolean }) {
  const maxChars = Math.ceil(maxBytes / 3) * 4;
  return z
    .string({ message: `is required: ${what}, base64` })
    .min(allowEmpty ? 0 : 1, 'must not be empty')
    .max(maxChars, `is over the size limit: it must decode to at most ${maxBytes} bytes`)
    .regex(BASE64, 'is not valid base64 (standard alphabet, with = padding)')
    .transform((value) => Buffer.from(value, 'base64'))
    .refine((bytes) => bytes.length <= maxBytes, `is over the size limit: it must decode to at most ${maxBytes} bytes`);
}
