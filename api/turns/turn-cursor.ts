/**
 * An SSE event id names both things a client has seen: the last turn event (stream
 * revision) and the last token delta (sequence), so one Last-Event-ID resumes both.
 */
export interface TurnCursor {
  revision: number;
  sequence: number;
}

export const START_CURSOR: TurnCursor = { revision: -1, sequence: 0 };

export function formatCursor(cursor: TurnCursor): string {
  return `${cursor.revision}.${cursor.sequence}`;
}

export function parseCursor(value: string | undefined): TurnCursor | undefined {
  if (value === undefined || value === '') return START_CURSOR;
  const match = /^(-1|\d{1,9})\.(\d{1,15})$/.exec(value.trim());
  if (!match) return undefined;
  return { revision: Number(match[1]), sequence: Number(match[2]) };
}
