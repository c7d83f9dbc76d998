export { countMessageTokensApproximately, countTokensApproximately } from './approximate-token-count.js';
export {
  encodingForModel,
  TOKEN_ENCODING_NAMES,
  tokenCounterFor,
  TOKENS_PER_MESSAGE,
  TOKENS_PER_NAME,
  TOKENS_PER_REPLY,
  type TokenCounter,
  type TokenEncodingName,
} from './count-tokens.js';
