import type { ModelFinishReason } from '../../model-spec.js';

/**
 * OpenAI's finish reasons, plus the ones compatible servers add. A missing reason on a
 * complete response is `other`: the stream reader treats a missing reason as a cut
 * stream before it gets here.
 */
export function mapFinishReason(finishReason: string | null | undefined): ModelFinishReason {
  switch (finishReason) {
    case 'stop':
    case 'end_turn':
      return 'stop';
    case 'length':
    case 'max_tokens':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool-calls';
    case 'content_filter':
      return 'content-filter';
    case 'error':
      return 'error';
    default:
      return 'other';
  }
}
