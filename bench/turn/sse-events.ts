import type { IncomingMessage } from 'node:http';

export interface SseEvent {
  /** The `event:` field; `message` when the frame named none. */
  event: string;
  data: string;
}

/**
 * Calls `onEvent` for each Server-Sent Events frame of a response as it arrives.
 * Comments (the server's keep-alive heartbeats) are skipped. Enough of the WHATWG
 * rules for Tessera's frames: LF line ends, one `data:` line per frame.
 */
export function onSseEvents(response: IncomingMessage, onEvent: (event: SseEvent) => void): void {
  let pending = '';
  response.setEncoding('utf8');
  response.on('data', (text: string) => {
    pending += text;
    let boundary = pending.indexOf('\n\n');
    while (boundary !== -1) {
      const frame = pending.slice(0, boundary);
      pending = pending.slice(boundary + 2);
      boundary = pending.indexOf('\n\n');
      let event = 'message';
      const data: string[] = [];
      for (const line of frame.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length > 0) onEvent({ event, data: data.join('\n') });
    }
  });
}
