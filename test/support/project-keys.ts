import type { Backend } from '../../bin/composition/open-backend.js';
import { apiKeysProjection } from '../../projections/api-keys/api-keys.projection.js';
import { catchUpProjection } from '../../projections/index.js';

/**
 * Catches the API key projection up until every given key can authenticate. One
 * catch-up can stop short of events behind a transaction still open anywhere on the
 * server (other test files share it), so it is repeated until the keys are there.
 */
export async function projectKeys(backend: Backend, keyIds: readonly string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    await catchUpProjection(backend.readModels, backend.store, apiKeysProjection);
    const projected = await backend.readModels.selectFrom('api_keys').select('key_id').where('key_id', 'in', keyIds).execute();
    if (projected.length === keyIds.length) return;
    if (Date.now() > deadline) throw new Error(`only ${projected.length} of ${keyIds.length} API keys projected within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
