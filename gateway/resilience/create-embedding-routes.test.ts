import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../test/support/fake-upstream/index.js';
import { ModelCallError } from '../model-call-error.js';
import { parseGatewayConfig } from '../routing/deployments.js';
import { createEmbeddingRoutes } from './create-embedding-routes.js';
import { createGateway } from './create-gateway.js';
import { fakeDeployment, type DeploymentInput } from './gateway-test-helpers.js';

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(() => upstream.close());

const DIMENSIONS = 64;
/** One embedding model at two endpoints; `scenario` makes the first one fail. */
const endpoint = (name: string, scenario?: string): DeploymentInput =>
  fakeDeployment(upstream, name, { model: 'text-embed', requestDimensions: true, ...(scenario && { headers: { 'x-fake-scenario': scenario } }) });
const configWith = (deployments: DeploymentInput[]) =>
  parseGatewayConfig({ aliases: { 'chat/default': { deployments: [fakeDeployment(upstream, 'chat')] }, 'embed/default': { deployments } } });
const embeddingCallsSince = (mark: number) => upstream.requests.slice(mark).filter((request) => request.path === '/v1/embeddings');

describe('embedding aliases of a gateway file', () => {
  it('embed through their deployment at the index size, and are not chat models', async () => {
    const config = configWith([endpoint('embed-a')]);
    const mark = upstream.requests.length;
    const result = await createEmbeddingRoutes(config, DIMENSIONS)['embed/default']!.embed(['refund window', 'return policy']);
    expect(result.embeddings.map((vector) => vector.length)).toEqual([DIMENSIONS, DIMENSIONS]);
    expect(embeddingCallsSince(mark).map((request) => request.body)).toEqual([expect.objectContaining({ model: 'text-embed', dimensions: DIMENSIONS })]);
    expect(createGateway(config).aliases()).toEqual(['chat/default']);
  });

  it('fall back to the next endpoint of the model on a server error, but not when the request itself is refused', async () => {
    const mark = upstream.requests.length;
    const served = await createEmbeddingRoutes(configWith([endpoint('embed-down', 'status=503'), endpoint('embed-up')]), DIMENSIONS)['embed/default']!.embed(['refund window']);
    expect(served.embeddings[0]).toHaveLength(DIMENSIONS);
    expect(embeddingCallsSince(mark)).toHaveLength(2);

    const refusedMark = upstream.requests.length;
    const refused = createEmbeddingRoutes(configWith([endpoint('embed-refusing', 'status=400'), endpoint('embed-spare')]), DIMENSIONS)['embed/default']!.embed(['refund window']);
    await expect(refused).rejects.toSatisfy((error) => ModelCallError.isInstance(error) && error.kind === 'bad-request');
    expect(embeddingCallsSince(refusedMark)).toHaveLength(1);
  });
});
