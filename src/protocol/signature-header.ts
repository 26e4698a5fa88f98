/**
 * The `Signature` header: `algorithm=RSA256,keyVersion=<n>,signature=<url-encoded base64>`
 * (DESIGN.md §1.2). Parsing accepts `,` and `, ` separators, any key order, and ignores unknown keys.
 */
import {
  decodeBase64Strict,
  decodePercentBase64,
  percentDecode,
  percentEncodeBase64,
  toBase64,
} from './bytes.js';
import { AuthNotifyError } from './errors.js';

export const SIGNATURE_ALGORITHM = 'RSA256';

export interface SignatureHeader {
  algorithm: string;
  keyVersion: string | undefined;
  /** The raw signature bytes. */
  signature: Uint8Array;
}

const PROBLEM_HINTS: Record<string, string> = {
  space:
    'The signature contains a space: a `+` of the base64 value was probably form-decoded to a space by a proxy or framework. Read the raw header and percent-decode only.',
  'bad-length':
    'The base64 value has a length that is not a multiple of 4: the header was probably truncated.',
  'bad-character': 'The value contains characters outside standard base64 after percent-decoding.',
  'bad-padding': 'The base64 padding is wrong: the value was probably truncated or altered.',
  empty: 'The signature value is empty.',
};

const KEY_VERSION = /^[0-9A-Za-z._-]{1,32}$/;
const USUAL_START = `algorithm=${SIGNATURE_ALGORITHM},`;

/**
 * The form Alipay sends, `algorithm=RSA256,keyVersion=<n>,signature=<value>` (`, ` allowed), read in place
 * without splitting the value; undefined for any other form or a value that is not clean base64, which
 * the general way then reads and explains.
 */
function parseUsual(value: string): SignatureHeader | undefined {
  if (!value.startsWith(USUAL_START)) return undefined;
  let i = USUAL_START.length;
  if (value.charCodeAt(i) === 32) i++;
  if (!value.startsWith('keyVersion=', i)) return undefined;
  i += 'keyVersion='.length;
  const comma = value.indexOf(',', i);
  if (comma < 0) return undefined;
  const keyVersion = value.slice(i, comma);
  if (!KEY_VERSION.test(keyVersion)) return undefined;
  i = comma + 1;
  if (value.charCodeAt(i) === 32) i++;
  if (!value.startsWith('signature=', i)) return undefined;
  i += 'signature='.length;
  if (i === value.length) return undefined;
  const signature = decodePercentBase64(value, i);
  return signature ? { algorithm: SIGNATURE_ALGORITHM, keyVersion, signature } : undefined;
}

function malformed(message: string, hint?: string): AuthNotifyError {
  return new AuthNotifyError('SIGNATURE_MALFORMED', message, hint === undefined ? {} : { hint });
}

/**
 * Parses a `Signature` header value. Throws `SIGNATURE_MALFORMED` or `ALGORITHM_UNSUPPORTED`.
 *
 * @example
 * parseSignatureHeader('algorithm=RSA256,keyVersion=1,signature=KrwD...%3D%3D');
 */
export function parseSignatureHeader(value: string): SignatureHeader {
  const usual = parseUsual(value);
  if (usual) return usual;
  const fields = new Map<string, string>();
  for (const part of value.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) throw malformed(`"${truncate(item)}" is not a key=value pair`);
    const key = item.slice(0, eq).trim();
    const raw = item.slice(eq + 1).trim();
    if (fields.has(key)) throw malformed(`"${key}" appears twice in the Signature header`);
    fields.set(key, raw);
  }
  const algorithm = fields.get('algorithm');
  const encoded = fields.get('signature');
  if (algorithm === undefined) throw malformed('the Signature header has no algorithm');
  if (encoded === undefined) throw malformed('the Signature header has no signature value');
  if (algorithm !== SIGNATURE_ALGORITHM) {
    throw new AuthNotifyError(
      'ALGORITHM_UNSUPPORTED',
      `algorithm "${truncate(algorithm)}" is not supported`,
      {
        hint: 'Alipay signs notifications with algorithm=RSA256 (RSA with SHA-256).',
      },
    );
  }
  const keyVersion = fields.get('keyVersion');
  if (keyVersion !== undefined && !KEY_VERSION.test(keyVersion)) {
    throw malformed(`keyVersion "${truncate(keyVersion)}" is not a valid version`);
  }
  const b64 = percentDecode(encoded);
  if (b64 === null) {
    throw malformed(
      'the signature value has a broken percent-escape',
      'Each % must be followed by two hex digits.',
    );
  }
  const decoded = decodeBase64Strict(b64);
  if ('problem' in decoded) {
    throw malformed(
      `the signature value is not valid base64 (${decoded.problem})`,
      PROBLEM_HINTS[decoded.problem],
    );
  }
  return { algorithm, keyVersion: keyVersion === '' ? undefined : keyVersion, signature: decoded.bytes };
}

/** Formats a `Signature` header value the way Alipay writes it (`,` separators, percent-encoded base64). */
export function formatSignatureHeader(input: {
  signature: Uint8Array;
  keyVersion?: string | undefined;
}): string {
  const value = percentEncodeBase64(toBase64(input.signature));
  return input.keyVersion === undefined
    ? `algorithm=${SIGNATURE_ALGORITHM},signature=${value}`
    : `algorithm=${SIGNATURE_ALGORITHM},keyVersion=${input.keyVersion},signature=${value}`;
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
