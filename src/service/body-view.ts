/** How a stored notification body is shown to an operator: masked by pattern, bounded in depth and size. */
import { maskSecretsInText } from '../protocol/mask.js';

/** Deepest JSON nesting shown as a structure; deeper bodies are shown as text (no 500 on 12,000 levels). */
const MAX_SHOWN_DEPTH = 64;

/** How deep brackets nest in JSON text, outside strings. */
function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') max = Math.max(max, ++depth);
    else if (ch === '}' || ch === ']') depth--;
  }
  return max;
}

/**
 * The body as received with tokens, authCodes and wallet logins masked by pattern at any depth (and in
 * bodies that are not JSON), as JSON when it parses and nests at most 64 levels, else as text.
 */
export function redactedBody(raw: Uint8Array): { body: unknown; note: string } {
  const text = maskSecretsInText(new TextDecoder('utf-8', { fatal: false }).decode(raw));
  const masked = 'tokens and wallet logins are masked; the stored bytes are unchanged';
  if (nestingDepth(text) > MAX_SHOWN_DEPTH)
    return {
      body: text.slice(0, 4096),
      note: `nested deeper than ${MAX_SHOWN_DEPTH} levels: shown as text, first 4 KiB; ${masked}`,
    };
  try {
    return { body: JSON.parse(text) as unknown, note: masked };
  } catch {
    return { body: text.slice(0, 4096), note: `not JSON: shown as text, first 4 KiB; ${masked}` };
  }
}
