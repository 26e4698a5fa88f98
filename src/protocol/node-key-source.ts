/**
 * Where key text comes from on Node: the text itself, a file path, or an environment variable.
 * Kept out of `protocol/` so the protocol core stays free of Node APIs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { AuthNotifyError } from './errors.js';

/**
 * Resolves a key reference to key text:
 * - `env:NAME` reads the environment variable NAME;
 * - `file:PATH`, or any existing file path, reads the file;
 * - anything else is taken as the key itself (PEM or one-line base64).
 *
 * @example
 * const text = readKeySource('env:ALIPAY_PUBLIC_KEY');
 */
export function readKeySource(spec: string, env: NodeJS.ProcessEnv = process.env): string {
  if (spec.startsWith('env:')) {
    const name = spec.slice(4);
    const value = env[name];
    if (value === undefined || value.trim() === '') {
      throw new AuthNotifyError('KEY_INVALID', `environment variable ${name} is not set or empty`, {
        hint: `Export ${name} with the key (PEM or one-line base64), or pass a file path.`,
      });
    }
    return value;
  }
  const path = spec.startsWith('file:') ? spec.slice(5) : spec;
  const looksLikeKey = spec.includes('-----BEGIN') || /^[A-Za-z0-9+/=\s]{200,}$/.test(spec);
  if (!looksLikeKey && (spec.startsWith('file:') || existsSync(path))) {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new AuthNotifyError('KEY_INVALID', `cannot read key file ${path}`, { cause: error });
    }
  }
  if (!looksLikeKey && /[/\\]|\.(pem|txt|key)$/.test(spec)) {
    throw new AuthNotifyError('KEY_INVALID', `key file ${spec} does not exist`, {
      hint: 'Check the path, or pass the key text itself or env:VARIABLE.',
    });
  }
  return spec;
}
