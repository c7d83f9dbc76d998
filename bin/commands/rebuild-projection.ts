import { SingleBar, Presets } from 'cli-progress';
import { findProjection, rebuildProjection } from '../../projections/index.js';
import type { Backend } from '../composition/open-backend.js';
import { UsageError } from './usage-error.js';

/** `tessera project rebuild <name>`: from position 0, with a progress bar and the rate. */
export async function rebuildProjectionCommand(backend: Backend, name: string | undefined, batchSize: number): Promise<void> {
  const projection = name ? findProjection(backend.projections, name) : undefined;
  if (!projection) {
    const known = backend.projections.map((candidate) => candidate.name).join(', ');
    throw new UsageError(`unknown projection "${name ?? ''}"; known: ${known}`);
  }
  const started = performance.now();
  const bar = new SingleBar(
    { format: `${projection.name} |{bar}| {percentage}% {value}/{total} events {rate} ev/s eta {eta}s`, stream: process.stderr },
    Presets.shades_classic,
  );
  bar.start(0, 0, { rate: 0 });
  const result = await rebuildProjection(backend.readModels, backend.store, projection, {
    batchSize,
    onProgress: (progress) => {
      const seconds = (performance.now() - started) / 1_000;
      bar.setTotal(Math.max(progress.total ?? 0, progress.read));
      bar.update(progress.read, { rate: Math.round(progress.read / Math.max(seconds, 0.001)) });
    },
  });
  bar.stop();
  const seconds = (performance.now() - started) / 1_000;
  process.stdout.write(
    `rebuilt ${projection.name}: ${result.read} events read, ${result.applied} applied in ${seconds.toFixed(2)} s ` +
      `(${Math.round(result.read / Math.max(seconds, 0.001))} events/s)\n`,
  );
}
