import { get, type ClientRequest, type IncomingMessage } from 'node:http';
import { onSseEvents } from '../turn/sse-events.js';

export interface HeldStream {
  turnId: string;
  /** False once the server or the network ended it. */
  isOpen(): boolean;
  /** Frames received so far (the turn's history, heartbeats excluded). */
  frames(): number;
  close(): void;
}

/**
 * Opens `GET /v1/turns/:id/stream` on a connection of its own (no agent, so nothing
 * caps or shares sockets) and resolves once the first frame arrived: the server has
 * done the work of opening the stream and now only holds it.
 */
export function openHeldStream(origin: string, key: string, turnId: string, timeoutMs = 30_000): Promise<HeldStream> {
  return new Promise((resolve, reject) => {
    let open = true;
    let frames = 0;
    let response: IncomingMessage | undefined;
    const timer = setTimeout(() => {
      request.destroy();
      reject(new Error(`stream of turn ${turnId}: no first frame in ${timeoutMs} ms`));
    }, timeoutMs);
    const request: ClientRequest = get(`${origin}/v1/turns/${turnId}/stream`, { agent: false, headers: { authorization: `Bearer ${key}` } }, (incoming) => {
      response = incoming;
      if (incoming.statusCode !== 200) {
        clearTimeout(timer);
        incoming.resume();
        reject(new Error(`stream of turn ${turnId}: HTTP ${incoming.statusCode}`));
        return;
      }
      incoming.once('close', () => (open = false));
      onSseEvents(incoming, () => {
        frames += 1;
        if (frames > 1) return;
        clearTimeout(timer);
        resolve({
          turnId,
          isOpen: () => open,
          frames: () => frames,
          close: () => {
            open = false;
            response?.destroy();
            request.destroy();
          },
        });
      });
    });
    request.once('error', (error) => {
      open = false;
      clearTimeout(timer);
      reject(error);
    });
  });
}
