/** Checking a URL a person gave: absolute, http or https, of a sane length. */
import { AuthNotifyError } from '../protocol/errors.js';

/**
 * The URL, or a PARAM_ILLEGAL error that says what is wrong with it; `what` names it ("notify URLs",
 * "destination URLs") and `example` shows a good one.
 *
 * @example
 * checkHttpUrl(input, 'destination URLs', 'https://example.com/authnotify/events');
 */
export function checkHttpUrl(text: string, what: string, example: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AuthNotifyError('PARAM_ILLEGAL', `"${text.slice(0, 100)}" is not a URL`, {
      hint: `Give the full URL, e.g. ${example}.`,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new AuthNotifyError('PARAM_ILLEGAL', `${what} are http or https, not ${url.protocol}`);
  if (url.href.length > 2048)
    throw new AuthNotifyError('PARAM_ILLEGAL', `${what} are at most 2,048 characters`);
  return url;
}
