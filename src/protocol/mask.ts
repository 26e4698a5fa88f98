/**
 * Masking for personal data and secrets in logs, API answers and views (DESIGN.md §2.2: userLoginId is
 * personal data; tokens never appear in full).
 */

/**
 * Masks a wallet login id: e-mail keeps the first character and the domain, a phone number keeps its first
 * three and last four digits, anything else keeps its first and last character.
 *
 * @example
 * maskLoginId('alice@example.com'); // 'a****@example.com'
 * maskLoginId('+8613812345678');    // '+86****5678'
 */
export function maskLoginId(value: string | undefined | null): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const at = value.indexOf('@');
  if (at > 0) return `${value[0]}****${value.slice(at)}`;
  if (/^\+?[\d\s-]{7,}$/.test(value)) return `${value.slice(0, 3)}****${value.slice(-4)}`;
  if (value.length <= 2) return '**';
  return `${value[0]}****${value[value.length - 1]}`;
}

/** Shows only the last four characters of a token: `…a1b2`. */
export function maskToken(value: string | undefined | null): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return value.length <= 8 ? '****' : `****${value.slice(-4)}`;
}

/** Fields whose values are secrets or personal data, wherever they appear. */
const SENSITIVE_FIELD = /(accessToken|refreshToken|authCode|userLoginId)/;
const JSON_FIELD = new RegExp(`"${SENSITIVE_FIELD.source}"(\\s*:\\s*)"((?:[^"\\\\]|\\\\.)*)"`, 'g');
const FORM_FIELD = new RegExp(`\\b${SENSITIVE_FIELD.source}(\\s*[=:]\\s*)([^&\\s",;}]+)`, 'g');
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

function maskField(field: string, value: string): string {
  return (field === 'userLoginId' ? maskLoginId(value) : maskToken(value)) ?? '';
}

/**
 * Masks tokens and wallet logins in any text by pattern, not by known JSON path: sensitive fields at any
 * depth of JSON, `name=value` pairs (form bodies, logs), and every e-mail address. For bodies that are
 * not JSON or not valid notifications, where no parser can say where the secrets are.
 *
 * @example
 * maskSecretsInText('{"a":{"accessToken":"28100103_2021xyz9"}}'); // '{"a":{"accessToken":"****xyz9"}}'
 */
export function maskSecretsInText(text: string): string {
  return text
    .replace(
      JSON_FIELD,
      (_m, field: string, sep: string, value: string) => `"${field}"${sep}"${maskField(field, value)}"`,
    )
    .replace(
      FORM_FIELD,
      (_m, field: string, sep: string, value: string) => `${field}${sep}${maskField(field, value)}`,
    )
    .replace(EMAIL, (email) => maskLoginId(email) ?? '');
}
