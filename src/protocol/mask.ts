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
