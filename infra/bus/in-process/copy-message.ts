import type { BusMessage } from '../port.js';

/**
 * A message the bus can keep or hand out without sharing memory with the caller: a
 * publisher reusing its buffer, or a handler mutating its payload, cannot change what
 * other consumers or later redeliveries see.
 */
export function copyMessage(message: BusMessage): BusMessage {
  // Not `slice()`: on a Buffer that is a view, not a copy.
  const copy: BusMessage = { id: message.id, subject: message.subject, payload: new Uint8Array(message.payload) };
  // No headers and empty headers are the same message, as on NATS.
  if (message.headers && Object.keys(message.headers).length > 0) copy.headers = { ...message.headers };
  return copy;
}
