import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBenchOptions } from '../support/bench-options.js';
import { checkMark, formatCount } from '../support/format-figures.js';
import { formatTable } from '../support/format-table.js';
import { startPhase } from '../support/phase-progress.js';
import { sleep } from '../support/timing.js';
import { spawnFakeUpstream, type FakeUpstreamProcess } from '../gateway/spawn-fake-upstream.js';
import { spawnTessera, type TesseraProcess } from '../gateway/spawn-tessera.js';
import { postJson, startConversation, streamTurn, type TesseraApi } from '../turn/turn-client.js';
import { openHeldStream, type HeldStream } from './held-streams.js';
import { formatMegabytes, readResidentMemory, settledResidentMemory, type ResidentMemory } from './resident-memory.js';
import { runBounded } from './run-bounded.js';

const options = parseBenchOptions('Resident memory of bin/tessera all (embedded) holding open SSE streams', {
  dataDirectory: {
    env: 'BENCH_MEMORY_DATA_DIR',
    default: 'fresh',
    description: 'TESSERA_DATA_DIR of the server: `fresh` for a new temporary directory (as a first `npm start`), or `:memory:`',
  },
  streams: { env: 'BENCH_MEMORY_STREAMS', default: 1_000, description: 'turn streams held open at once' },
  warmupTurns: { env: 'BENCH_MEMORY_WARMUP_TURNS', default: 20, description: 'complete turns before the idle figure' },
  concurrency: { env: 'BENCH_MEMORY_CONCURRENCY', default: 20, description: 'requests in flight while turns and streams are opened' },
  holdSeconds: { env: 'BENCH_MEMORY_HOLD_SECONDS', default: 10, description: 'seconds the streams stay open while RSS is sampled' },
  settleSeconds: { env: 'BENCH_MEMORY_SETTLE_SECONDS', default: 3, description: 'quiet seconds before each figure' },
  targetMegabytes: { env: 'BENCH_MEMORY_TARGET_MB', default: 300, description: 'RSS goal with the streams open' },
});

// Longer than the bench: the held turns' model calls hang until the bench closes them.
const HOLD_MS = 600_000;

interface Reading {
  label: string;
  memory: ResidentMemory;
}

async function main(): Promise<void> {
  let upstream: FakeUpstreamProcess | undefined;
  let tessera: TesseraProcess | undefined;
  const held: HeldStream[] = [];
  const readings: Reading[] = [];
  let openAtEnd = 0;
  let holdMaximum = 0;
  let stopNote = '';
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const temporaryDirectory = options.dataDirectory === 'fresh' ? mkdtempSync(join(tmpdir(), 'tessera-bench-memory-')) : undefined;
  try {
    process.stderr.write(`starting the fake upstream and bin/tessera all (embedded, TESSERA_DATA_DIR=${dataDirectoryLabel()})…\n`);
    upstream = await spawnFakeUpstream();
    tessera = await spawnTessera({
      profile: 'embedded',
      dataDirectory: temporaryDirectory ?? options.dataDirectory,
      modelBaseUrl: upstream.url,
      settings: { TESSERA_MODEL_TIMEOUT_MS: String(HOLD_MS), TESSERA_TURN_DEADLINE_MS: String(HOLD_MS) },
    });
    const pid = tessera.pid;
    const api: TesseraApi = { origin: tessera.url, key: tessera.key, agent };
    const settle = options.settleSeconds * 1_000;

    readings.push({ label: 'idle, just started', memory: await settledResidentMemory(pid, settle) });

    const warm = startPhase('warm-up turns', options.warmupTurns, 'turns');
    await runBounded(
      options.warmupTurns,
      Math.min(5, options.concurrency),
      async (index) => {
        const turn = await streamTurn(api, await startConversation(api), `Warm-up turn ${index}: what is the refund window?`);
        if (turn.outcome !== 'completed') throw new Error(`warm-up turn ${index}: ${turn.failure ?? turn.outcome}`);
      },
      (done) => warm.update(done, ''),
    );
    warm.finish(`${options.warmupTurns} turns completed`);
    readings.push({ label: `idle, after ${options.warmupTurns} complete turns`, memory: await settledResidentMemory(pid, settle) });

    const creating = startPhase(`requesting ${formatCount(options.streams)} held turns`, options.streams, 'turns');
    const turnIds = await runBounded(
      options.streams,
      options.concurrency,
      async (index) => {
        const conversationId = await startConversation(api);
        const message = `[[fake: hang-before-first-token=${HOLD_MS}]] Held turn ${index}: what is the refund window?`;
        const { status, body } = await postJson(api, `/v1/conversations/${conversationId}/turns`, { message, stream: false });
        if (status !== 202) throw new Error(`POST turns: HTTP ${status} ${body.slice(0, 200)}`);
        return (JSON.parse(body) as { id: string }).id;
      },
      (done) => creating.update(done, `RSS ${formatMegabytes(readResidentMemory(pid).residentBytes)}`),
    );
    creating.finish(`${formatCount(turnIds.length)} turns requested, their model calls hanging or queued`);
    readings.push({ label: `${formatCount(turnIds.length)} turns in flight, no streams`, memory: await settledResidentMemory(pid, settle) });

    const opening = startPhase(`opening ${formatCount(turnIds.length)} SSE streams`, turnIds.length, 'streams');
    await runBounded(
      turnIds.length,
      options.concurrency,
      async (index) => void held.push(await openHeldStream(tessera!.url, tessera!.key, turnIds[index]!)),
      (done) => opening.update(done, `RSS ${formatMegabytes(readResidentMemory(pid).residentBytes)}`),
    );
    opening.finish(`${formatCount(held.length)} streams open, each on its own connection`);

    const holding = startPhase(`holding ${formatCount(held.length)} streams`, options.holdSeconds, 's');
    for (let second = 0; second < options.holdSeconds; second += 1) {
      await sleep(1_000);
      const now = readResidentMemory(pid).residentBytes;
      holdMaximum = Math.max(holdMaximum, now);
      holding.update(second + 1, `RSS ${formatMegabytes(now)}`);
    }
    openAtEnd = held.filter((stream) => stream.isOpen()).length;
    readings.push({ label: `${formatCount(held.length)} open SSE streams`, memory: await settledResidentMemory(pid, settle) });
    holding.finish(`${formatCount(openAtEnd)} of ${formatCount(held.length)} still open; highest RSS ${formatMegabytes(holdMaximum)}`);

    for (const stream of held.splice(0)) stream.close();
    await sleep(1_000);
    readings.push({ label: 'streams closed (turns still in flight)', memory: await settledResidentMemory(pid, settle) });
  } finally {
    for (const stream of held) stream.close();
    agent.destroy();
    // The upstream goes first: its hanging answers end, so the server's model calls fail fast and it can stop.
    await upstream?.stop();
    const stopped = await tessera?.stop();
    if (stopped?.signalled === 'SIGKILL') stopNote = 'tessera did not stop within 20 s of SIGTERM and was killed';
    if (temporaryDirectory) rmSync(temporaryDirectory, { recursive: true, force: true });
  }

  printReport(readings, openAtEnd, holdMaximum, stopNote);
}

