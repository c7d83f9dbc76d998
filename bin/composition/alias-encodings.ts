import type { AliasEncoding } from '../../api/rate-limit/token-estimates.js';
import { deploymentEncoding } from '../../gateway/routing/index.js';
import { encodingForModel } from '../../gateway/tokens/index.js';
import type { Config } from '../../infra/config/settings.js';
import { loadGatewayConfig } from './gateway-config.js';

/**
 * Counts an alias's tokens as the model its calls go to first will: an alias names no
 * model family, so counting by its name would pick an encoding no deployment uses.
 * Without a gateway file every call goes to the configured chat model.
 */
export function aliasEncodings(config: Config): AliasEncoding {
  const gateway = loadGatewayConfig(config);
  const chatModelEncoding = encodingForModel(config.chatModel);
  return (alias) => {
    const first = gateway?.aliases[alias]?.deployments[0];
    return first ? deploymentEncoding(first) : chatModelEncoding;
  };
}
