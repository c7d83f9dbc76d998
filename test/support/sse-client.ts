/** One Server-Sent Events frame as a browser's EventSource would dispatch it. */
export interface SseFrame {
  /** The frame's own `id:` field; undefined when the frame carried none. */
  id: string | undefined;
  /** The `event:` field; `message` when the frame named none. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
}

/**
 * Reads an SSE body (a fetch response's `body`) and yields its frames as they arrive,
 * following the WHATWG parsing rules: CRLF, LF or CR line ends, comment lines (`:`)
 * ignored, one leading space after the colon dropped, frames without data not
 * dispatched. Leaving the loop early (break, return, throw) cancels the body, which
 * closes the connection.
 */
export async function* readSseFrames(body: ReadableStream<Uint8Array>): AsyncGenerator<SseFrame> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let id: string | undefined;
  let event = '';
  let data: string[] = [];
  let sawData = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      for (;;) {
        const lineEnd = /\r\n|\n|\r/.exec(buffer);
        if (!lineEnd) break;
        // A CR at the end of what arrived may be the first half of a CRLF: wait for more.
        if (lineEnd[0] === '\r' && lineEnd.index === buffer.length - 1 && !done) break;
        const line = buffer.slice(0, lineEnd.index);
        buffer = buffer.slice(lineEnd.index + lineEnd[0].length);
        if (line === '') {
          if (sawData) yield { id, event: event || 'message', data: data.join('\n') };
          id = undefined;
          event = '';
          data = [];
          sawData = false;
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        let text = colon === -1 ? '' : line.slice(colon + 1);
        if (text.startsWith(' ')) text = text.slice(1);
        if (field === 'data') {
          data.push(text);
          sawData = true;
        } else if (field === 'event') {
          event = text;
        } else if (field === 'id' && !text.includes('\0')) {
          id = text;
        }
      }
      // An unterminated last frame is dropped, as EventSource drops it.
      if (done) return;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** Every frame of a response until the server ends it. */
export async function collectSseFrames(body: ReadableStream<Uint8Array>): Promise<SseFrame[]> {
  const frames: SseFrame[] = [];
  for await (const frame of readSseFrames(body)) frames.push(frame);
  return frames;
}