function dataDirectoryLabel(): string {
  return options.dataDirectory === 'fresh' ? 'a new temporary directory' : options.dataDirectory;
}

function printReport(readings: readonly Reading[], openAtEnd: number, holdMaximum: number, stopNote: string): void {
  const byLabel = (prefix: string) => readings.find((reading) => reading.label.includes(prefix))?.memory.residentBytes ?? Number.NaN;
  const withStreams = byLabel('open SSE streams');
  const beforeStreams = byLabel('no streams');
  console.log(
    [
      `Resident memory: bin/tessera all, embedded profile (TESSERA_DATA_DIR=${dataDirectoryLabel()}), in its own process; VmRSS from /proc/<pid>/status`,
      `Node ${process.version}, ${cpus().length} CPUs; held turns: the fake upstream sends headers, then nothing for ${HOLD_MS / 60_000} min ` +
        '(hang-before-first-token); each stream is GET /v1/turns/:id/stream on its own TCP connection',
      `each figure is the median of samples over ${options.settleSeconds} s; VmHWM is the peak since start`,
      '',
    ].join('\n'),
  );
  console.log(
    formatTable(
      [{ header: 'state' }, { header: 'VmRSS', align: 'right' }, { header: 'VmHWM', align: 'right' }],
      readings.map((reading) => [reading.label, formatMegabytes(reading.memory.residentBytes), formatMegabytes(reading.memory.peakBytes)]),
    ),
  );
  const perStream = (withStreams - beforeStreams) / Math.max(1, options.streams);
  console.log(
    `\nper open stream: ${Number.isFinite(perStream) ? `${(perStream / 1024).toFixed(1)} KB` : '—'}; ` +
      `still open after ${options.holdSeconds} s: ${formatCount(openAtEnd)} of ${formatCount(options.streams)}; highest RSS while holding ${formatMegabytes(holdMaximum)}`,
  );
  if (stopNote) console.log(stopNote);
  console.log('');
  console.log(
    formatTable(
      [{ header: 'target' }, { header: 'measured', align: 'right' }, { header: 'goal' }, { header: '' }],
      [
        [
          `RSS with ${formatCount(options.streams)} open SSE streams`,
          formatMegabytes(withStreams),
          `≤ ${options.targetMegabytes} MB`,
          checkMark(withStreams <= options.targetMegabytes * 1_048_576),
        ],
        [
          `streams still open after ${options.holdSeconds} s`,
          formatCount(openAtEnd),
          `= ${formatCount(options.streams)}`,
          checkMark(openAtEnd === options.streams),
        ],
      ],
    ),
  );
}

await main();
