import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeBase64Strict,
  decodePercentBase64,
  percentDecode,
  percentEncodeBase64,
  toBase64,
} from '../../src/protocol/bytes.js';

/** What the careful way decodes the same text to (undefined: it refuses it). */
function careful(text: string): Uint8Array | undefined {
  const plain = percentDecode(text);
  if (plain === null) return undefined;
  const out = decodeBase64Strict(plain);
  return 'bytes' in out ? out.bytes : undefined;
}

/** Alipay's form of a value, with the escapes' hex letters in either case. */
const escaped = (bytes: Uint8Array, lower: boolean) => {
  const text = percentEncodeBase64(toBase64(bytes));
  return lower ? text.replace(/%2B|%2F|%3D/g, (e) => e.toLowerCase()) : text;
};

describe('decodePercentBase64 (the fast way a Signature value is read)', () => {
  it('decodes every value Alipay can write to its bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.boolean(), (bytes, lower) => {
        expect(decodePercentBase64(escaped(bytes, lower))).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('never decodes a text to other bytes than the careful way (it may only give up)', () => {
    const piece = fc.constantFrom(
      'A',
      'Q',
      'g',
      'z',
      '0',
      '9',
      '+',
      '/',
      '=',
      '%2B',
      '%2f',
      '%3D',
      '%41',
      '%',
      ' ',
      'é',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 24 }), (pieces) => {
        const text = pieces.join('');
        if (text === '') return; // the Signature header's form never hands it an empty value
        const fast = decodePercentBase64(text);
        if (fast !== null) expect(fast).toEqual(careful(text));
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    ['a `=` before the end', 'QQ=A'],
    ['three pads', 'Q==='],
    ['non-zero bits past the last byte', 'QR=='],
    ['a length that is not a multiple of 4', 'QUJD%3D%3'],
    ['another escape', 'QUJD%41%3D%3D'],
    ['a space (a `+` form-decoded)', 'QU D'],
    ['a character outside ASCII', 'QUJé'],
  ])('gives up on %s', (_, text) => {
    expect(decodePercentBase64(text)).toBeNull();
  });
});

describe('decodePercentBase64 from an offset (the value inside its header)', () => {
  it('decodes the text after the offset as it decodes that text alone', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }),
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.boolean(),
        (prefix, bytes, lower) => {
          const value = escaped(bytes, lower);
          expect(decodePercentBase64(prefix + value, prefix.length)).toEqual(bytes);
        },
      ),
      { numRuns: 500 },
    );
  });

  it.each([
    ['an escape cut short at the end', 'sig=QUJD%2'],
    ['a bare `%` at the end', 'sig=QUJD%'],
    ['nothing after the offset but a pad', 'sig=='],
  ])('gives up on %s', (_, text) => {
    expect(decodePercentBase64(text, 4)).toBeNull();
  });
});
