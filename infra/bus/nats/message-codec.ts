import { headers as createHeaders, type MsgHdrs } from '@nats-io/transport-node';
import type { BusMessage } from '../port.js';

/** Header NATS uses for the publish dedup id; the bus message id travels in it. */
export const MESSAGE_ID_HEADER = 'Nats-Msg-Id';

/** Prefix of the headers a dead letter carries about its failure. */
export const DEAD_LETTER_HEADER_PREFIX = 'Tessera-Dead-Letter-';

// Headers the server or this adapter own; they never show up as the message's own headers.
const RESERVED_PREFIXES = ['nats-', DEAD_LETTER_HEADER_PREFIX.toLowerCase()];

function isReserved(key: string): boolean {
  const lower = key.toLowerCase();
  return RESERVED_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/** NATS headers for `message.headers`, refusing keys NATS or the adapter reserve; the id goes as `msgID`. */
export function encodeHeaders(message: BusMessage): MsgHdrs {
  const natsHeaders = createHeaders();
  for (const [key, value] of Object.entries(message.headers ?? {})) {
    if (isReserved(key)) throw new TypeError(`header "${key}" is reserved by the bus; choose another name`);
    natsHeaders.set(key, value);
  }
  return natsHeaders;
}

/** The bus message carried by a stored NATS message. */
export function decodeMessage(
  subject: string,
  payload: Uint8Array,
  natsHeaders: MsgHdrs | undefined,
  fallbackId: string,
): BusMessage {
  const message: BusMessage = {
    // A message someone published without a dedup id still needs a stable id.
    id: natsHeaders?.get(MESSAGE_ID_HEADER) || fallbackId,
    subject,
    // A plain copy: the client hands out Buffer views into its read buffer, which they would keep alive.
    payload: new Uint8Array(payload),
  };
  const own: Record<string, string> = {};
  for (const key of natsHeaders?.keys() ?? []) {
    if (!isReserved(key)) own[key] = natsHeaders?.last(key) ?? '';
  }
  if (Object.keys(own).length > 0) message.headers = own;
  return message;
}
