import type { ModelStreamPart } from '../../gateway/model-spec.js';

type DeltaPart = Exclude<ModelStreamPart, { type: 'finish' }>;

/**
 * Parts that arrived together (one network read of a fast stream) as few deltas: runs
 * of text become one text delta, runs of one tool call's argument pieces one argument
 * delta. Each delta costs a publish, a hop to every follower and an SSE frame, and a
 * client reading the stream sees the same text.
 */
export function coalesceParts(parts: readonly DeltaPart[]): DeltaPart[] {
  const merged: DeltaPart[] = [];
  for (const part of parts) {
    const previous = merged.at(-1);
    if (part.type === 'text-delta' && previous?.type === 'text-delta') {
      merged[merged.length - 1] = { type: 'text-delta', text: previous.text + part.text };
    } else if (part.type === 'tool-call-delta' && previous?.type === 'tool-call-delta' && previous.index === part.index) {
      merged[merged.length - 1] = { ...previous, argumentsDelta: previous.argumentsDelta + part.argumentsDelta };
    } else {
      merged.push(part);
    }
  }
  return merged;
}
