import { generateAes256Key, open, seal } from '@keyledger/crypto';
import fc from 'fast-check';
import {
  dataKeyAad,
  ENVELOPE_FORMAT_VERSION,
  encodeHeader,
  openEnvelope,
  parseEnvelope,
  replaceHeader,
  sealEnvelope,
  WRAPPED_DATA_KEY_BYTES,
} from './envelope';
import { MalformedCiphertextError, UndecryptableError } from '../errors';

const kid = '5bc96106-60a3-4410-b5cd-c42a35b10d7f';
const binding = Buffer.from('binding');
const context = Buffer.from('context');

function sealed(plaintext: Buffer, formatVersion = ENVELOPE_FORMAT_VERSION) {
  const dataKey = generateAes256Key();
  const namespaceKey = generateAes256Key();
  const header = encodeHeader(kid, seal(namespaceKey, dataKey, dataKeyAad({ tenant: 't', namespace: 'n', kid })), formatVersion);
  return { dataKey, namespaceKey, envelope: sealEnvelope(dataKey, header, [binding, context], plaintext) };
}

/** What the data plane does: unwrap the data key under the namespace key (bound to the envelope's kid), then open the body. */
function openFully(namespaceKey: Buffer, bytes: Buffer): Buffer {
  const parsed = parseEnvelope(bytes);
  let dataKey: Buffer;
  try {
    dataKey = open(namespaceKey, parsed.wrappedDataKey, dataKeyAad({ tenant: 't', namespace: 'n', kid: parsed.kid }));
  } catch {
    throw new UndecryptableError();
  }
  return openEnvelope(dataKey, parsed, [binding, context]);
}

describe('envelope format 2 (and format 1, still read)', () => {
  it('writes format 2', () => {
    expect(ENVELOPE_FORMAT_VERSION).toBe(2);
  });

  it('format 2: the data key moves under another key id without touching IV, body or tag', () => {
    const plaintext = Buffer.from('moves without being decrypted');
    const { envelope, dataKey } = sealed(plaintext);
    const otherKid = 'c0ffee00-60a3-4410-b5cd-c42a35b10d7f';
    const moved = replaceHeader(parseEnvelope(envelope), encodeHeader(otherKid, seal(generateAes256Key(), dataKey, dataKeyAad({ tenant: 't', namespace: 'n', kid: otherKid }))));
    const parsed = parseEnvelope(moved);
    expect(parsed.kid).toBe(otherKid);
    expect(moved.subarray(moved.length - plaintext.length - 28).equals(envelope.subarray(envelope.length - plaintext.length - 28))).toBe(true);
    expect(openEnvelope(dataKey, parsed, [binding, context])).toEqual(plaintext);
  });

  it('format 1: the header is part of the body AAD, so it cannot move', () => {
    const plaintext = Buffer.from('format 1');
    const { envelope, dataKey } = sealed(plaintext, 1);
    const parsed = parseEnvelope(envelope);
    expect(parsed.formatVersion).toBe(1);
    expect(openEnvelope(dataKey, parsed, [binding, context])).toEqual(plaintext);
    expect(() => replaceHeader(parsed, parsed.header)).toThrow(/Only a format 2 envelope/);
    const rewritten = Buffer.from(envelope);
    rewritten[4 + kid.length]! ^= 1; // a bit of the wrapped data key
    expect(() => openEnvelope(dataKey, parseEnvelope(rewritten), [binding, context])).toThrow(UndecryptableError);
  });

  it('lays out magic, version, kid, wrapped data key, IV, body and tag as documented', () => {
    const plaintext = Buffer.from('hello, envelope');
    const { envelope, dataKey } = sealed(plaintext);
    expect(envelope.subarray(0, 2).toString('latin1')).toBe('KL');
    expect(envelope[2]).toBe(ENVELOPE_FORMAT_VERSION);
    expect(envelope[3]).toBe(kid.length);
    expect(envelope.subarray(4, 4 + kid.length).toString('latin1')).toBe(kid);
    expect(envelope).toHaveLength(4 + kid.length + WRAPPED_DATA_KEY_BYTES + 12 + plaintext.length + 16);
    const parsed = parseEnvelope(envelope);
    expect(parsed).toMatchObject({ formatVersion: 2, kid });
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
      [Buffer.from([0x4b, 0x4c, 3, 1]), 'The ciphertext has envelope format version 3; this service reads versions 1 and 2.'],
      [Buffer.from([0x4b, 0x4c, 1, 0]), "The ciphertext's key id length 0 is out of range (1-64)."],
      [envelope.subarray(0, envelope.length - 30), 'The ciphertext is truncated: it is shorter than its header, IV and tag.'],
    ];
    for (const [bytes, message] of cases) {
      expect(() => parseEnvelope(bytes)).toThrow(new MalformedCiphertextError(message));
    }
  });

  it.each([1, 2])('format %i: any truncation or bit flip of header, IV, body or tag is refused with a 4xx-class error and no plaintext', (formatVersion) => {
    const plaintext = Buffer.from('property-tested plaintext, a little longer than one block');
    const { envelope, namespaceKey } = sealed(plaintext, formatVersion);
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
            outcome = openFully(namespaceKey, mutated);
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
