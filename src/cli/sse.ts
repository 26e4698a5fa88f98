/** Reading a server-sent event stream (`text/event-stream`) from a fetch body, as the HTML spec parses it. */

export interface SseMessage {
  /** `message` when the stream named no event type. */
  event: string;
  data: string;
  /** The last id the stream set (carried over, as browsers do). */
  id: string | undefined;
}

/**
 * Yields each message of a stream until it ends.
 *
 * @example
 * for await (const m of readSse(response.body!)) console.log(m.event, JSON.parse(m.data));
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      for (let nl = buffer.search(/\r\n|\r|\n/); nl !== -1; nl = buffer.search(/\r\n|\r|\n/)) {
        // A CR at the end of a chunk may be half of a CRLF: wait for the next chunk.
        if (buffer[nl] === '\r' && nl === buffer.length - 1) break;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(buffer.startsWith('\r\n', nl) ? nl + 2 : nl + 1);
        if (line === '') {
          if (data.length > 0) yield { event: event || 'message', data: data.join('\n'), id };
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id' && !value.includes('\u0000')) id = value;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
