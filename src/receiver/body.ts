/** Reads a request body with a byte cap, stopping as soon as the cap is passed. */
import { concatBytes } from '../protocol/bytes.js';
import { AuthNotifyError } from '../protocol/errors.js';

export async function readBodyCapped(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(maxBytes);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof AuthNotifyError) throw error;
    throw new AuthNotifyError('BODY_INVALID', 'the request body could not be read', { cause: error });
  }
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : concatBytes(chunks);
}

function tooLarge(maxBytes: number): AuthNotifyError {
  return new AuthNotifyError('BODY_TOO_LARGE', `the body is larger than ${maxBytes} bytes`, {
    hint: 'Notifications are a few hundred bytes; raise maxBodyBytes only if a legitimate body is this large.',
  });
}
