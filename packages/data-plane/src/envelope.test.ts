import { generateAes256Key, seal } from '@keyledger/crypto';
import fc from 'fast-check';
import {
  dataKeyAad,
  ENVELOPE_FORMAT_VERSION,
  encodeHeader,
  openEnvelope,
  parseEnvelope,
  sealEnvelope,
  WRAPPED_DATA_KEY_BYTES,
} from './envelope';
import { MalformedCiphertextError, UndecryptableError } from './errors';

const kid = '5bc96106-60a3-4410-b5cd-c42a35b10d7f';
const binding = Buffer.from('binding');
const context = Buffer.from('context');

function sealed(plaintext: Buffer) {
  const dataKey = generateAes256Key();
  const header = encodeHeader(kid, seal(generateAes256Key(), dataKey, dataKeyAad({ tenant: 't', namespace: 'n', kid })));
  return { dataKey, envelope: sealEnvelope(dataKey, header, [binding, context], plaintext) };
}

describe('envelope format v1', () => {
  it('lays out magic, version, kid, wrapped data key, IV, body and tag as documented', () => {
    const plaintext = Buffer.from('hello, envelope');
    const { envelope, dataKey } = sealed(plaintext);
    expect(envelope.subarray(0, 2).toString('latin1')).toBe('KL');
    expect(envelope[2]).toBe(ENVELOPE_FORMAT_VERSION);
    expect(envelope[3]).toBe(kid.length);
    expect(envelope.subarray(4, 4 + kid.length).toString('latin1')).toBe(kid);
    expect(envelope).toHaveLength(4 + kid.length + WRAPPED_DATA_KEY_BYTES + 12 + plaintext.length + 16);
    const parsed = parseEnvelope(envelope);
    expect(parsed).toMatchObject({ formatVersion: 1, kid });
    expect(parsed.header.equals(envelope.subarray(0, 4 + kid.length + 60))).toBe(true);
    expect(openEnvelope(dataKey, parsed, [binding, context])).toEqual(plaintext);
    // The binding and the context are both authenticated, in order.
    expect(() => openEnvelope(dataKey, parsed, [context, binding])).toThrow(UndecryptableError);
    expect(() => openEnvelope(dataKey, parsed, [Buffer.concat([binding, context])])).not.toThrow();
  });

  it('says what is wrong with bytes that are not an envelope', () => {
    const { envelope } = sealed(Buffer.from('x'));
    const cases: Array<[Buffer, string]> = [
      [Buffer.from('nope'), 'The ciphertext is not a keyledger envelope (it does not start with "KL").'],
      [Buffer.from([0x4b, 0x4c, 2, 1]), 'The ciphertext has envelope format version 2; this service reads version 1.'],
      [Buffer.from([0x4b, 0x4c, 1, 0]), "The ciphertext's key id length 0 is out of range (1-64)."],
      [envelope.subarray(0, envelope.length - 30), 'The ciphertext is truncated: it is shorter than its header, IV and tag.'],
    ];
    for (const [bytes, message] of cases) {
      expect(() => parseEnvelope(bytes)).toThrow(new MalformedCiphertextError(message));
    }
  });

  it('any truncation or bit flip of header, IV, body or tag is refused with a 4xx-class error and no plaintext', () => {
    const plaintext = Buffer.from('property-tested plaintext, a little longer than one block');
    const { envelope, dataKey } = sealed(plaintext);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ truncateTo: fc.integer({ min: 0, max: envelope.length - 1 }) }),
          fc.record({ at: fc.integer({ min: 0, max: envelope.length - 1 }), bit: fc.integer({ min: 0, max: 7 }) }),
        ),
        (change) => {
          let mutated: Buffer;
          if ('truncateTo' in change) mutated = Buffer.from(envelope.subarray(0, change.truncateTo));
          else {
            mutated = Buffer.from(envelope);
            mutated[change.at]! ^= 1 << change.bit;
          }
          let outcome: unknown;
          try {
            outcome = openEnvelope(dataKey, parseEnvelope(mutated), [binding, context]);
          } catch (error) {
            outcome = error;
          }
          expect(outcome instanceof MalformedCiphertextError || outcome instanceof UndecryptableError).toBe(true);
        },
      ),
      { numRuns: 5_000 },
    );
  });
});
