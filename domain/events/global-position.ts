import type { Brand } from '../shared/ids.js';

/**
 * A place in the global order: a commit part and a prepare part, each written as 16
 * hex digits so that positions compare correctly as plain strings. For PostgreSQL the
 * parts are the transaction id and the sequence value; for KurrentDB, its own
 * commit/prepare pair.
 */
export type GlobalPosition = Brand<string, 'GlobalPosition'>;

const DIGITS = 16;
const POSITION_PATTERN = /^[0-9a-f]{16}:[0-9a-f]{16}$/;

/** Before every event: reading "after" it starts at the beginning of the log. */
export const START_POSITION = toGlobalPosition(0n, 0n);

export function toGlobalPosition(commit: bigint | string | number, prepare: bigint | string | number): GlobalPosition {
  return `${hex(BigInt(commit))}:${hex(BigInt(prepare))}` as GlobalPosition;
}

export function parseGlobalPosition(value: string): GlobalPosition {
  if (!POSITION_PATTERN.test(value)) {
    throw new RangeError(`"${value}" is not a global position (commit:prepare as 16 hex digits each)`);
  }
  return value as GlobalPosition;
}

export function positionParts(position: GlobalPosition): { commit: bigint; prepare: bigint } {
  const [commit = '0', prepare = '0'] = position.split(':');
  return { commit: BigInt(`0x${commit}`), prepare: BigInt(`0x${prepare}`) };
}

export function isAfter(position: GlobalPosition, than: GlobalPosition): boolean {
  return position > than;
}

function hex(value: bigint): string {
  if (value < 0n || value >= 1n << 64n) throw new RangeError(`position part ${value} is out of range`);
  return value.toString(16).padStart(DIGITS, '0');
}
