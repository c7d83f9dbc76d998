import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../test/support/fake-upstream/index.js';
import { parseGatewayConfig } from '../routing/deployments.js';
import { createDeploymentModel } from './create-deployment-model.js';
import { fakeDeployment, type DeploymentInput } from './gateway-test-helpers.js';

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(() => upstream.close());

const deploymentOf = (input: DeploymentInput) => parseGatewayConfig({ aliases: { 'chat/default': { deployments: [input] } } }).aliases['chat/default']!.deployments[0]!;

/** What the upstream received for one call with developer instructions and an output cap. */
async function sentFor(input: DeploymentInput): Promise<Record<string, unknown>> {
  const model = createDeploymentModel(deploymentOf(input));
  await model.generate({
    messages: [
      { role: 'developer', content: 'Answer in one word.' },
      { role: 'user', content: 'hi [[fake: reply="hello"]]' },
    ],
    maxOutputTokens: 32,
  });
  return upstream.requests.at(-1)!.body as Record<string, unknown>;
}

describe('a deployment speaks its server’s dialect', () => {
  it('sends the developer role and max_tokens unless told otherwise', async () => {
    const sent = await sentFor(fakeDeployment(upstream, 'plain'));
    expect(sent).toMatchObject({ messages: [{ role: 'developer' }, { role: 'user' }], max_tokens: 32 });
    expect(sent).not.toHaveProperty('max_completion_tokens');
  });

  it('sends developer instructions as system, and the cap as max_completion_tokens, where the deployment says so', async () => {
    const sent = await sentFor(fakeDeployment(upstream, 'reasoning', { developerRole: 'system', outputTokensField: 'max_completion_tokens' }));
    expect(sent).toMatchObject({ messages: [{ role: 'system', content: 'Answer in one word.' }, { role: 'user' }], max_completion_tokens: 32 });
    expect(sent).not.toHaveProperty('max_tokens');
  });

  it('refuses a dialect it does not know, naming the field', () => {
    expect(() => deploymentOf(fakeDeployment(upstream, 'odd', { outputTokensField: 'max_output' as never }))).toThrow(/deployments\[0\]\.outputTokensField/);
  });
});
