import { parseArgs } from 'node:util';
import { startFakeUpstream } from '../../test/support/fake-upstream/index.js';

/**
 * The fake upstream in a process of its own, so its CPU time never shares an event loop
 * with the load generator or the server under test. Prints `FAKE_UPSTREAM_URL=<url>`
 * on stdout once it listens; SIGTERM closes it.
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'chunk-delay-ms': { type: 'string', default: '0' },
  },
});

const upstream = await startFakeUpstream({ port: Number(values.port), chunkDelayMs: Number(values['chunk-delay-ms']) });
// The fake records every request for tests to inspect; a bench sends tens of thousands,
// so the record is dropped now and then to keep its heap (and GC pauses) flat.
const forget = setInterval(() => upstream.requests.splice(0), 1_000);
process.stdout.write(`FAKE_UPSTREAM_URL=${upstream.url}\n`);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    clearInterval(forget);
    void upstream.close().finally(() => process.exit(0));
  });
}
