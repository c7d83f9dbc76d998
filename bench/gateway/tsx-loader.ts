import { fileURLToPath } from 'node:url';

/** The repository root, so children run from it whatever the bench's working directory. */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** tsx's ESM loader, as `bin/tessera` passes it to node: children then run TypeScript without npx in between. */
export const TSX_LOADER = fileURLToPath(new URL('../../node_modules/tsx/dist/esm/index.mjs', import.meta.url));
