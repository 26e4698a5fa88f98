import { describe, expect, it } from 'vitest';
import { toBase64 } from '../../src/protocol/bytes.js';
import { AuthNotifyError } from '../../src/protocol/errors.js';
import { parseSignatureHeader } from '../../src/protocol/signature-header.js';

/** What a value parses to: key version and signature as base64, or the error's code. */
function parsed(value: string): { keyVersion: string | undefined; signature: string } | string {
  try {
    const header = parseSignatureHeader(value);
    return { keyVersion: header.keyVersion, signature: toBase64(header.signature) };
  } catch (error) {
    if (error instanceof AuthNotifyError) return error.code;
    throw error;
  }
}

describe('parseSignatureHeader: the usual form read in place, every other form the general way', () => {
  it.each([
    ['the form Alipay sends', 'algorithm=RSA256,keyVersion=1,signature=QUJD%2B%2F8%3D', '1', 'QUJD+/8='],
    ['`, ` separators', 'algorithm=RSA256, keyVersion=7, signature=QUJD', '7', 'QUJD'],
    ['lower-case escapes', 'algorithm=RSA256,keyVersion=1,signature=QUJD%2b%2f8%3d', '1', 'QUJD+/8='],
    ['an unknown key after the signature', 'algorithm=RSA256,keyVersion=1,signature=QUJD,x=y', '1', 'QUJD'],
    ['another key order', 'keyVersion=2,algorithm=RSA256,signature=QUJD', '2', 'QUJD'],
    ['no key version', 'algorithm=RSA256,signature=QUJD', undefined, 'QUJD'],
    ['another escape', 'algorithm=RSA256,keyVersion=1,signature=%51UJD', '1', 'QUJD'],
  ])('reads %s', (_, value, keyVersion, signature) => {
    expect(parsed(value)).toEqual({ keyVersion, signature });
  });

  it.each([
    ['a form-decoded `+` (a space)', 'algorithm=RSA256,keyVersion=1,signature=QU D', 'SIGNATURE_MALFORMED'],
    ['an empty signature', 'algorithm=RSA256,keyVersion=1,signature=', 'SIGNATURE_MALFORMED'],
    ['a truncated value', 'algorithm=RSA256,keyVersion=1,signature=QUJD%3', 'SIGNATURE_MALFORMED'],
    ['an empty key version', 'algorithm=RSA256,keyVersion=,signature=QUJD', 'SIGNATURE_MALFORMED'],
    ['a key version with a space', 'algorithm=RSA256,keyVersion=a b,signature=QUJD', 'SIGNATURE_MALFORMED'],
    [
      'a key version of 33 characters',
      `algorithm=RSA256,keyVersion=${'1'.repeat(33)},signature=QUJD`,
      'SIGNATURE_MALFORMED',
    ],
    ['another algorithm', 'algorithm=RSA512,keyVersion=1,signature=QUJD', 'ALGORITHM_UNSUPPORTED'],
  ])('refuses %s with a reason', (_, value, code) => {
    expect(parsed(value)).toBe(code);
  });

  it('gives every signature bytes of its own, however many are read', () => {
    const values = Array.from({ length: 200 }, (_, i) => {
      const bytes = new Uint8Array(256).fill(i);
      return {
        bytes,
        header: parseSignatureHeader(`algorithm=RSA256,keyVersion=1,signature=${toBase64(bytes)}`),
      };
    });
    for (const { header } of values) header.signature.fill(0xff);
    for (const [i, { bytes }] of values.entries()) {
      const again = parseSignatureHeader(`algorithm=RSA256,keyVersion=1,signature=${toBase64(bytes)}`);
      expect(again.signature).toEqual(new Uint8Array(256).fill(i));
    }
    expect(values.every(({ header }) => header.signature.every((b) => b === 0xff))).toBe(true);
  });
});
