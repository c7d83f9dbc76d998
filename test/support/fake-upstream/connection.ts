import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerResponse } from 'node:http';

/** Aborts when the response is over, including when the client hangs up. */
export function responseClosed(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  response.once('close', () => controller.abort());
  return controller.signal;
}

/**
 * Waits unless the client has gone; false means it has, and the caller stops. Timers
 * must not outlive the client, or closing the server would wait for them.
 */
export async function pause(milliseconds: number | undefined, closed: AbortSignal): Promise<boolean> {
  if (closed.aborted) return false;
  if (milliseconds === undefined || milliseconds === 0) return true;
  try {
    await sleep(milliseconds, undefined, { signal: closed });
    return true;
  } catch {
    return false;
  }
}

/** Resolves once the data has left for the kernel, so a following destroy cannot drop it. */
export function writeFlushed(response: ServerResponse, data: string): Promise<void> {
  return new Promise((resolve) => {
    response.write(data, () => resolve());
  });
}

/** Cuts the TCP connection as a crashed upstream or a dropped proxy would. */
export function dropConnection(response: ServerResponse): void {
  response.socket?.destroy();
}
