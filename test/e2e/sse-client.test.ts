import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collectSseFrames, readSseFrames, type SseFrame } from '../support/sse-client.js';

/** A body that delivers `text` in the given pieces, as a network would. */
function bodyOf(pieces: readonly string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const piece of pieces) controller.enqueue(encoder.encode(piece));
      controller.close();
    },
  });
}

/** Cuts `text` at the given offsets (bytes of multi-byte characters may be split too). */
function splitBytes(text: string, cuts: readonly number[]): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  const offsets = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((left, right) => left - right);
  return new ReadableStream({
    start(controller) {
      let from = 0;
      for (const offset of [...offsets, bytes.length]) {
        if (offset > from) controller.enqueue(bytes.slice(from, offset));
        from = Math.max(from, offset);
      }
      controller.close();
    },
  });
}

const serialize = (frames: readonly SseFrame[], lineEnd: string) =>
  frames
    .map((frame) =>
      [
        ...(frame.id === undefined ? [] : [`id: ${frame.id}`]),
        `event: ${frame.event}`,
        ...frame.data.split('\n').map((line) => `data: ${line}`),
      ].join(lineEnd) + lineEnd + lineEnd,
    )
    .join(`: heartbeat${lineEnd}${lineEnd}`);

describe('the test SSE client', () => {
  it('parses ids, event names, multi-line data and skips comments', async () => {
    const frames = await collectSseFrames(bodyOf([': hello\n\nid: 1.0\nevent: TurnRequested\ndata: {"a":1}\n\n', 'data: line one\ndata: line two\n\n']));

    expect(frames).toEqual([
      { id: '1.0', event: 'TurnRequested', data: '{"a":1}' },
      { id: undefined, event: 'message', data: 'line one\nline two' },
    ]);
  });

  it('drops a frame the server never finished', async () => {
    expect(await collectSseFrames(bodyOf(['id: 1\ndata: complete\n\nid: 2\ndata: cut off']))).toEqual([
      { id: '1', event: 'message', data: 'complete' },
    ]);
  });

  it('reads the same frames however the bytes are cut and whichever line ends are used', async () => {
    const frame = fc.record({
      id: fc.option(fc.stringMatching(/^[0-9]{1,3}\.[0-9]{1,7}$/), { nil: undefined }),
      event: fc.stringMatching(/^[A-Za-z-]{1,20}$/),
      data: fc.array(fc.string({ unit: 'grapheme', maxLength: 20 }).map((line) => line.replace(/[\r\n]/g, '')), { minLength: 1, maxLength: 3 }).map((lines) => lines.join('\n')),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { maxLength: 6 }), fc.constantFrom('\n', '\r\n', '\r'), fc.array(fc.nat(), { maxLength: 10 }), async (frames, lineEnd, cuts) => {
        expect(await collectSseFrames(splitBytes(serialize(frames, lineEnd), cuts))).toEqual(frames);
      }),
      { numRuns: 200 },
    );
  });

  it('lets the reader stop early and cancels the body', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('data: again\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });

    const seen: string[] = [];
    for await (const frame of readSseFrames(body)) {
      seen.push(frame.data);
      if (seen.length === 3) break;
    }

    expect(seen).toEqual(['again', 'again', 'again']);
    expect(cancelled).toBe(true);
  });
});
